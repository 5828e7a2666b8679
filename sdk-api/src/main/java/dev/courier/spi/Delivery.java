package dev.courier.spi;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One message handed to a subscriber. Exactly one of {@link #ack}, {@link #reject} or
 * {@link #redeliverLater} settles it; settling twice is a no-op. Futures fail, they never throw.
 */
public interface Delivery {

    /** Where the message was delivered from (the subscription's address, without group). */
    Address address();

    /** The group (service) this delivery belongs to. */
    String group();

    Map<String, String> headers();

    byte[] body();

    /** True when the broker says it may have delivered this message before. */
    boolean redelivered();

    /** Removes the message for good. */
    CompletableFuture<Void> ack();

    /** Gives the message back: with {@code requeue} it is delivered again, without it it is dropped. */
    CompletableFuture<Void> reject(boolean requeue);

    /**
     * Brings the message back to this group only, with {@code headers} instead of the original
     * ones, after {@code delay}, and settles this delivery once that is durable. The consumer slot
     * is free meanwhile: no thread waits for the delay.
     */
    CompletableFuture<Void> redeliverLater(Map<String, String> headers, Duration delay);
}
