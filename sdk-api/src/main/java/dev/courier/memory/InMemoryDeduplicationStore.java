package dev.courier.memory;

import dev.courier.ConfigurationException;
import dev.courier.spi.DeduplicationStore;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The default deduplication store: in process, bounded by count and by age, about 35 to 38 bytes per
 * remembered id. It forgets on restart and is not shared between instances; use a durable store
 * (sdk-jdbc) when that matters.
 *
 * <p>Done ids are kept as 128 bits each: UUID ids exactly, other ids as a 128-bit hash (a false
 * "already done" needs a hash collision, about 1 in 2^100 for a million ids). Oldest ids are
 * forgotten first when either bound is reached. Claims in progress are kept apart and expire
 * after their lease.
 */
public final class InMemoryDeduplicationStore implements DeduplicationStore {

    /** Done ids remembered per service by default. */
    public static final int DEFAULT_MAX_ENTRIES = 200_000;
    /** How long a done id is remembered by default. */
    public static final Duration DEFAULT_MAX_AGE = Duration.ofHours(1);

    private final int maxEntries;
    private final long maxAgeMillis;
    private final Clock clock;
    private final Map<String, DoneSet> done = new HashMap<>();
    private final Map<String, Map<String, Long>> claims = new HashMap<>();

    private InMemoryDeduplicationStore(int maxEntries, Duration maxAge, Clock clock) {
        List<String> problems = new ArrayList<>();
        if (maxEntries < 1 || maxEntries > (1 << 28)) {
            problems.add("deduplication maxEntries must be between 1 and 268435456, was " + maxEntries);
        }
        if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
            problems.add("deduplication maxAge must be positive, was " + maxAge);
        }
        if (clock == null) {
            problems.add("deduplication clock must not be null");
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        this.maxEntries = maxEntries;
        this.maxAgeMillis = maxAge.toMillis();
        this.clock = clock;
    }

    /**
     * A store with the defaults: 200,000 ids per service, for one hour.
     *
     * @return a new, empty store
     */
    public static InMemoryDeduplicationStore ofDefaults() {
        return new InMemoryDeduplicationStore(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_AGE, Clock.systemUTC());
    }

    /**
     * A store that remembers at most {@code maxEntries} ids per service, each for at most {@code maxAge}.
     * Room for {@code maxEntries} ids is allocated per service at its first claim (35 to 38 bytes each,
     * measured by the {@code dedup-memory} benchmark).
     *
     * @param maxEntries done ids per service, 1 to 2^28
     * @param maxAge     how long a done id is remembered; positive
     * @return a new, empty store
     * @throws ConfigurationException naming every invalid argument at once
     */
    public static InMemoryDeduplicationStore of(int maxEntries, Duration maxAge) {
        return new InMemoryDeduplicationStore(maxEntries, maxAge, Clock.systemUTC());
    }

    /**
     * As {@link #of(int, Duration)} with a clock, for tests.
     *
     * @param maxEntries done ids per service, 1 to 2^28
     * @param maxAge     how long a done id is remembered; positive
     * @param clock      measures ages and leases; never null
     * @return a new, empty store
     * @throws ConfigurationException naming every invalid argument at once
     */
    public static InMemoryDeduplicationStore of(int maxEntries, Duration maxAge, Clock clock) {
        return new InMemoryDeduplicationStore(maxEntries, maxAge, clock);
    }

    @Override
    public synchronized Claim claim(String service, String messageId, Duration lease) {
        long now = clock.millis();
        DoneSet set = done.computeIfAbsent(service, s -> new DoneSet(maxEntries));
        set.expire(now - maxAgeMillis);
        if (set.contains(messageId)) {
            return Claim.DONE;
        }
        Map<String, Long> mine = claims.computeIfAbsent(service, s -> new HashMap<>());
        Long until = mine.get(messageId);
        if (until != null && until > now) {
            return Claim.IN_PROGRESS;
        }
        mine.put(messageId, now + lease.toMillis());
        return Claim.ACQUIRED;
    }

