package dev.courier.kafka;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.StaleMemberEpochException;
import org.apache.kafka.common.errors.UnknownMemberIdException;

import java.util.Map;
import java.util.function.Predicate;

/**
 * What a subscription does when an asynchronous offset commit fails. A commit that a rebalance overtook
 * (the member's epoch moved on, or it is no longer a member) is expected: a partition the member still owns
 * is committed again with the new epoch, and a partition it gave up has its records read again by the next
 * owner from the last commit that succeeded (the bus's deduplication makes the repeats no-ops). A retriable
 * failure (the coordinator moved or is loading) is committed again too. Nothing is ever skipped: a commit only
 * names the offset below which every delivered record was settled ({@link OffsetTracker}).
 */
final class CommitFailures {
    private CommitFailures() {
    }

    /**
     * Whether {@code e} (or a cause) says a rebalance overtook the commit.
     *
     * @param e the commit's failure
     * @return true for {@link CommitFailedException}, {@link RebalanceInProgressException},
     *         {@link StaleMemberEpochException} and {@link UnknownMemberIdException}
     */
    static boolean overtakenByRebalance(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof CommitFailedException || c instanceof RebalanceInProgressException
                    || c instanceof StaleMemberEpochException || c instanceof UnknownMemberIdException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether the failed offsets are to be committed again (for the partitions still owned).
     *
     * @param e the commit's failure
     * @return true when a rebalance overtook it or it is retriable
     */
    static boolean commitAgain(Throwable e) {
        if (overtakenByRebalance(e)) {
            return true;
        }
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof RetriableException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Queues the failed offsets again for the partitions the member still owns, unless a later offset of the
     * partition is queued already (it covers the failed one).
     *
     * @param failed the offsets whose commit failed
     * @param queued the offsets to commit on the next turn; changed
     * @param owned whether the member still owns a partition
     * @return how many partitions were queued again
     */
    static int requeue(Map<TopicPartition, OffsetAndMetadata> failed, Map<TopicPartition, OffsetAndMetadata> queued,
                       Predicate<TopicPartition> owned) {
        int n = 0;
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : failed.entrySet()) {
            if (!owned.test(e.getKey())) {
                continue;
            }
            OffsetAndMetadata later = queued.get(e.getKey());
            if (later == null || later.offset() < e.getValue().offset()) {
                queued.put(e.getKey(), e.getValue());
                n++;
            }
        }
        return n;
    }
}
