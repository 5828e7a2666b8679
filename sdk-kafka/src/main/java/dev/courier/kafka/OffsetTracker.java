package dev.courier.kafka;

import java.util.Map;
import java.util.TreeMap;

/**
 * The commit rule of one partition: an offset is committed only when every earlier record of the
 * partition that was delivered is settled (acked, rejected, or moved to a retry or requeue topic). Records
 * settle in any order; the committable offset is the lowest offset still open, or one past the highest
 * settled when none is open. So a crash never skips an unsettled record (it comes again to the group) and
 * never loses a settled one — it may bring back settled records after the lowest open one (the bus's
 * deduplication makes those no-ops). Not thread-safe: used by the partition's polling thread only.
 */
final class OffsetTracker {
    private final TreeMap<Long, Boolean> open = new TreeMap<>();
    private long committable = -1;
    private long highestDelivered = -1;

    /**
     * A record was handed out.
     *
     * @param offset its offset; increasing per partition
     */
    void delivered(long offset) {
        open.putIfAbsent(offset, Boolean.FALSE);
        highestDelivered = Math.max(highestDelivered, offset);
    }

    /**
     * A record was settled.
     *
     * @param offset its offset
     * @return the offset to commit now (the next record the group reads), or -1 when it did not advance
     */
    long settled(long offset) {
        if (!open.containsKey(offset)) {
            return -1;
        }
        open.put(offset, Boolean.TRUE);
        long next = -1;
        Map.Entry<Long, Boolean> head;
        while ((head = open.firstEntry()) != null && head.getValue()) {
            open.pollFirstEntry();
            next = head.getKey() + 1;
        }
        if (next < 0) {
            return -1;
        }
        committable = next;
        return next;
    }

    /** @return the highest offset committable so far, or -1 */
    long committable() {
        return committable;
    }

    /**
     * What to commit when this member gives the partition up (a rebalance, a close): the committable offset,
     * or else the lowest open record (so the commit can carry {@link #highestDelivered()} to the next owner).
     *
     * @return the offset, or -1 when nothing was delivered
     */
    long handOver() {
        if (committable >= 0) {
            return committable;
        }
        return open.isEmpty() ? -1 : open.firstKey();
    }

    /** @return the highest offset handed out so far, or -1 */
    long highestDelivered() {
        return highestDelivered;
    }

    /** @return how many delivered records are not settled or wait behind an unsettled one */
    int open() {
        return open.size();
    }
}
