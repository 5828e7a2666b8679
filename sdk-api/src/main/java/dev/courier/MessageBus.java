package dev.courier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.DeduplicationStore;
import dev.courier.spi.Transport;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A service's connection to its messages: publish events, send commands, make requests, and
 * handle what arrives. Build one per service instance with {@link #builder(String)}, call
 * {@link #start()}, and {@link #close()} it on shutdown.
 *
 * <pre>{@code
 * MessageBus bus = MessageBus.builder("ordering")
 *         .transport("memory:")
 *         .onCommand(PlaceOrder.class, (cmd, ctx) -> ctx.reply(new OrderAccepted(...)))
 *         .produces(OrderPlaced.class)
 *         .build();
 * bus.start();
 * bus.publish(new OrderPlaced(...)).join();
 * }</pre>
 *
 * <p>Thread safe. Inside a handler, {@link #publish} and {@link #send} behave like the context's:
 * the message is held back until the handler succeeds (do not block on its future there).
 */
public final class MessageBus implements AutoCloseable {

    private final BusCore core;

    MessageBus(BusCore core) {
        this.core = core;
    }

    /**
     * @param service the service name, its consumer group: {@code [a-z][a-z0-9-]{0,62}}
     * @return a builder for a bus of that service
     */
    public static Builder builder(String service) {
        return new Builder(service);
    }

    /**
     * Connects the transport and starts the handlers' subscriptions, on the calling thread. Idempotent.
     *
     * @return this bus
     * @throws TransportConnectException when the broker could not be reached within the start timeout
     * @throws CourierException          when the bus was closed (build a new one) or a subscription failed
     */
    public MessageBus start() {
        core.start();
        return this;
    }

    /**
     * Publishes an event to every service that handles it.
     *
     * <p>How it completes: the returned future completes when the broker has the message (publisher
     * confirm, PUBACK, hub ack; in memory: enqueued), on a transport or Courier thread — keep its
     * callbacks short. It fails with {@link PublishTimeoutException} when there was no room or no
     * confirm within the publish timeout, and with {@link PublishException} when the broker refused
     * the message or the bus is closed or not started.
     *
     * <p>Never throws for a runtime condition: a message that cannot be made fails the future, which is
     * then already failed when returned — {@link LimitExceededException} (a size limit; nothing is sent),
     * {@link CodecException} (the payload cannot be encoded), {@link ConfigurationException} (the type
     * has no valid {@link MessageName}, or is undeclared on a {@code strictProduces} bus),
     * {@link PublishException} (an invalid header, an outbound interceptor that threw — its exception is
     * the cause). Only a null argument throws. See docs/architecture.md, "Errors".
     *
     * <p>Blocking: the message is checked and encoded on the calling thread, which may then wait for
     * room (back-pressure) — never longer than the publish timeout — but never for the confirm.
     *
     * <p>Inside a handler the event is held back until the handler succeeds (the future completes when
     * it is confirmed after that; do not join it in the handler). One that cannot be made fails its
     * future and the handler attempt too, as {@link MessageContext#publish(Event)} would.
     *
     * @param event the event
     * @return completes when the broker has the message
     * @throws NullPointerException when {@code event} is null
     */
    public CompletableFuture<Void> publish(Event event) {
        return core.publish(event, Map.of());
    }

    /**
     * Publishes an event with extra headers (CloudEvents extension names: a-z, 0-9, at most 20
     * characters; values count towards the size limits in UTF-8 bytes). An {@code id} header sets
     * the message id yourself (for idempotent re-publishing). A {@code partitionkey} header
     * ({@link dev.courier.spi.Headers#PARTITION_KEY}, the CloudEvents partitioning extension) groups
     * messages that must keep their order: every transport carries it, and on Kafka it is the record key
     * (see docs/guarantees.md for each transport's ordering). Completes, blocks and fails like
     * {@link #publish(Event)}; an invalid or reserved header name, a null value or a blank id fails
     * the future with {@link PublishException}.
     *
     * @param event   the event
     * @param headers extra headers by CloudEvents extension name
     * @return completes when the broker has the message
     * @throws NullPointerException when {@code event} or {@code headers} is null
     */
    public CompletableFuture<Void> publish(Event event, Map<String, String> headers) {
        return core.publish(event, headers);
    }

    /**
     * Sends a command to the one service that handles it. Completes, blocks and fails like
     * {@link #publish(Event)}, and also fails with {@link PublishException} when nobody can take the
     * command (where the transport can tell, see {@link dev.courier.spi.Capability#UNROUTABLE_DETECTED}):
     * {@link UnroutableException}, a {@link PublishException}.
     *
     * @param command the command
     * @return completes when the broker has the message
     * @throws NullPointerException when {@code command} is null
     */
    public CompletableFuture<Void> send(Command command) {
        return core.publish(command, Map.of());
    }

    /**
     * Sends a command with extra headers. An {@code id} header gives the command your own id (an
     * idempotency key): sending it again with the same id has its effect once; a {@code partitionkey}
     * header orders commands like {@link #publish(Event, Map)} says. Completes, blocks and
     * fails like {@link #send(Command)} and {@link #publish(Event, Map)}.
     *
     * @param command the command
     * @param headers extra headers by CloudEvents extension name ({@code id}: your idempotency key)
     * @return completes when the broker has the message
     * @throws NullPointerException when {@code command} or {@code headers} is null
     */
    public CompletableFuture<Void> send(Command command, Map<String, String> headers) {
        return core.publish(command, headers);
    }

    /**
     * Sends a command as a request and completes with its typed reply, on the bus's reply thread
     * (never a handler thread, so it is safe to join inside a handler). Fails with
     * {@link RequestTimeoutException} after {@code timeout}, with {@link RemoteHandlerException} when
     * the remote handler dead-lettered it, with {@link ReplyLostException} when the reply can no
     * longer arrive (also when the bus closes first) — these three are {@link RequestException}s — and
     * with {@link PublishException} when it could not be sent (a timeout that is not positive, too).
     * The handler does not run once the timeout has passed. Blocks like {@link #publish(Event)}, and
     * like it never throws for a runtime condition: a request that cannot be made (limits, codec,
     * name) fails the future, already failed when returned.
     *
     * @param command   the request
     * @param replyType the type the reply is decoded to
     * @param timeout   how long to wait for the reply
     * @param <R>       the reply type
     * @return the typed reply
     * @throws NullPointerException when an argument is null
     */
    public <R> CompletableFuture<R> request(Command command, Class<R> replyType, Duration timeout) {
        return core.requests().request(command, replyType, timeout, null);
    }

    /** @return this service's dead letters: list, replay to this service only, discard */
    public DeadLetters deadLetters() {
        return core.deadLetters();
    }

    /** @return whether the bus is running, the transport connected and every subscription live; after close(), {@code CLOSED} */
    public Health health() {
        return core.health();
    }

    /** @return the service name (consumer group) */
    public String service() {
        return core.settings().service();
    }

    /** @return this instance's id within the service */
    public String instanceId() {
        return core.settings().instanceId();
    }

    /**
     * Stops taking new deliveries, gives back what did not start, and waits for handlers in progress
     * up to the close timeout — one wait, never longer. Handlers still running then are interrupted
     * ({@link Thread#interrupt()}): a handler that honours it stops; either way its message is not
     * acked (the broker delivers it again) and nothing it publishes from then on is sent. Then fails
     * requests still waiting for a reply, closes the transport and stops the bus's own threads.
     * Blocks the calling thread for at most the close timeout plus the transport's own close; do not
     * call it from a handler. Idempotent; {@link #health()} says {@code CLOSED} afterwards.
     */
    @Override
    public void close() {
        core.close();
    }

    /**
     * What this bus is, for tools that describe it (contracts, metrics): its service, its handled and
     * produced message types, its codec, limits and what its transport says about the wire.
     *
     * @return a description; cheap, answers on the calling thread
     */
    public BusDescription description() {
        BusSettings st = core.settings();
        List<BusDescription.Message> handles = new ArrayList<>();
        for (BusSettings.Subscription sub : st.subscriptions()) {
            handles.add(describe(sub.type()));
        }
        List<BusDescription.Message> produced = new ArrayList<>();
        for (String name : core.produces()) {
            MessageType mt = st.registry().byName(name);
            if (mt != null) {
                produced.add(describe(mt));
            }
        }
        return new BusDescription(st.service(), st.instanceId(), st.transport(), handles, produced, st.codec(),
                core::limits);
    }

    private static BusDescription.Message describe(MessageType mt) {
        return new BusDescription.Message(mt.name(), mt.javaType(),
                mt.kind() == MessageType.Kind.EVENT ? MessageKind.EVENT : MessageKind.COMMAND);
    }

    /**
     * For a transactional outbox (courier-jdbc): makes the wire form of an event or command without
     * sending it, runs it through the outbound interceptors (they see {@link OutboundChain#outbox()}
     * true and may add headers, e.g. a traceparent), checks it against the limits, and calls
     * {@code store} with the final form — so what is stored carries what the interceptors added. Inside
     * a handler the message is a child of the one being handled (its id derived, its correlation
     * inherited). Everything runs on the calling thread; nothing is sent: store it, then hand it to
     * {@link #sendPrepared} (typically from a relay).
     *
     * @param message the event or command
     * @param headers extra headers by CloudEvents extension name (as for {@link #publish(Event, Map)})
     * @param store   stores the prepared message (in your transaction) and returns what you need back
     * @param <R>     what {@code store} returns
     * @return what {@code store} returned
     * @throws LimitExceededException when the message breaks a size limit; {@code store} is not called
     * @throws CodecException         when the payload cannot be encoded
     * @throws ConfigurationException when the type has no valid message name, or a header is invalid
     * @throws PublishException       when an outbound interceptor did not pass the message on; {@code store} is not called
     * @throws NullPointerException   when {@code message} or {@code store} is null
     * @throws RuntimeException       whatever {@code store} threw (unchecked), unchanged
     */
    public <R> R prepareForOutbox(Object message, Map<String, String> headers,
                                  java.util.function.Function<? super PreparedMessage, ? extends R> store) {
        java.util.Objects.requireNonNull(message, "message");
        java.util.Objects.requireNonNull(store, "store");
        return core.prepareThrough(message, headers == null ? Map.of() : headers,
                p -> store.apply(PreparedMessage.of(p.to(), p.headers(), p.body())));
    }

    /**
     * Sends a message made by {@link #prepareForOutbox} (and stored) now, as it is: no interceptor
     * runs again and the headers are not changed, so a message sent twice keeps its id and the
     * receivers' deduplication makes its effect happen once. Never throws for runtime conditions: the
     * future completes when the broker has the message, on a transport or Courier thread, and fails
     * like {@link #publish(Event)}'s (closed or not started bus: {@link PublishException}).
     *
     * @param message the prepared message
     * @return completes when the broker has the message
     * @throws NullPointerException when {@code message} is null
     */
    public CompletableFuture<Void> sendPrepared(PreparedMessage message) {
        java.util.Objects.requireNonNull(message, "message");
        return core.sendPrepared(message.to(), message.headers(), message.body());
    }

    /**
     * Configures a {@link MessageBus}. {@link #build()} checks everything at once and throws a
     * {@link ConfigurationException} that names each invalid setting.
     */
    public static final class Builder {
        /** The publish timeout unless set: 10 s. */
        public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(10);
        /** The close timeout unless set: 30 s. */
        public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(30);
        /** The claim lease unless set: 5 minutes. */
        public static final Duration DEFAULT_CLAIM_LEASE = Duration.ofMinutes(5);
        /** Messages handled at once per handler unless set: 4. */
        public static final int DEFAULT_CONCURRENCY = 4;

        final String service;
        String instanceId;
        Transport transport;
        String transportUri;
        ObjectMapper objectMapper;
        dev.courier.spi.PayloadCodec codec;
        RetryPolicy retryPolicy = RetryPolicy.ofDefaults();
        DeadLetterPolicy deadLetterPolicy = DeadLetterPolicy.ofDefaults();
        DeduplicationStore deduplicationStore;
        Duration claimLease = DEFAULT_CLAIM_LEASE;
        int concurrency = DEFAULT_CONCURRENCY;
        Integer prefetch;
        Executor handlerExecutor;
        ScheduledExecutorService scheduler;
        Clock clock = Clock.systemUTC();
        Duration publishTimeout = DEFAULT_PUBLISH_TIMEOUT;
        Duration startTimeout = dev.courier.spi.TransportContext.DEFAULT_START_TIMEOUT;
        Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        final List<BusListener> listeners = new ArrayList<>();
        final List<Interceptor> interceptors = new ArrayList<>();
        boolean strictNaming;
        boolean strictProduces;
        final Map<Class<?>, String> explicitNames = new LinkedHashMap<>();
        final List<Class<?>> produced = new ArrayList<>();
        final Map<Class<?>, Handler<?>> eventHandlers = new LinkedHashMap<>();
        final Map<Class<?>, Handler<?>> commandHandlers = new LinkedHashMap<>();
        final List<String> early = new ArrayList<>();

        private Builder(String service) {
            this.service = service;
        }

        /**
         * A stable id for this instance (default: random). MQTT sessions need a stable one.
         *
         * @param instanceId the id: letters, digits, - and _, at most 63 characters
         * @return this builder
         */
        public Builder instanceId(String instanceId) {
            this.instanceId = instanceId;
            return this;
        }

        /**
         * The transport by URI ({@code memory:}, {@code amqp://...}, {@code mqtt://...}, {@code ws://...}).
         * Without one the bus runs on the in-process {@code memory:} broker and {@code build()} logs a
         * warning saying so: choose {@code memory:} explicitly where that is what you want.
         *
         * @param uri the transport URI; its scheme picks the transport module found on the class path
         * @return this builder
         */
        public Builder transport(String uri) {
            this.transportUri = uri;
            this.transport = null;
            return this;
        }

        /**
         * A transport object you configured yourself. The bus closes it on close().
         *
         * @param transport the transport; the bus starts and closes it
         * @return this builder
         */
        public Builder transport(Transport transport) {
            this.transport = transport;
            this.transportUri = null;
            return this;
        }

        /**
         * Your own Jackson 2 mapper for payloads (copied; Courier adds java.time and Optional and ignores
         * unknown fields): the same as {@code codec(PayloadCodec.jackson(mapper))}.
         *
         * @param mapper the mapper to copy
         * @return this builder
         */
        public Builder objectMapper(ObjectMapper mapper) {
            this.objectMapper = mapper;
            return this;
        }

        /**
         * How payloads become bytes (default: Courier's Jackson 2 codec). The optional
         * {@code courier-jackson3} module offers a Jackson 3 one that reuses your configured mapper.
         * Set either this or {@link #objectMapper}.
         *
         * @param codec the payload codec
         * @return this builder
         */
        public Builder codec(dev.courier.spi.PayloadCodec codec) {
            this.codec = codec;
            return this;
        }

        /**
         * How failed handlers are tried again, then dead-lettered.
         *
         * @param policy how failed handlers are tried again (default {@link RetryPolicy#ofDefaults()})
         * @return this builder
         */
        public Builder retryPolicy(RetryPolicy policy) {
            this.retryPolicy = policy;
            return this;
        }

        /**
         * What a dead letter carries and whether a waiting requester is told at once.
         *
         * @param policy what a dead letter carries (default {@link DeadLetterPolicy#ofDefaults()})
         * @return this builder
         */
        public Builder deadLetterPolicy(DeadLetterPolicy policy) {
            this.deadLetterPolicy = policy;
            return this;
        }

        /**
         * Where handled ids are remembered (default: {@link InMemoryDeduplicationStore#ofDefaults()}).
         *
         * @param store the store; the bus does not close it
         * @return this builder
         */
        public Builder deduplicationStore(DeduplicationStore store) {
            this.deduplicationStore = store;
            return this;
        }

        /**
         * How long a claim on a message id holds before another instance may take it over.
         *
         * @param lease the lease (default 5 minutes)
         * @return this builder
         */
        public Builder claimLease(Duration lease) {
            this.claimLease = lease;
            return this;
        }

        /**
         * Messages handled at once per handler (default 4; 1 keeps order for one consumer).
         *
         * @param concurrency at least 1
         * @return this builder
         */
        public Builder concurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /**
         * Unsettled deliveries the broker may push per handler (default: 8 × concurrency).
         *
         * @param prefetch at least the concurrency
         * @return this builder
         */
        public Builder prefetch(int prefetch) {
            this.prefetch = prefetch;
            return this;
        }

        /**
         * Where handlers run (default: a pool owned by the bus, one thread per concurrency slot).
         *
         * @param executor the executor; the bus does not shut it down
         * @return this builder
         */
        public Builder handlerExecutor(Executor executor) {
            this.handlerExecutor = executor;
            return this;
        }

        /**
         * Schedules retry backoffs and request timeouts; tests inject a controllable one.
         *
         * @param scheduler the scheduler; the bus does not shut it down
         * @return this builder
         */
        public Builder scheduler(ScheduledExecutorService scheduler) {
            this.scheduler = scheduler;
            return this;
        }

        /**
         * The clock for message times, claims and dead-letter times; tests inject a controllable one.
         *
         * @param clock the clock (default UTC system clock)
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * How long a publish may wait for room and confirm before failing with {@link PublishTimeoutException}.
         *
         * @param timeout the timeout (default 10 s)
         * @return this builder
         */
        public Builder publishTimeout(Duration timeout) {
            this.publishTimeout = timeout;
            return this;
        }

        /**
         * How long {@link #start()} keeps trying to reach a broker that is down, with the transport's
         * jittered backoff, before it throws {@link TransportConnectException} (default 30 s). A broker
         * that comes up within this time is simply used; one lost after start is reconnected to for as
         * long as the bus is open.
         *
         * @param timeout the timeout (default 30 s)
         * @return this builder
         */
        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        /**
         * How long close() waits for handlers in progress before it interrupts them (default 30 s).
         *
         * @param timeout the timeout
         * @return this builder
         */
        public Builder closeTimeout(Duration timeout) {
            this.closeTimeout = timeout;
            return this;
        }

        /**
         * Adds a listener (several allowed, called in registration order). See {@link BusListener} for
         * when and on which thread each method is called.
         *
         * @param listener the listener; called on Courier threads, so keep it short and never throw
         * @return this builder
         */
        public Builder listener(BusListener listener) {
            if (listener == null) {
                early.add("listener must not be null");
            } else if (!listeners.contains(listener)) {
                listeners.add(listener);
            }
            return this;
        }

        /**
         * Adds an interceptor (several allowed): an {@link Interceptor.Inbound} runs around each handler
         * attempt, an {@link Interceptor.Outbound} before each publish, send, request and reply, in
         * registration order after the built-in links (see {@link Interceptor} for the order, threads
         * and exceptions). One that also implements {@link BusListener} is added as a listener too.
         *
         * @param interceptor an {@link Interceptor.Inbound}, an {@link Interceptor.Outbound}, or both
         * @return this builder
         */
        public Builder interceptor(Interceptor interceptor) {
            if (interceptor == null) {
                early.add("interceptor must not be null");
                return this;
            }
            interceptors.add(interceptor);
            if (interceptor instanceof BusListener l) {
                listener(l);
            }
            return this;
        }

        /**
         * Turns the naming warnings (an event whose verb does not read as past tense, a command whose
         * verb reads as past tense) into build() errors. Verbs that read the same in both tenses
         * ({@code set}, {@code reset}, {@code read}, {@code run}, …) are never flagged.
         *
         * @param strict true for errors, false (the default) for warnings
         * @return this builder
         */
        public Builder strictNaming(boolean strict) {
            this.strictNaming = strict;
            return this;
        }

        /**
         * Makes publishing a type not declared with produces(...) an error instead of a warning.
         *
         * @param strict true for errors, false (the default) for warnings
         * @return this builder
         */
        public Builder strictProduces(boolean strict) {
            this.strictProduces = strict;
            return this;
        }

        /**
         * Names a type you cannot annotate with {@link MessageName}.
         *
         * @param type the message type
         * @param name its wire name, e.g. {@code v1.order.placed}
         * @return this builder
         */
        public Builder message(Class<?> type, String name) {
            String before = explicitNames.put(type, name);
            if (before != null && !before.equals(name)) {
                early.add(type.getName() + " is registered under two names: '" + before + "' and '" + name
                        + "'; a type has exactly one name");
            }
            return this;
        }

        /**
         * Declares events this service publishes and commands it sends (for the contract).
         *
         * @param types the event and command types
         * @return this builder
         */
        public Builder produces(Class<?>... types) {
            produced.addAll(List.of(types));
            return this;
        }

        /**
         * Handles an event: every service gets it once; instances of this service compete.
         *
         * @param type the event type
         * @param handler runs on a handler thread for each delivery
         * @param <E> the event type
         * @return this builder
         */
        public <E extends Event> Builder onEvent(Class<E> type, Handler<? super E> handler) {
            if (eventHandlers.put(type, handler) != null) {
                early.add("onEvent(" + type.getName() + ") is registered twice; one handler per type");
            }
            return this;
        }

        /**
         * Handles a command: one handler across all instances of this service.
         *
         * @param type the command type
         * @param handler runs on a handler thread for each delivery
         * @param <C> the command type
         * @return this builder
         */
        public <C extends Command> Builder onCommand(Class<C> type, Handler<? super C> handler) {
            if (commandHandlers.put(type, handler) != null) {
                early.add("onCommand(" + type.getName() + ") is registered twice; one handler per type");
            }
            return this;
        }

        /**
         * Builds and starts the bus.
         *
         * @return the started bus
         * @throws ConfigurationException naming every invalid setting
         */
        public MessageBus start() {
            return build().start();
        }

        /**
         * Checks every setting at once and builds the bus, not yet started.
         *
         * @return the bus; call {@link MessageBus#start()}
         * @throws ConfigurationException naming every invalid setting
         */
        public MessageBus build() {
            return BusAssembly.build(this);
        }
    }
}
