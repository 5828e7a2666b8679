package dev.courier.spi;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Moves bytes with headers between addresses and groups, and confirms. A transport knows nothing
 * of types, retries or deduplication: the bus does that once for every transport.
 *
 * <p>Rules every implementation keeps (the conformance kit checks them):
 * <ul>
 *   <li>All methods are thread safe.</li>
 *   <li>{@link #publish} completes its future only when the broker has taken responsibility for
 *       the message (publisher confirm, PUBACK, hub ack); it fails the future, never throws, when it
 *       cannot: broker refused, unroutable command/reply/dead letter, closed, or the publish timeout
 *       of {@link TransportContext#publishTimeout()} passed while waiting for room or a confirm.</li>
 *   <li>{@link #publish} never blocks its caller longer than the publish timeout, and never blocks a
 *       thread the transport delivers on (inside a {@link DeliveryCallback}, or a thread that completes
 *       the transport's futures): there it returns a pending future instead of waiting for room or for
 *       the connection, because what it would wait for may depend on that thread. On other threads it
 *       may wait for room (back-pressure), up to the publish timeout.</li>
 *   <li>Publishes from one thread reach the broker in the order they were made, also when they
 *       waited for the connection during an outage (and were sent again after a reconnect).</li>
 *   <li>Header names are CloudEvents attribute names; values are strings. The transport maps them
 *       to its binding and gives them back unchanged on delivery.</li>
 *   <li>A delivery that is neither acked nor rejected is given back when its consumer goes away
 *       (transport closed, connection lost) and delivered again to the group, flagged
 *       {@link Delivery#redelivered()}. Settling, closing a subscription: see {@link Delivery} and
 *       {@link TransportSubscription}.</li>
 * </ul>
 */
public interface Transport extends AutoCloseable {

    /** Connects. Called once by the bus before any other method. Fails with a clear exception. */
    void start(TransportContext context);

    /** Publishes one message; see the class comment for how the future completes. */
    CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body);

    /**
     * Starts delivering messages for {@code address} to {@code callback}. Instances that subscribe
     * with the same group compete; different groups each get their own copy of an event. At most
     * {@code prefetch} deliveries are outstanding (neither acked nor rejected) at a time.
     */
    TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback);

    /** The durable dead-letter channel of one service, for listing and removing dead letters. */
    DeadLetterChannel deadLetters(String service);

    /** True while the transport is connected to its broker (or, in memory, open). */
    boolean isConnected();

    /** What this transport can do; the conformance kit skips, with a reason, what it cannot. */
    Set<Capability> capabilities();

    /** A short description for logs and health, never with credentials. */
    String describe();

    /** The protocol for contracts (AsyncAPI {@code servers}): {@code amqp}, {@code mqtt}, {@code ws}, {@code memory}. */
    default String protocol() {
        return "memory";
    }

    /** The host and port (or address list) for contracts; never credentials. Null when there is none. */
    default String host() {
        return null;
    }

    /**
     * How an address appears on this transport's wire, for contracts and docs: for example
     * {@code exchange}/{@code routingKey}/{@code queue} on AMQP, {@code topic} on MQTT. {@code group}
     * is the consuming service, or null for the publishing side.
     */
    default Map<String, String> wireAddress(Address address, String group) {
        return Map.of("address", address.toString());
    }

    /**
     * Stops deliveries, gives back every unsettled delivery (settling one afterwards fails: it is
     * stale), waits for outstanding confirms and for settlements already handed to the connection up
     * to a bound, and disconnects. Idempotent and bounded. Afterwards no thread the transport or its
     * client library started keeps the JVM alive, and nothing is logged as an error.
     */
    @Override
    void close();
}
