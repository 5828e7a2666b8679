package dev.courier;

import dev.courier.spi.DeduplicationStore;
import dev.courier.spi.Transport;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/** Everything the builder validated, handed to the bus in one piece. Internal. */
record BusSettings(
        String service,
        String instanceId,
        Transport transport,
        Registry registry,
        List<Subscription> subscriptions,
        dev.courier.spi.PayloadCodec codec,
        RetryPolicy retryPolicy,
        DeadLetterPolicy deadLetterPolicy,
        DeduplicationStore deduplicationStore,
        Duration claimLease,
        int concurrency,
        int prefetch,
        Executor handlerExecutor,
        ScheduledExecutorService scheduler,
        Clock clock,
        Duration publishTimeout,
        Duration startTimeout,
        Duration closeTimeout,
        List<BusListener> listeners,
        List<Interceptor> interceptors,
        boolean strictProduces) {

    /** One handler registration. */
    public record Subscription(MessageType type, Handler<Object> handler) {
    }
}
