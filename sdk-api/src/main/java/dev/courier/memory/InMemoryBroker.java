package dev.courier.memory;

import dev.courier.spi.Address;
import dev.courier.spi.RawMessage;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-process broker with a broker's semantics: a bounded queue per (event, group), per command
 * and per reply address, fan-out of events to every group, competing consumers within a group,
 * and a bounded dead-letter list per service. Queues outlive their subscriptions, like durable
 * queues; events published before a group first subscribes are not kept for it.
 *
 * <p>{@code memory:} (same as {@code memory:default}) uses {@link #shared()}; {@code memory:name} uses a named broker, so tests can
 * isolate themselves. Nothing survives the JVM.
 */
public final class InMemoryBroker {

    /** Default bound per queue, in messages, of the shared and named brokers. */
    public static final int DEFAULT_QUEUE_CAPACITY = 10_000;
    /** Default bound per service, in dead letters, of the shared and named brokers. */
    public static final int DEFAULT_DEAD_LETTER_CAPACITY = 10_000;
    /** Default byte bound per queue (bodies plus headers, approximately). */
    public static final long DEFAULT_QUEUE_BYTES = 256L * 1024 * 1024;

    private static final Map<String, InMemoryBroker> NAMED = new ConcurrentHashMap<>();

    private final String name;
    private final int queueCapacity;
    private final int deadLetterCapacity;
    private final long queueBytes;
    /** event name → group → queue. */
    private final Map<String, Map<String, MemoryQueue>> events = new ConcurrentHashMap<>();
    /** command or reply address → queue. */
    private final Map<Address, MemoryQueue> pointToPoint = new ConcurrentHashMap<>();
    private final Map<String, List<RawMessage>> deadLetters = new ConcurrentHashMap<>();

    private InMemoryBroker(String name, int queueCapacity, int deadLetterCapacity, long queueBytes) {
        this.name = name;
        this.queueCapacity = queueCapacity;
        this.queueBytes = queueBytes;
        this.deadLetterCapacity = deadLetterCapacity;
    }

    /**
     * The broker behind the plain {@code memory:} URI.
     *
     * @return the JVM-wide broker named {@code default}
     */
    public static InMemoryBroker shared() {
        return named("default");
    }

    /**
     * The broker behind {@code memory:name}, created with default capacities on first use.
     *
     * @param name the broker's name; never null
     * @return the same broker for the same name for the life of the JVM
     */
    public static InMemoryBroker named(String name) {
        return NAMED.computeIfAbsent(name, n -> new InMemoryBroker(n, DEFAULT_QUEUE_CAPACITY, DEFAULT_DEAD_LETTER_CAPACITY,
                DEFAULT_QUEUE_BYTES));
    }

    /**
     * A private broker with its own capacities (not reachable by URI), each queue bounded to
     * {@link #DEFAULT_QUEUE_BYTES}.
     *
     * @param queueCapacity      messages per queue, at least 1
     * @param deadLetterCapacity dead letters per service, at least 1
     * @return a new broker
     * @throws dev.courier.ConfigurationException when a capacity is below 1
     */
    public static InMemoryBroker create(int queueCapacity, int deadLetterCapacity) {
        return create(queueCapacity, deadLetterCapacity, DEFAULT_QUEUE_BYTES);
    }

    /**
     * A private broker bounded per queue in count and in bytes (a publish waits, then fails, when either is full).
     *
     * @param queueCapacity      messages per queue, at least 1
     * @param deadLetterCapacity dead letters per service, at least 1
     * @param maxQueueBytes      bytes per queue (bodies plus headers, approximately), at least 1
     * @return a new broker
     * @throws dev.courier.ConfigurationException when a capacity is below 1
     */
    public static InMemoryBroker create(int queueCapacity, int deadLetterCapacity, long maxQueueBytes) {
        if (queueCapacity < 1 || deadLetterCapacity < 1 || maxQueueBytes < 1) {
            throw new dev.courier.ConfigurationException("memory broker capacities must be positive: queueCapacity="
                    + queueCapacity + ", deadLetterCapacity=" + deadLetterCapacity + ", maxQueueBytes=" + maxQueueBytes);
        }
        return new InMemoryBroker("private", queueCapacity, deadLetterCapacity, maxQueueBytes);
    }

    /**
     * A new transport (a connection) to this broker.
     *
     * @return an unstarted transport; each call a new one
     */
    public InMemoryTransport connect() {
        return new InMemoryTransport(this);
    }

    String name() {
        return name;
    }

    /** The queues an address publishes into (empty for an event nobody subscribes to yet). */
    java.util.Collection<MemoryQueue> route(Address to) {
        switch (to.kind()) {
            case EVENT: {
                Map<String, MemoryQueue> groups = events.get(to.name());
                if (groups == null) {
                    return List.of();
                }
                if (to.group() != null) {
                    MemoryQueue q = groups.get(to.group());
                    return q == null ? List.of() : List.of(q);
                }
                return groups.values();
            }
            case COMMAND:
            case REPLY: {
                MemoryQueue q = pointToPoint.get(to.withoutGroup());
                return q == null ? List.of() : List.of(q);
            }
            default:
                return List.of();
        }
    }

    /** Declares (idempotently) the queue a subscription reads. */
    MemoryQueue declare(Address address, String group) {
        if (address.kind() == Address.Kind.EVENT) {
            return events.computeIfAbsent(address.name(), n -> new ConcurrentHashMap<>())
                    .computeIfAbsent(group, g -> new MemoryQueue(address.name() + "@" + g, queueCapacity, queueBytes));
        }
        return pointToPoint.computeIfAbsent(address.withoutGroup(), a -> new MemoryQueue(a.toString(), queueCapacity, queueBytes));
    }

    /**
     * Deletes the queue of a reply address (reply queues are per bus instance or browser tab and
     * die with it, like RabbitMQ's auto-delete queues). Other kinds are durable and kept.
     */
    void deleteReplyQueue(Address address) {
        if (address.kind() == Address.Kind.REPLY) {
            pointToPoint.remove(address.withoutGroup());
        }
    }

    /**
     * Deletes the queue {@code q} of an address and group, with its messages, unless a consumer reads
     * it ({@link dev.courier.spi.TransportSubscription#closeAndDelete()}). Reply queues go with
     * {@link #deleteReplyQueue}.
     */
    void deleteQueueIfUnused(Address address, String group, MemoryQueue q) {
        if (address.kind() == Address.Kind.EVENT) {
            Map<String, MemoryQueue> groups = events.get(address.name());
            if (groups != null) {
                groups.computeIfPresent(group, (g, existing) -> existing == q && !q.hasConsumers() ? null : existing);
            }
        } else if (address.kind() == Address.Kind.COMMAND) {
            pointToPoint.computeIfPresent(address.withoutGroup(), (a, existing) -> existing == q && !q.hasConsumers()
                    ? null : existing);
        }
    }

    /**
     * Queues that exist (for tests and metrics).
     *
     * @return how many event, command and reply queues this broker holds now
     */
    public int queueCount() {
        return pointToPoint.size() + events.values().stream().mapToInt(Map::size).sum();
    }

    /** Appends a dead letter; false when the service's dead-letter list is full. */
    boolean addDeadLetter(String service, RawMessage message) {
        List<RawMessage> list = deadLetters.computeIfAbsent(service, s -> new CopyOnWriteArrayList<>());
        synchronized (list) {
            if (list.size() >= deadLetterCapacity) {
                return false;
            }
            list.add(message);
            return true;
        }
    }

    List<RawMessage> browseDeadLetters(String service, int max) {
        // one snapshot of the copy-on-write list first: a sub-list of the live list throws
        // ConcurrentModificationException when a dead letter is added while it is copied
        List<RawMessage> all = List.copyOf(deadLetters.getOrDefault(service, List.of()));
        return all.size() <= max ? all : List.copyOf(all.subList(0, max));
    }

    boolean removeDeadLetter(String service, String id) {
        List<RawMessage> list = deadLetters.get(service);
        if (list == null) {
            return false;
        }
        synchronized (list) {
            for (Iterator<RawMessage> it = list.iterator(); it.hasNext(); ) {
                RawMessage m = it.next();
                if (id.equals(m.headers().get("id"))) {
                    list.remove(m);
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Messages waiting (not delivered) in the queue of an address and group; for tests. Declares the
     * queue when it does not exist yet.
     *
     * @param address the address; never null
     * @param group   the consuming group (ignored for commands and replies)
     * @return the messages waiting, not counting deliveries in progress
     */
    public int depth(Address address, String group) {
        return declare(address, group).depth();
    }
}
