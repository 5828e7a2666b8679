package dev.courier.kafka;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The commit rule: an offset is committed only when every earlier delivered record of its partition is settled. */
class OffsetTrackerTest {

    @Test
    void anOffsetIsCommittedOnlyWhenEveryEarlierRecordIsSettled() {
        OffsetTracker t = new OffsetTracker();
        for (long o = 10; o <= 14; o++) {
            t.delivered(o);
        }
        assertEquals(-1, t.settled(12), "12 settled while 10 and 11 are open: nothing to commit");
        assertEquals(-1, t.settled(11), "10 still open");
        assertEquals(13, t.settled(10), "10, 11, 12 settled: the group reads from 13 next");
        assertEquals(15, t.settled(14) < 0 ? t.settled(13) : -2, "13 and 14 settled: commit 15");
        assertEquals(0, t.open());
    }

    @Test
    void gapsInOffsetsDoNotHoldTheCommitBack() {
        OffsetTracker t = new OffsetTracker();
        t.delivered(3);
        t.delivered(7); // 4..6 are compacted away or transaction markers: never delivered
        assertEquals(4, t.settled(3));
        assertEquals(8, t.settled(7));
    }

    @Test
    void aSettleOfAnUnknownOrRepeatedOffsetChangesNothing() {
        OffsetTracker t = new OffsetTracker();
        t.delivered(0);
        t.delivered(1);
        assertEquals(-1, t.settled(5), "never delivered");
        assertEquals(1, t.settled(0));
        assertEquals(-1, t.settled(0), "settled twice");
        assertEquals(1, t.committable());
        assertEquals(1, t.open(), "1 still open: a crash now brings back 1, never skips it");
    }
}