    @Override
    public synchronized void complete(String service, String messageId) {
        long now = clock.millis();
        unclaim(service, messageId);
        DoneSet set = done.computeIfAbsent(service, s -> new DoneSet(maxEntries));
        set.expire(now - maxAgeMillis);
        set.add(messageId, now);
    }

    @Override
    public synchronized void release(String service, String messageId) {
        unclaim(service, messageId);
    }

    private void unclaim(String service, String messageId) {
        Map<String, Long> mine = claims.get(service);
        if (mine != null) {
            mine.remove(messageId);
        }
    }

    /**
     * Ids remembered as done for {@code service} (for tests and metrics).
     *
     * @param service the service; never null
     * @return how many done ids are remembered (expired ones may still count until the service's next claim or complete)
     */
    public synchronized int size(String service) {
        DoneSet set = done.get(service);
        return set == null ? 0 : set.size;
    }

    /**
     * Claims in progress across all services.
     *
     * @return claims neither completed nor released (expired leases count until replaced)
     */
    public synchronized int claimsInProgress() {
        return claims.values().stream().mapToInt(Map::size).sum();
    }

    /**
     * A FIFO ring of 128-bit keys with an open-addressing index into it. An index entry holds its
     * ring slot + 1 in the low bits and, in the bits the capacity leaves free, a tag from the key's
     * hash: a probe compares the tag first and reads the ring (another cache miss) only on a match.
     */
    private static final class DoneSet {
        private final long[] hi;
        private final long[] lo;
        private final long[] at;
        private final int[] index; // tag << slotBits | (ring slot + 1); 0 = empty
        private final int mask;
        private final int slotBits;
        private final int slotMask;
        private final int tagMask;
        private int head;
        private int size;

        DoneSet(int capacity) {
            hi = new long[capacity];
            lo = new long[capacity];
            at = new long[capacity];
            int tableSize = Integer.highestOneBit(Math.max(2, capacity) * 2 - 1) << 1;
            index = new int[tableSize];
            mask = tableSize - 1;
            slotBits = 32 - Integer.numberOfLeadingZeros(capacity); // slot + 1 <= capacity
            slotMask = (int) ((1L << slotBits) - 1);
            tagMask = (int) ((1L << (32 - slotBits)) - 1);
        }

        // the key of the id last measured: a claim and its completion pass the same String, measured once
        private String keyOf;
        private long keyHi;
        private long keyLo;

        /** Sets keyHi/keyLo to the 128-bit key of {@code id} (called under the store's lock). */
        private void key(String id) {
            if (id == keyOf) {
                return;
            }
            long[] k = key128(id);
            keyHi = k[0];
            keyLo = k[1];
            keyOf = id;
        }

        boolean contains(String id) {
            key(id);
            return find(keyHi, keyLo) >= 0;
        }

        void add(String id, long now) {
            key(id);
            long kh = keyHi;
            long kl = keyLo;
            if (find(kh, kl) >= 0) {
                return;
            }
            if (size == hi.length) {
                evictOldest();
            }
            int slot = (head + size) % hi.length;
            hi[slot] = kh;
            lo[slot] = kl;
            at[slot] = now;
            size++;
            long x = hash(kh, kl);
            int b = (int) x & mask;
            while (index[b] != 0) {
                b = (b + 1) & mask;
            }
            index[b] = tag(x) << slotBits | (slot + 1);
        }

        void expire(long cutoff) {
            while (size > 0 && at[head] < cutoff) {
                evictOldest();
            }
        }

        private void evictOldest() {
            int slot = head;
            int b = bucket(hi[slot], lo[slot]);
            while ((index[b] & slotMask) != slot + 1) {
                b = (b + 1) & mask;
            }
            removeAt(b);
            head = (head + 1) % hi.length;
            size--;
        }

