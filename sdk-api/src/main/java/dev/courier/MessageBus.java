package dev.courier;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.internal.BusCore;
import dev.courier.internal.BusResources;
import dev.courier.internal.BusSettings;
import dev.courier.internal.JsonCodec;
import dev.courier.internal.MessageType;
import dev.courier.internal.NamingLint;
import dev.courier.internal.Registry;
import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.DeduplicationStore;
import dev.courier.spi.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.regex.Pattern;

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

    private MessageBus(BusCore core) {
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
     * <p>Blocking: the message is checked and encoded on the calling thread, which may then wait for
     * room (back-pressure) — never longer than the publish timeout — but never for the confirm.
     *
     * <p>Inside a handler the event is held back until the handler succeeds (the future completes when
     * it is confirmed after that; do not join it in the handler).
     *
     * @throws LimitExceededException when the message breaks a size limit (see {@link dev.courier.spi.Limits});
     *                                nothing is sent
     * @param event the event
     * @return completes when the broker has the message
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
     * {@link #publish(Event)}.
     *
     * @throws LimitExceededException   when the message breaks a size limit; nothing is sent
     * @throws IllegalArgumentException for an invalid or reserved header name, a null value or a blank id
     * @param event   the event
     * @param headers extra headers by CloudEvents extension name
     * @return completes when the broker has the message
     */
    public CompletableFuture<Void> publish(Event event, Map<String, String> headers) {
        return core.publish(event, headers);
    }

    /**
     * Sends a command to the one service that handles it. Completes, blocks and fails like
     * {@link #publish(Event)}, and also fails with {@link PublishException} when nobody can take the
     * command (where the transport can tell, see {@link dev.courier.spi.Capability#UNROUTABLE_DETECTED}).
     *
     * @throws LimitExceededException when the message breaks a size limit; nothing is sent
     * @param command the command
     * @return completes when the broker has the message
     */
    public CompletableFuture<Void> send(Command command) {
        return core.publish(command, Map.of());
    }

    /**
     * Sends a command with extra headers. An {@code id} header gives the command your own id (an
     * idempotency key): sending it again with the same id has its effect once; a {@code partitionkey}
     * header orders commands like {@link #publish(Event, Map)} says. Completes, blocks and
     * fails like {@link #send(Command)}.
     *
     * @throws LimitExceededException   when the message breaks a size limit; nothing is sent
     * @throws IllegalArgumentException for an invalid or reserved header name, a null value or a blank id
     * @param command the command
     * @param headers extra headers by CloudEvents extension name ({@code id}: your idempotency key)
     * @return completes when the broker has the message
     */
    public CompletableFuture<Void> send(Command command, Map<String, String> headers) {
        return core.publish(command, headers);
    }

    /**
     * Sends a command as a request and completes with its typed reply, on the bus's reply thread
     * (never a handler thread, so it is safe to join inside a handler). Fails with
     * {@link RequestTimeoutException} after {@code timeout}, with {@link RemoteHandlerException} when
     * the remote handler dead-lettered it, with {@link ReplyLostException} when the reply can no
     * longer arrive, and with {@link PublishException} when it could not be sent. The handler does
     * not run once the timeout has passed. Blocks like {@link #publish(Event)}.
     *
     * @throws LimitExceededException when the message breaks a size limit; nothing is sent
     * @param command   the request
     * @param replyType the type the reply is decoded to
     * @param timeout   how long to wait for the reply
     * @param <R>       the reply type
     * @return the typed reply
     */
    public <R> CompletableFuture<R> request(Command command, Class<R> replyType, Duration timeout) {
        return core.request(command, replyType, timeout, null);
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

    /** @return the core, for modules of Courier itself (contracts, outbox); not for application code */
    public Object internals() {
        return core;
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
        private static final Logger log = LoggerFactory.getLogger(MessageBus.class);
        private static final Pattern SERVICE = Pattern.compile("[a-z][a-z0-9-]{0,62}");
        private static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

        private final String service;
        private String instanceId;
        private Transport transport;
        private String transportUri;
        private ObjectMapper objectMapper;
        private dev.courier.spi.PayloadCodec codec;
        private RetryPolicy retryPolicy = RetryPolicy.ofDefaults();
        private DeadLetterPolicy deadLetterPolicy = DeadLetterPolicy.ofDefaults();
        private DeduplicationStore deduplicationStore;
        private Duration claimLease = DEFAULT_CLAIM_LEASE;
        private int concurrency = DEFAULT_CONCURRENCY;
        private Integer prefetch;
        private Executor handlerExecutor;
        private ScheduledExecutorService scheduler;
        private Clock clock = Clock.systemUTC();
        private Duration publishTimeout = DEFAULT_PUBLISH_TIMEOUT;
        private Duration startTimeout = dev.courier.spi.TransportContext.DEFAULT_START_TIMEOUT;
        private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
        private final List<BusListener> listeners = new ArrayList<>();
        private final List<Interceptor> interceptors = new ArrayList<>();
        private boolean strictNaming;
        private boolean strictProduces;
        private final Map<Class<?>, String> explicitNames = new LinkedHashMap<>();
        private final List<Class<?>> produced = new ArrayList<>();
        private final Map<Class<?>, Handler<?>> eventHandlers = new LinkedHashMap<>();
        private final Map<Class<?>, Handler<?>> commandHandlers = new LinkedHashMap<>();
        private final List<String> early = new ArrayList<>();

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
        @SuppressWarnings("unchecked")
        public MessageBus build() {
            List<String> problems = new ArrayList<>(early);
            if (service == null || !SERVICE.matcher(service).matches()) {
                problems.add("service must match [a-z][a-z0-9-]{0,62} (it names queues and topics), was '" + service + "'");
            }
            if (instanceId != null && !INSTANCE.matcher(instanceId).matches()) {
                problems.add("instanceId must match [A-Za-z0-9][A-Za-z0-9_-]{0,62}, was '" + instanceId + "'");
            }
            if (concurrency < 1 || concurrency > 1024) {
                problems.add("concurrency must be between 1 and 1024, was " + concurrency);
            }
            int pf = prefetch != null ? prefetch : Math.min(65_535, concurrency * 8);
            if (pf < 1 || pf > 65_535) {
                problems.add("prefetch must be between 1 and 65535, was " + pf);
            } else if (pf < concurrency) {
                problems.add("prefetch (" + pf + ") must be at least concurrency (" + concurrency + ")");
            }
            checkPositive(problems, "publishTimeout", publishTimeout);
            checkPositive(problems, "startTimeout", startTimeout);
            checkPositive(problems, "closeTimeout", closeTimeout);
            checkPositive(problems, "claimLease", claimLease);
            if (retryPolicy == null) {
                problems.add("retryPolicy must not be null");
            }
            if (deadLetterPolicy == null) {
                problems.add("deadLetterPolicy must not be null");
            }
            if (clock == null) {
                problems.add("clock must not be null");
            }
            if (codec != null && objectMapper != null) {
                problems.add("set either codec(...) or objectMapper(...), not both: objectMapper configures the default"
                        + " Jackson 2 codec");
            }

            Registry registry = new Registry();
            explicitNames.forEach((type, name) -> registry.register(type, name, problems));
            List<BusSettings.Subscription> subs = new ArrayList<>();
            eventHandlers.forEach((type, h) -> {
                MessageType mt = registry.register(type, null, problems);
                if (mt != null) {
                    subs.add(new BusSettings.Subscription(mt, (Handler<Object>) h));
                }
            });
            commandHandlers.forEach((type, h) -> {
                MessageType mt = registry.register(type, null, problems);
                if (mt != null) {
                    subs.add(new BusSettings.Subscription(mt, (Handler<Object>) h));
                }
            });
            Set<String> produces = new LinkedHashSet<>();
            for (Class<?> type : produced) {
                MessageType mt = registry.register(type, null, problems);
                if (mt != null) {
                    produces.add(mt.name());
                }
            }
            for (MessageType mt : registry.all()) {
                String lint = NamingLint.check(mt);
                if (lint != null) {
                    if (strictNaming) {
                        problems.add(lint);
                    } else {
                        log.warn("{} (strictNaming(true) makes this an error)", lint);
                    }
                }
            }
            Transport t = transport;
            if (t == null && transportUri == null) {
                // The default stays (tests and demos), but never silently: production must choose.
                log.warn("bus '{}' has no transport: it runs on the in-process memory: broker, which only this JVM"
                        + " sees and which keeps nothing across a restart; call transport(\"memory:\") to choose it,"
                        + " or transport(\"amqp://...\") (mqtt://, ws://) for a broker", service);
            }
            if (t == null) {
                String uri = transportUri != null ? transportUri : "memory:";
                try {
                    t = BusResources.loadTransport(uri, MessageBus.class.getClassLoader());
                } catch (RuntimeException e) {
                    problems.add("transport: " + e.getMessage());
                }
            }
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }

            String instance = instanceId != null ? instanceId : UUID.randomUUID().toString().substring(0, 8);
            List<ExecutorService> owned = new ArrayList<>();
            Executor exec = handlerExecutor;
            if (exec == null) {
                ExecutorService pool = BusResources.handlerPool(service, concurrency, subs.size());
                owned.add(pool);
                exec = pool;
            }
            ScheduledExecutorService sched = scheduler;
            if (sched == null) {
                ScheduledThreadPoolExecutor s = BusResources.scheduler(service);
                owned.add(s);
                sched = s;
            }
            BusSettings settings = new BusSettings(service, instance, t, registry, subs,
                    codec != null ? codec : new JsonCodec(objectMapper),
                    retryPolicy, deadLetterPolicy,
                    deduplicationStore != null ? deduplicationStore : InMemoryDeduplicationStore.ofDefaults(),
                    claimLease, concurrency, pf, exec, sched, clock, publishTimeout, startTimeout, closeTimeout,
                    List.copyOf(listeners),
                    List.copyOf(interceptors),
                    strictProduces);
            return new MessageBus(new BusCore(settings, produces, owned));
        }

        private static void checkPositive(List<String> problems, String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                problems.add(name + " must be positive, was " + d);
            }
        }
    }
}
