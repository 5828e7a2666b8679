package dev.courier.kafka;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.CoordinatorNotAvailableException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.StaleMemberEpochException;
import org.apache.kafka.common.errors.UnknownMemberIdException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CommitFailuresTest {
    private static final TopicPartition A = new TopicPartition("t", 0);
    private static final TopicPartition B = new TopicPartition("t", 1);

    @Test
    void aCommitOvertakenByARebalanceIsExpectedAndCommittedAgain() {
        for (Exception e : new Exception[]{new CommitFailedException(), new RebalanceInProgressException("r"),
                new StaleMemberEpochException("s"), new UnknownMemberIdException("u"),
                new KafkaException("wrapped", new StaleMemberEpochException("s"))}) {
            assertTrue(CommitFailures.overtakenByRebalance(e), () -> e + " is a rebalance overtaking the commit");
            assertTrue(CommitFailures.commitAgain(e), () -> e + " must be committed again for the owned partitions");
        }
    }

    @Test
    void aRetriableFailureIsCommittedAgainAndOthersAreNot() {
        Exception retriable = new RetriableCommitFailedException(new CoordinatorNotAvailableException("c"));
        assertFalse(CommitFailures.overtakenByRebalance(retriable));
        assertTrue(CommitFailures.commitAgain(retriable));
        Exception fatal = new GroupAuthorizationException("no");
        assertFalse(CommitFailures.overtakenByRebalance(fatal));
        assertFalse(CommitFailures.commitAgain(fatal), "an authorization failure does not heal by committing again");
    }

    @Test
    void failedOffsetsAreQueuedAgainOnlyForOwnedPartitionsAndNeverOverALaterOne() {
        Map<TopicPartition, OffsetAndMetadata> queued = new HashMap<>();
        queued.put(B, new OffsetAndMetadata(9));
        Map<TopicPartition, OffsetAndMetadata> failed = Map.of(A, new OffsetAndMetadata(5, "courier:delivered=7"),
                B, new OffsetAndMetadata(4), new TopicPartition("t", 2), new OffsetAndMetadata(3));
        int n = CommitFailures.requeue(failed, queued, Set.of(A, B)::contains);
        assertEquals(1, n);
        assertEquals(new OffsetAndMetadata(5, "courier:delivered=7"), queued.get(A), "an owned partition's failed"
                + " commit is queued again, with its metadata");
        assertEquals(9, queued.get(B).offset(), "a later queued offset covers the failed one: never moved back");
        assertEquals(2, queued.size(), "a partition given up is not committed again (its next owner reads it)");
    }
}