        /** Backward-shift deletion keeps linear probing correct without tombstones. */
        private void removeAt(int b) {
            int hole = b;
            int j = b;
            while (true) {
                j = (j + 1) & mask;
                int v = index[j];
                if (v == 0) {
                    break;
                }
                int s = (v & slotMask) - 1;
                int home = bucket(hi[s], lo[s]);
                boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                    index[hole] = v;
                    hole = j;
                }
            }
            index[hole] = 0;
        }

        private int find(long h, long l) {
            long x = hash(h, l);
            int b = (int) x & mask;
            int t = tag(x);
            while (true) {
                int v = index[b];
                if (v == 0) {
                    return -1;
                }
                if (v >>> slotBits == t) {
                    int s = (v & slotMask) - 1;
                    if (hi[s] == h && lo[s] == l) {
                        return s;
                    }
                }
                b = (b + 1) & mask;
            }
        }

        private int bucket(long h, long l) {
            return (int) hash(h, l) & mask;
        }

        /** The key's hash: its low bits choose the bucket, its high bits give the tag. */
        private static long hash(long h, long l) {
            long x = h * 0x9E3779B97F4A7C15L ^ l;
            x ^= x >>> 31;
            x *= 0xBF58476D1CE4E5B9L;
            x ^= x >>> 29;
            return x;
        }

        private int tag(long x) {
            return (int) (x >>> 32) & tagMask;
        }

        static long[] key128(String id) {
            if (id.length() == 36 && id.charAt(8) == '-' && id.charAt(13) == '-') {
                if (id.charAt(18) == '-' && id.charAt(23) == '-') {
                    // the canonical form, read as UUID.fromString reads it; anything else goes the slow way below
                    long a = hex(id, 0, 8);
                    long b = hex(id, 9, 13);
                    long c = hex(id, 14, 18);
                    long d = hex(id, 19, 23);
                    long e = hex(id, 24, 36);
                    if ((a | b | c | d | e) >= 0) {
                        return new long[] {a << 32 | b << 16 | c, d << 48 | e};
                    }
                }
                try {
                    UUID u = UUID.fromString(id);
                    return new long[] {u.getMostSignificantBits(), u.getLeastSignificantBits()};
                } catch (IllegalArgumentException notAUuid) {
                    // fall through to hashing
                }
            }
            long h1 = 0xcbf29ce484222325L;
            long h2 = 0x84222325cbf29ce4L;
            for (int i = 0; i < id.length(); i++) {
                char c = id.charAt(i);
                h1 = (h1 ^ c) * 0x100000001b3L;
                h2 = (h2 + c) * 0xff51afd7ed558ccdL;
                h2 ^= h2 >>> 33;
            }
            h1 ^= id.length();
            h1 = mix(h1);
            h2 = mix(h2 ^ h1);
            return new long[] {h1 ^ 0x5bd1e9955bd1e995L, h2};
        }

        /**
         * The value of the ASCII hex digits {@code id[from, to)} (at most 12, so never negative); -1 when
         * one is not an ASCII hex digit.
         */
        private static long hex(String id, int from, int to) {
            long v = 0;
            for (int i = from; i < to; i++) {
                char c = id.charAt(i);
                int d;
                if (c >= '0' && c <= '9') {
                    d = c - '0';
                } else if (c >= 'a' && c <= 'f') {
                    d = c - 'a' + 10;
                } else if (c >= 'A' && c <= 'F') {
                    d = c - 'A' + 10;
                } else {
                    return -1L;
                }
                v = v << 4 | d;
            }
            return v;
        }

        private static long mix(long x) {
            x ^= x >>> 33;
            x *= 0xff51afd7ed558ccdL;
            x ^= x >>> 33;
            x *= 0xc4ceb9fe1a85ec53L;
            x ^= x >>> 33;
            return x;
        }
    }
}
