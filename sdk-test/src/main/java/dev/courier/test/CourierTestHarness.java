package dev.courier.test;

import dev.courier.BusListener;
import dev.courier.Command;
import dev.courier.Envelope;
import dev.courier.Event;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.memory.InMemoryBroker;
import dev.courier.spi.Address;

import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Runs services on a private in-memory broker and tells a test what happened: what was published,
 * sent, handled, retried and dead-lettered, with waits that have deadlines.
 *
 * <pre>{@code
 * try (CourierTestHarness harness = CourierTestHarness.create()) {
 *     harness.start("ordering", b -> b
 *             .produces(OrderPlaced.class)
 *             .onCommand(PlaceOrder.class, (cmd, ctx) -> ctx.publish(new OrderPlaced("o-1", cmd.customerId()))));
 *     MessageBus storefront = harness.start("storefront", b -> b.produces(PlaceOrder.class));
 *
 *     storefront.send(new PlaceOrder("alice", 2)).join();
 *
 *     WireMessage placed = harness.awaitPublished(OrderPlaced.class);
 *     assertEquals("alice", placed.payload(OrderPlaced.class).customerId());
 *     harness.awaitHandled("ordering", PlaceOrder.class);
 * }
 * }</pre>
 *
 * <p>Each harness has its own broker, so tests running in parallel never see each other's messages.
 * {@link #withManualTime()} gives every bus one {@link ManualTime}: retries, request timeouts and
 * delayed redeliveries then happen only when the test calls {@code harness.time().advance(...)}.
 * {@link #close()} closes every bus the harness started. Thread safe.
 */
public final class CourierTestHarness implements AutoCloseable {
    /** How long the {@code await…} methods wait unless {@link #patience(Duration)} says otherwise. */
    public static final Duration DEFAULT_PATIENCE = Duration.ofSeconds(10);
    /**
     * The close timeout of the harness's buses (a bus's default is 30 s): a test that failed with a
     * message still in progress — under manual time, one waiting for a retry that time never reached —
     * then ends in seconds. Set {@code closeTimeout(...)} on the builder to change it.
     */
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

    private final InMemoryBroker broker = InMemoryBroker.create(InMemoryBroker.DEFAULT_QUEUE_CAPACITY,
            InMemoryBroker.DEFAULT_DEAD_LETTER_CAPACITY);
    private final ManualTime time;
    private final List<MessageBus> started = new CopyOnWriteArrayList<>();
    private final List<WireMessage> wire = new CopyOnWriteArrayList<>();
    private final List<Handled> handled = new CopyOnWriteArrayList<>();
    private final List<Retried> retried = new CopyOnWriteArrayList<>();
    private final List<DeadLettered> deadLettered = new CopyOnWriteArrayList<>();
    private final List<Envelope> duplicates = new CopyOnWriteArrayList<>();
    /** Under manual time: how many tasks had been scheduled when each retry was reported. */
    private final Map<Retried, Integer> scheduledAtRetry = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
    private volatile Duration patience = DEFAULT_PATIENCE;

    private CourierTestHarness(ManualTime time) {
        this.time = time;
    }

    /** @return a harness on wall time: the buses use their own schedulers and the system clock */
    public static CourierTestHarness create() {
        return new CourierTestHarness(null);
    }

    /** @return a harness whose buses all run on one {@link ManualTime} (see {@link #time()}) */
    public static CourierTestHarness withManualTime() {
        return new CourierTestHarness(new ManualTime());
    }

    /**
     * @param patience how long each {@code await…} waits from now on
     * @return this harness
     */
    public CourierTestHarness patience(Duration patience) {
        this.patience = Objects.requireNonNull(patience, "patience");
        return this;
    }

    /**
     * @return the manual time of a harness made by {@link #withManualTime()}
     * @throws IllegalStateException for a harness on wall time
     */
    public ManualTime time() {
        if (time == null) {
            throw new IllegalStateException("this harness runs on wall time; make it with CourierTestHarness.withManualTime()");
        }
        return time;
    }

    /**
     * A bus builder for {@code service} wired to this harness: its transport is the harness's broker,
     * its listener the harness's recorder (calling {@code listener(...)} again disconnects the
     * recorder), its close timeout {@link #CLOSE_TIMEOUT}, and under manual time its clock and
     * scheduler. You build, start and close it.
     *
     * @param service the service name
     * @return the builder
     */
    public MessageBus.Builder builder(String service) {
        MessageBus.Builder b = MessageBus.builder(service)
                .transport(new RecordingTransport(broker.connect(), wire::add, time))
                .listener(new Recorder(service))
                .closeTimeout(CLOSE_TIMEOUT);
        if (time != null) {
            b.clock(time.clock()).scheduler(time.scheduler());
        }
        return b;
    }

    /**
     * Builds and starts a bus for {@code service}; {@link #close()} closes it.
     *
     * @param service   the service name
     * @param configure adds handlers, {@code produces(...)} and other settings to the harness's builder
     * @return the started bus
     */
    public MessageBus start(String service, Consumer<MessageBus.Builder> configure) {
        MessageBus.Builder b = builder(service);
        configure.accept(b);
        MessageBus bus = b.build();
        started.add(bus);
        return bus.start();
    }

    // ---- what happened, as lists (snapshots, in the order it happened) --------------------------

    /** @return every message the broker took: events, commands, replies and dead letters */
    public List<WireMessage> wire() {
        return List.copyOf(wire);
    }

    /** @return every successful handling, in every service */
    public List<Handled> handled() {
        return List.copyOf(handled);
    }

    /** @return every failed attempt that will be tried again */
    public List<Retried> retried() {
        return List.copyOf(retried);
    }

    /** @return every dead letter, in every service */
    public List<DeadLettered> deadLettered() {
        return List.copyOf(deadLettered);
    }

    /** @return the envelopes of deliveries skipped as duplicates */
    public List<Envelope> duplicates() {
        return List.copyOf(duplicates);
    }

    /**
     * The messages of one conversation in causal order. Messages are recorded when the broker
     * confirms them, and confirms of different services may come in any order (a handler can publish
     * and be confirmed before the confirm of the message it handled is seen), so this orders them by
     * cause: every message comes after the message of this conversation that caused it; otherwise
     * they keep the order in which they were confirmed.
     *
     * @param correlationId a conversation's id
     * @return every message of that conversation that went onto the wire, each after its cause: the
     *         chain of causes can be read from each message's {@code causationId()}
     */
    public List<WireMessage> conversation(String correlationId) {
        List<WireMessage> pending = wire.stream().filter(m -> correlationId.equals(m.correlationId()))
                .collect(Collectors.toCollection(ArrayList::new));
        java.util.Set<String> ids = pending.stream().map(WireMessage::id).collect(Collectors.toSet());
        java.util.Set<String> placed = new java.util.HashSet<>();
        List<WireMessage> ordered = new ArrayList<>(pending.size());
        while (!pending.isEmpty()) {
            boolean progress = false;
            for (java.util.Iterator<WireMessage> it = pending.iterator(); it.hasNext(); ) {
                WireMessage m = it.next();
                String cause = m.causationId();
                if (cause == null || !ids.contains(cause) || placed.contains(cause) || cause.equals(m.id())) {
                    ordered.add(m);
                    placed.add(m.id());
                    it.remove();
                    progress = true;
                }
            }
            if (!progress) { // causes that form a loop cannot come from Courier; keep the rest as confirmed
                ordered.addAll(pending);
                break;
            }
        }
        return ordered;
    }

    // ---- waits with deadlines --------------------------------------------------------------------

    /**
     * Waits until an event of this type was published.
     *
     * @param type the event type (annotated with {@link MessageName})
     * @return the first such event
     * @throws AssertionError when none was published within the patience, listing what was
     */
    public WireMessage awaitPublished(Class<? extends Event> type) {
        return awaitWire(Address.Kind.EVENT, nameOf(type), m -> true, "published");
    }

    /**
     * Waits until an event of this type whose payload matches was published.
     *
     * @param type  the event type
     * @param match a condition on the decoded payload
     * @param <E>   the event type
     * @return the first such event
     * @throws AssertionError when none was published within the patience
     */
    public <E extends Event> WireMessage awaitPublished(Class<E> type, Predicate<? super E> match) {
        return awaitWire(Address.Kind.EVENT, nameOf(type), m -> match.test(m.payload(type)), "published (matching)");
    }

    /**
     * Waits until a command of this type was sent.
     *
     * @param type the command type (annotated with {@link MessageName})
     * @return the first such command
     * @throws AssertionError when none was sent within the patience
     */
    public WireMessage awaitSent(Class<? extends Command> type) {
        return awaitWire(Address.Kind.COMMAND, nameOf(type), m -> true, "sent");
    }

    /**
     * Waits until {@code service} handled a message of this type successfully.
     *
     * @param service the service
     * @param type    the event or command type
     * @return the first such handling
     * @throws AssertionError when it did not happen within the patience
     */
    public Handled awaitHandled(String service, Class<?> type) {
        String name = nameOf(type);
        return await(() -> first(handled, h -> h.service().equals(service) && name.equals(h.envelope().type())),
                () -> service + " handled no " + name + "; handled: " + handled);
    }

    /**
     * Waits until a message of this type went to {@code service}'s dead letters.
     *
     * @param service the service
     * @param type    the event or command type
     * @return the first such dead letter
     * @throws AssertionError when it did not happen within the patience
     */
    public DeadLettered awaitDeadLettered(String service, Class<?> type) {
        String name = nameOf(type);
        return await(() -> first(deadLettered, d -> d.service().equals(service) && name.equals(d.type())),
                () -> service + " dead-lettered no " + name + "; dead letters: " + deadLettered);
    }

    /**
     * Waits until {@code service} has retried a message of this type {@code times} times. Under manual
     * time it also waits until the next attempt has been scheduled (the bus reports a retry just
     * before it schedules it), so that {@code time().advance(backoff)} right after it runs that attempt.
     *
     * @param service the service
     * @param type    the event or command type
     * @param times   how many failed attempts to wait for
     * @return the retries so far of that service and type
     * @throws AssertionError when they did not happen within the patience
     */
    public List<Retried> awaitRetried(String service, Class<?> type, int times) {
        String name = nameOf(type);
        Predicate<Retried> match = r -> r.service().equals(service) && name.equals(r.envelope().type());
        Await.until(patience, () -> retried.stream().filter(match).count() >= times,
                () -> service + " retried " + name + " " + retried.stream().filter(match).count() + " time(s), not "
                        + times);
        List<Retried> matching = retried.stream().filter(match).collect(Collectors.toList());
        if (time != null) {
            int before = matching.stream().mapToInt(r -> scheduledAtRetry.getOrDefault(r, 0)).max().orElse(0);
            Await.until(patience, () -> time.requestedDelays().size() > before,
                    () -> "the attempt after " + service + "'s retry of " + name + " was never scheduled");
        }
        return matching;
    }

    /**
     * Asserts that no message has been dead-lettered so far, in any service.
     *
     * @throws AssertionError naming the dead letters and their reasons
     */
    public void assertNoDeadLetters() {
        if (!deadLettered.isEmpty()) {
            throw new AssertionError("dead letters: " + deadLettered);
        }
    }

    /** Closes every bus {@link #start} started, in reverse order. The broker goes with the harness. */
    @Override
    public void close() {
        List<MessageBus> buses = new ArrayList<>(started);
        started.clear();
        RuntimeException first = null;
        for (int i = buses.size() - 1; i >= 0; i--) {
            try {
                buses.get(i).close();
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    // ---------------------------------------------------------------------------------------------

    private WireMessage awaitWire(Address.Kind kind, String name, Predicate<WireMessage> match, String what) {
        return await(() -> first(wire, m -> m.kind() == kind && name.equals(m.type()) && match.test(m)),
                () -> "no " + name + " was " + what + "; on the wire: " + wire);
    }

    private <T> T await(java.util.function.Supplier<T> find, java.util.function.Supplier<String> whatFailed) {
        Object[] found = new Object[1];
        Await.until(patience, () -> (found[0] = find.get()) != null, whatFailed);
        @SuppressWarnings("unchecked")
        T t = (T) found[0];
        return t;
    }

    private static <T> T first(List<T> list, Predicate<T> match) {
        for (T t : list) {
            if (match.test(t)) {
                return t;
            }
        }
        return null;
    }

    /**
     * @param type a message type
     * @return its wire name from {@link MessageName}
     */
    static String nameOf(Class<?> type) {
        MessageName n = type.getAnnotation(MessageName.class);
        if (n == null) {
            throw new IllegalArgumentException(type.getName() + " has no @MessageName; wait by its class only when"
                    + " it is annotated");
        }
        return n.value();
    }

    private final class Recorder implements BusListener {
        private final String service;

        Recorder(String service) {
            this.service = service;
        }

        @Override
        public void handled(Envelope envelope, Duration handlerTime) {
            handled.add(new Handled(service, envelope, handlerTime));
        }

        @Override
        public void duplicate(Envelope envelope) {
            duplicates.add(envelope);
        }

        @Override
        public void retried(Envelope envelope, int attempt, boolean delayed, Throwable error) {
            Retried r = new Retried(service, envelope, attempt, delayed, error);
            if (time != null) {
                scheduledAtRetry.put(r, time.requestedDelays().size());
            }
            retried.add(r);
        }

        @Override
        public void deadLettered(Envelope envelope, String messageId, Throwable error) {
            deadLettered.add(new DeadLettered(service, envelope, messageId, error));
        }
    }
}
