package dev.courier.asyncapi;

import dev.courier.CourierException;
import dev.courier.MessageBus;
import dev.courier.asyncapi.Shop.PaymentRefunded;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract covers what a service sends only if the service declares it: publishing an
 * undeclared type works but warns once per type, and strictProduces(true) makes it an error.
 */
class ProducesTest {

    private static final String WARNING = "without declaring it with produces(...)";

    @Test
    void publishingAnUndeclaredTypeWarnsOnce() throws Exception {
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (MessageBus bus = Shop.ordering("memory:produces-" + UUID.randomUUID()).build().start()) {
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            bus.publish(new PaymentRefunded("o-1")).get(10, TimeUnit.SECONDS);
            bus.publish(new PaymentRefunded("o-2")).get(10, TimeUnit.SECONDS);
        } finally {
            System.setErr(err);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertEquals(1, log.split(java.util.regex.Pattern.quote(WARNING), -1).length - 1, log);
        assertTrue(log.contains("v1.payment.refunded"), log);
    }

    @Test
    void strictProducesMakesItAnError() {
        try (MessageBus bus = Shop.ordering("memory:produces-" + UUID.randomUUID()).strictProduces(true).build().start()) {
            Throwable failure = null;
            try {
                bus.publish(new PaymentRefunded("o-1")).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                failure = e instanceof java.util.concurrent.ExecutionException || e instanceof CompletionException
                        ? e.getCause() : e;
            }
            assertInstanceOf(CourierException.class, failure);
            assertTrue(failure.getMessage().contains(WARNING), failure.getMessage());
        }
    }
}
