package dev.courier.internal;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Message ids: random UUIDs for root messages, name-based UUIDs for derived ones. Internal. */
final class Ids {
    private Ids() {
    }

    static String random() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }

    /** The id of the {@code sequence}-th message produced while handling {@code parentId}. */
    static String derived(String parentId, int sequence) {
        return UUID.nameUUIDFromBytes((parentId + '/' + sequence).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
