package dev.courier;

import ch.qos.logback.classic.Level;
import dev.courier.spi.Address;
import dev.courier.spi.Headers;
import dev.courier.testing.LogCapture;
import dev.courier.testing.RecordingDelivery;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A Lane never leaves a delivery unsettled: whatever goes wrong, the message is given back and it says so. */
class LaneTest {
    private static final String LOGGER = "dev.courier.test.lane";
    private static final Executor DIRECT = Runnable::run;

    private static RecordingDelivery delivery(String id) {
        return new RecordingDelivery(Address.event("v1.test.happened"), Map.of(Headers.ID, id, Headers.TYPE, "v1.test.happened"),
                new byte[0]);
    }

    private static Lane lane(Executor executor, java.util.function.Function<dev.courier.spi.Delivery, CompletableFuture<?>> pipeline) {
        return new Lane(executor, 2, pipeline, LoggerFactory.getLogger(LOGGER), "v1.test.happened of 'svc'");
    }

    @Test
    void aPipelineThatThrowsGivesTheMessageBackAndLogsIt() {
        try (LogCapture log = LogCapture.of(LOGGER)) {
            Lane lane = lane(DIRECT, d -> {
                throw new IllegalStateException("bug in a pipeline step");
            });
            RecordingDelivery d = delivery("m-1");
            lane.submit(d);
            assertEquals(List.of("reject(true)"), d.settles(), "the delivery must be given back, never left unsettled");
            assertEquals(0, lane.outstanding());
            List<String> errors = log.messages(Level.ERROR, "m-1");
            assertEquals(1, errors.size(), "one ERROR naming the message: " + log.dump());
            assertTrue(errors.get(0).contains("v1.test.happened of 'svc'"), errors.toString());
        }
    }

    @Test
    void aPipelineWhoseOutcomeFailsGivesTheMessageBackAndLogsIt() {
        try (LogCapture log = LogCapture.of(LOGGER)) {
            CompletableFuture<Void> outcome = new CompletableFuture<>();
            Lane lane = lane(DIRECT, d -> outcome);
            RecordingDelivery d = delivery("m-2");
            lane.submit(d);
            assertEquals(List.of(), d.settles());
            assertEquals(1, lane.outstanding());
            outcome.completeExceptionally(new IllegalStateException("a step failed late"));
            assertEquals(List.of("reject(true)"), d.settles());
            assertEquals(0, lane.outstanding());
            assertEquals(1, log.count(Level.WARN, "m-2"), log.dump());
        }
    }

    @Test
    void anExecutorThatRejectsWorkGivesEveryQueuedMessageBack() {
        try (LogCapture log = LogCapture.of(LOGGER)) {
            Executor full = r -> {
                throw new RejectedExecutionException("queue full");
            };
            Lane lane = lane(full, d -> CompletableFuture.completedFuture(null));
            RecordingDelivery a = delivery("m-3");
            RecordingDelivery b = delivery("m-4");
            lane.submit(a);
            lane.submit(b);
            assertEquals(List.of("reject(true)"), a.settles(), "a message the executor refused is given back");
            assertEquals(List.of("reject(true)"), b.settles());
            assertEquals(0, lane.outstanding(), "nothing is stranded in the lane");
            assertEquals(2, log.count(Level.ERROR, "rejected"), log.dump());
        }
    }

    @Test
    void laterMessagesStillRunAfterAFailure() {
        Lane lane = lane(DIRECT, d -> {
            if (d.headers().get(Headers.ID).equals("bad")) {
                throw new IllegalStateException("bad");
            }
            return d.ack();
        });
        RecordingDelivery bad = delivery("bad");
        RecordingDelivery good = delivery("good");
        try (LogCapture ignored = LogCapture.of(LOGGER)) {
            lane.submit(bad);
            lane.submit(good);
        }
        assertEquals(List.of("reject(true)"), bad.settles());
        assertEquals(List.of("ack"), good.settles());
    }
}
