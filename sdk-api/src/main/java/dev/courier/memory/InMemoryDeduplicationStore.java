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
    private final Map<String, Service> services = new HashMap<>();
    // the service last used (a bus passes the same String every time): skips the map lookup
    private String lastName;
    private Service last;

    // the 128-bit key of the id last measured: a claim and its completion pass the same String, measured once
    private String keyOf;
    private long keyHi;
    private long keyLo;

    /** A service's done ids and its claims in progress, both keyed by an id's 128-bit key. */
    private final class Service {
        final DoneSet done = new DoneSet(maxEntries);
        final ClaimTable claims = new ClaimTable();
    }

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
        Service svc = service(service);
        DoneSet set = svc.done;
        set.expire(now - maxAgeMillis);
        key(messageId);
        long kh = keyHi;
        long kl = keyLo;
        if (set.contains(kh, kl)) {
            return Claim.DONE;
        }
        return svc.claims.claim(kh, kl, now, now + lease.toMillis()) ? Claim.ACQUIRED : Claim.IN_PROGRESS;
    }

    @Override
    public synchronized void complete(String service, String messageId) {
        long now = clock.millis();
        Service svc = service(service);
        key(messageId);
        svc.claims.remove(keyHi, keyLo);
        svc.done.expire(now - maxAgeMillis);
        svc.done.add(keyHi, keyLo, now);
    }

    @Override
    public synchronized void release(String service, String messageId) {
        Service svc = services.get(service);
        if (svc != null) {
            key(messageId);
            svc.claims.remove(keyHi, keyLo);
        }
    }

    /** The service's state, created at its first use (with room for maxEntries done ids). */
    private Service service(String name) {
        if (name == lastName && last != null) {
            return last;
        }
        Service svc = services.computeIfAbsent(name, n -> new Service());
        lastName = name;
        last = svc;
        return svc;
    }

    /** Sets keyHi/keyLo to the 128-bit key of {@code id} (under the store's lock). */
    private void key(String id) {
        if (id == keyOf) {
            return;
        }
        DoneSet.key128(id, this);
        keyOf = id;
    }

    /**
     * Ids remembered as done for {@code service} (for tests and metrics).
     *
     * @param service the service; never null
     * @return how many done ids are remembered (expired ones may still count until the service's next claim or complete)
     */
    public synchronized int size(String service) {
        Service svc = services.get(service);
        return svc == null ? 0 : svc.done.size;
    }

    /**
     * Claims in progress across all services.
     *
     * @return claims neither completed nor released (expired leases count until replaced)
     */
    public synchronized int claimsInProgress() {
        int n = 0;
        for (Service svc : services.values()) {
            n += svc.claims.size;
        }
        return n;
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

        boolean contains(long h, long l) {
            return find(h, l) >= 0;
        }

        void add(long kh, long kl, long now) {
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
        static long hash(long h, long l) {
            long x = h * 0x9E3779B97F4A7C15L ^ l;
            x ^= x >>> 31;
            x *= 0xBF58476D1CE4E5B9L;
            x ^= x >>> 29;
            return x;
        }

        private int tag(long x) {
            return (int) (x >>> 32) & tagMask;
        }

        /** Sets {@code into.keyHi/keyLo} to the 128-bit key of {@code id}: a canonical UUID's bits, else a 128-bit hash. */
        static void key128(String id, InMemoryDeduplicationStore into) {
            if (id.length() == 36 && id.charAt(8) == '-' && id.charAt(13) == '-') {
                if (id.charAt(18) == '-' && id.charAt(23) == '-') {
                    // the canonical form, read as UUID.fromString reads it; anything else goes the slow way below
                    long a = hex(id, 0, 8);
                    long b = hex(id, 9, 13);
                    long c = hex(id, 14, 18);
                    long d = hex(id, 19, 23);
                    long e = hex(id, 24, 36);
                    if ((a | b | c | d | e) >= 0) {
                        into.keyHi = a << 32 | b << 16 | c;
                        into.keyLo = d << 48 | e;
                        return;
                    }
                }
                try {
                    UUID u = UUID.fromString(id);
                    into.keyHi = u.getMostSignificantBits();
                    into.keyLo = u.getLeastSignificantBits();
                    return;
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
            into.keyHi = h1 ^ 0x5bd1e9955bd1e995L;
            into.keyLo = h2;
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

    /**
     * Claims in progress: an open-addressing table of 128-bit keys and their lease ends (no String
     * hash, no boxed time, no node per claim; a handful of entries, as many as messages in progress).
     * Grows at half full; removal shifts back, so no tombstones.
     */
    private static final class ClaimTable {
        private long[] hi = new long[16];
        private long[] lo = new long[16];
        private long[] until = new long[16];
        private boolean[] used = new boolean[16];
        private int size;

        /** Takes the claim unless one that has not expired holds the key; true when taken. */
        boolean claim(long h, long l, long now, long leaseEnd) {
            int mask = hi.length - 1;
            int b = (int) DoneSet.hash(h, l) & mask;
            while (used[b]) {
                if (hi[b] == h && lo[b] == l) {
                    if (until[b] > now) {
                        return false;
                    }
                    until[b] = leaseEnd; // an expired lease is taken over
                    return true;
                }
                b = (b + 1) & mask;
            }
            used[b] = true;
            hi[b] = h;
            lo[b] = l;
            until[b] = leaseEnd;
            if (++size * 2 > hi.length) {
                grow();
            }
            return true;
        }

        void remove(long h, long l) {
            if (size == 0) {
                return;
            }
            int mask = hi.length - 1;
            int b = (int) DoneSet.hash(h, l) & mask;
            while (used[b]) {
                if (hi[b] == h && lo[b] == l) {
                    removeAt(b, mask);
                    size--;
                    return;
                }
                b = (b + 1) & mask;
            }
        }

        /** Backward-shift deletion, as in DoneSet. */
        private void removeAt(int b, int mask) {
            int hole = b;
            int j = b;
            while (true) {
                j = (j + 1) & mask;
                if (!used[j]) {
                    break;
                }
                int home = (int) DoneSet.hash(hi[j], lo[j]) & mask;
                boolean movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
                if (movable) {
                    hi[hole] = hi[j];
                    lo[hole] = lo[j];
                    until[hole] = until[j];
                    hole = j;
                }
            }
            used[hole] = false;
        }

        private void grow() {
            long[] oh = hi;
            long[] ol = lo;
            long[] ou = until;
            boolean[] ob = used;
            int n = oh.length * 2;
            hi = new long[n];
            lo = new long[n];
            until = new long[n];
            used = new boolean[n];
            int mask = n - 1;
            for (int i = 0; i < oh.length; i++) {
                if (ob[i]) {
                    int b = (int) DoneSet.hash(oh[i], ol[i]) & mask;
                    while (used[b]) {
                        b = (b + 1) & mask;
                    }
                    used[b] = true;
                    hi[b] = oh[i];
                    lo[b] = ol[i];
                    until[b] = ou[i];
                }
            }
        }
    }
}
