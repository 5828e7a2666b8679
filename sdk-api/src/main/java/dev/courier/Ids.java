package dev.courier;

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

    /**
     * The id of the {@code sequence}-th message that service {@code service} produced while handling
     * {@code parentId}: a name-based UUID of {@code service/parentId/sequence}. Deterministic, so a re-run
     * of the same handler repeats it; distinct for two services that handle the same message (service
     * names contain no '/', and the sequence is digits only, so the name is unambiguous). The handled
     * message's type is left out: deduplication is per (service, id), so one service handles an id at
     * most once, whatever its type, and (service, handled id) already names exactly one handler run.
     */
    static String derived(String service, String parentId, int sequence) {
        return UUID.nameUUIDFromBytes((service + '/' + parentId + '/' + sequence).getBytes(StandardCharsets.UTF_8))
                .toString();
    }
}
