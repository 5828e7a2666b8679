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
 *       thread the transport delivers on (see {@link #publish}).</li>
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

    /**
     * Connects. Called once by the bus, on the thread that starts the bus, before any other method;
     * it blocks until the transport is ready (or failed). Fails with a clear exception (typically a
     * {@link dev.courier.CourierException} naming the broker and the cause), never silently.
     *
     * @param context who is connecting (service, instance) and the bus's settings the transport
     *                needs (publish timeout, clock); never null
     */
    void start(TransportContext context);

    /**
     * Publishes one message; see the class comment for how the future completes.
     *
     * <p>Blocking: it may block the calling thread only while it waits for room or for a connection
     * (back-pressure), never longer than the publish timeout, and never for the confirm — and never
     * on a thread the transport delivers on (inside a {@link DeliveryCallback}, or a thread that
     * completes the transport's futures): there it returns a pending future at once, because the room
     * it would wait for may depend on that very thread. So it may be called from any thread, a
     * delivery callback's included, without deadlocking; a publish that finds no room in time fails
     * its future with {@link dev.courier.PublishTimeoutException}. (Kit: {@code PublishCases}.)
     *
     * <p>Size: the bus has checked the message against {@link #limits()} before calling this. A
     * transport need not check again, but a message the broker refuses anyway must fail this
     * message's future only, never throw and never disturb other publishes.
     *
     * <p>Thread: the future completes on a thread of the transport (a confirm-completion thread; in
     * memory, the thread that made room in a full queue), never on a client library's socket I/O
     * thread, or is already complete when returned (taken at once, refused at once, transport
     * closed). Code chained on it must not block.
     *
     * @param to      where the message goes; never null
     * @param headers CloudEvents attributes by name, string values; never null, not modified
     * @param body    the encoded payload; never null (may be empty), not modified
     * @return a future that completes normally (with null) once the broker has taken responsibility,
     *         or exceptionally with a {@link dev.courier.PublishTimeoutException} (no room or no
     *         confirm within the publish timeout) or another {@link dev.courier.PublishException}
     *         (refused, unroutable, closed)
     */
    CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body);

    /**
     * Starts delivering messages for {@code address} to {@code callback}. Instances that subscribe
     * with the same group compete; different groups each get their own copy of an event. At most
     * {@code prefetch} deliveries are outstanding (neither acked nor rejected) at a time.
     *
     * <p>The callback runs on a thread the transport chooses, possibly already during this call (see
     * {@link DeliveryCallback}); it must return quickly and may settle each {@link Delivery} later,
     * from any thread.
     *
     * @param address  what to consume; never null
     * @param group    the consuming service (competing consumers share it); never null
     * @param prefetch the most unsettled deliveries at a time, at least 1
     * @param callback receives every delivery; never null
     * @return the live subscription, to close when this consumer is done
     */
    TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback);


    /**
     * True while the transport is connected to its broker (or, in memory, open). Cheap, any thread.
     *
     * @return whether the transport can reach its broker now
     */
    boolean isConnected();

    /**
     * What this transport can do; the conformance kit skips, with a reason, what it cannot. A
     * transport that learns what it can do only when it connects (a WebSocket client, from its hub's
     * welcome) answers with what it can be sure of before {@link #start}.
     *
     * @return the capabilities; never null, the same set on every call once started
     */
    Set<Capability> capabilities();

    /**
     * The largest ids, headers and bodies this transport can carry, in bytes (default
     * {@link Limits#DEFAULTS}). Called once, after {@link #start}, so a transport may answer with what
     * it learnt when connecting (a negotiated frame or packet size). State only what the protocol or
     * broker truly cannot carry — e.g. AMQP 0-9-1 short-string properties hold 255 bytes — never more
     * than you can: the bus checks each message it makes once against the smaller of these and
     * {@link Limits#DEFAULTS}, dead-letters incoming messages that break them, and fits every dead
     * letter to these limits so that it can always be stored.
     *
     * @return the transport's limits; never null
     */
    default Limits limits() {
        return Limits.DEFAULTS;
    }

    /**
     * How full this transport's publish window is (messages sent and waiting for the broker's confirm),
     * for metrics ({@code courier-micrometer}'s {@code courier.publish.in_flight}); null (the default) when
     * the transport has no such window. Called from any thread, often: keep it cheap.
     *
     * @return the window, or null
     */
    default PublishWindow publishWindow() {
        return null;
    }

    /** A transport's window of publishes waiting for their confirm. */
    interface PublishWindow {
        /**
         * Publishes sent and not confirmed yet.
         *
         * @return how many are waiting for their confirm now
         */
        int inFlight();

        /**
         * How many may wait at once before a publish waits for room.
         *
         * @return the window's size
         */
        int capacity();
    }

    /**
     * A short description for logs and health, never with credentials.
     *
     * @return for example {@code amqp://host:5672/vhost}; never null
     */
    String describe();

    /**
     * An optional ability of this transport: {@link WireDescription} (how its addresses look on the
     * wire, for contracts), {@link DeadLetterBrowsing} (list, get and remove dead letters), or a
     * transport's own. The default answers with this transport when it implements {@code type}; a
     * decorating transport (a test recorder, a metrics wrapper) forwards the question to the transport
     * it wraps.
     *
     * @param type the ability's interface
     * @param <T>  the ability
     * @return the ability, or empty when this transport lacks it
     */
    default <T> java.util.Optional<T> ability(Class<T> type) {
        return type.isInstance(this) ? java.util.Optional.of(type.cast(this)) : java.util.Optional.empty();
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
