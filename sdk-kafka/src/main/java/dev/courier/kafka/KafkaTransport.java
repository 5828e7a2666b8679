package dev.courier.kafka;

import dev.courier.ConfigurationException;
import dev.courier.PublishException;
import dev.courier.UnroutableException;
import dev.courier.spi.Address;
import dev.courier.spi.Backoff;
import dev.courier.spi.Capability;
import dev.courier.spi.DeadLetterBrowsing;
import dev.courier.spi.DeadLetterChannel;
import dev.courier.spi.DeliveryCallback;
import dev.courier.spi.Headers;
import dev.courier.spi.Limits;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import dev.courier.spi.TransportSubscription;
import dev.courier.spi.WireDescription;
import dev.courier.spi.support.ConfirmTracker;
import dev.courier.spi.support.PublishGate;
import dev.courier.spi.support.Reconnector;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Courier over Apache Kafka (the official kafka-clients): a topic per event and per command, a consumer
 * group per service, a reply topic per bus instance (deleted on close), a dead-letter topic per service
 * with an index for get-by-id, and retry topics for delayed redelivery. The wire contract is in
 * docs/transport-kafka.md.
 *
 * <p>Publishing: one idempotent producer with {@code acks=all}; the broker's acknowledgement completes the
 * publish future (on the transport's confirm thread), through Courier's {@link ConfirmTracker} and
 * {@link PublishGate}. Consuming: one consumer per subscription; an ack becomes an offset commit once every
 * earlier record of the partition is settled. Connecting: {@link Reconnector} at start (the cluster must
 * answer within the start timeout, else {@link dev.courier.TransportConnectException}); afterwards
 * kafka-clients reconnects by itself. Thread-safe.
 */
public final class KafkaTransport implements Transport, WireDescription, DeadLetterBrowsing {
    private static final Duration ADMIN = Duration.ofSeconds(10);
    /** The largest record Courier's topics take: Courier's body limit plus room for its headers. */
    static final int MAX_RECORD_BYTES = Limits.DEFAULTS.maxBodyBytes() + Limits.DEFAULTS.maxHeadersBytes() + 64 * 1024;
    private static final Duration CLOSE = Duration.ofSeconds(5);
    /** How long a reply looks for a requester's reply topic it does not see before calling it gone. */
    static final Duration REPLY_TOPIC_GRACE = Duration.ofSeconds(3);
    private static final Duration REPLY_TOPIC_FIRST_LOOK = Duration.ofMillis(50);
    /** The shortest connection attempt at start, also when the start timeout has (almost) passed. */
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(250);
    /** How long subscribe waits for the group to give a new member its share. */
    static final Duration SETTLE = Duration.ofSeconds(10);
    private static final AtomicLong INSTANCES = new AtomicLong();

    private final KafkaConfig config;
    private final Topics topics;
    private final Retries retries = new Retries(this);
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    private final Set<KafkaSubscription> subscriptions = ConcurrentHashMap.newKeySet();
    private final Set<String> replyTopics = ConcurrentHashMap.newKeySet();
    private final Map<String, DeadLetters> deadLetters = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong sequence = new AtomicLong();
    /** Sends waiting on (or running in) the sender thread; a caller sends directly only when it is 0. */
    private final java.util.concurrent.atomic.AtomicInteger queued = new java.util.concurrent.atomic.AtomicInteger();
    private final String clientId = "courier-" + INSTANCES.incrementAndGet();
    private volatile TransportContext context;
    private volatile ScheduledExecutorService scheduler;
    private volatile ExecutorService completions;
    private volatile ExecutorService sender;
    private volatile Thread senderThread;
    private volatile PublishGate gate;
    private volatile ConfirmTracker<Void> tracker;
    private volatile Reconnector<Admin> reconnector;
    private volatile Admin admin;
    private volatile KafkaProducer<byte[], byte[]> producer;

    private KafkaTransport(KafkaConfig config) {
        this.config = config;
        this.topics = new Topics(config.prefix());
    }

    /**
     * An unstarted transport.
     *
     * @param config the cluster and names
     * @return the transport; {@link #start} connects
     */
    public static KafkaTransport of(KafkaConfig config) {
        return new KafkaTransport(config);
    }

    /**
     * An unstarted transport from a {@code kafka://} URI (see {@link KafkaConfig#fromUri}).
     *
     * @param uri the URI
     * @return the transport
     * @throws dev.courier.ConfigurationException naming every problem of the URI
     */
    public static KafkaTransport of(String uri) {
        return new KafkaTransport(KafkaConfig.fromUri(uri));
    }

    /** @return the configuration */
    public KafkaConfig config() {
        return config;
    }

    @Override
    public void start(TransportContext context) {
        this.context = context;
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("courier-kafka-timer"));
        completions = Executors.newSingleThreadExecutor(daemon("courier-kafka-confirms"));
        sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = daemon("courier-kafka-sender").newThread(r);
            senderThread = t;
            return t;
        });
        gate = new PublishGate(config.publishWindow());
        long startDeadline = System.nanoTime() + context.startTimeout().toNanos();
        tracker = new ConfirmTracker<>(describe(), gate, completions, scheduler, System::nanoTime);
        reconnector = new Reconnector<>(describe(), new Reconnector.Link<>() {
            @Override
            public Admin open() throws Exception {
                if (admin == null) {
                    reachable(startDeadline); // a cheap check first: an admin client takes seconds to build under load
                }
                Admin a = Admin.create(props(clientId + "-admin"));
                try {
                    // an attempt at start ends with the start timeout (a reconnect later takes ADMIN)
                    long left = TimeUnit.NANOSECONDS.toMillis(startDeadline - System.nanoTime());
                    long bound = admin == null ? Math.max(MIN_ATTEMPT.toMillis(), Math.min(left, ADMIN.toMillis()))
                            : ADMIN.toMillis();
                    a.describeCluster().clusterId().get(bound, TimeUnit.MILLISECONDS);
                    return a;
                } catch (ExecutionException e) {
                    a.close(Duration.ZERO);
                    if (e.getCause() instanceof AuthenticationException refused) {
                        // a refused TLS handshake or SASL login: no later attempt can pass, so start fails now
                        throw new ConfigurationException(describe() + " refused the connection: " + refused.getMessage());
                    }
                    throw e;
                } catch (Exception e) {
                    a.close(Duration.ZERO);
                    throw e;
                }
            }

            @Override
            public void up(Admin a, boolean first) {
                admin = a;
                if (producer == null) {
                    producer = newProducer();
                }
            }

            @Override
            public void close(Admin a) {
                a.close(CLOSE);
            }
        }, Backoff.ofDefaults(), scheduler);
        try {
            reconnector.start(context.startTimeout());
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Throws unless one bootstrap address accepts a TCP connection (each tried for at most what is left of
     * the start, at least {@link #MIN_ATTEMPT}, at most 1 s), so a start against a broker that is down gives
     * up at its start timeout without building an admin client per attempt.
     */
    private void reachable(long startDeadline) throws java.io.IOException {
        java.io.IOException last = null;
        for (String hostPort : config.bootstrap()) {
            int colon = hostPort.lastIndexOf(':');
            String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
            int port = colon < 0 ? 9092 : Integer.parseInt(hostPort.substring(colon + 1));
            long left = TimeUnit.NANOSECONDS.toMillis(startDeadline - System.nanoTime());
            int bound = (int) Math.max(MIN_ATTEMPT.toMillis(), Math.min(left, 1000));
            try (java.net.Socket s = new java.net.Socket()) {
                s.connect(new java.net.InetSocketAddress(host.replace("[", "").replace("]", ""), port), bound);
                return;
            } catch (java.io.IOException e) {
                last = e;
            }
        }
        throw last != null ? last : new java.io.IOException("no bootstrap address");
    }

    @Override
    public CompletableFuture<Void> publish(Address to, Map<String, String> headers, byte[] body) {
        ConfirmTracker<Void> t = tracker;
        if (t == null || closed.get()) {
            return CompletableFuture.failedFuture(new PublishException("the transport to " + describe()
                    + " is " + (t == null ? "not started" : "closed") + "; cannot publish to " + to));
        }
        String what = to + " id " + headers.get(Headers.ID);
        Map<String, String> copy = Map.copyOf(headers);
        if (Thread.currentThread().getName().startsWith("courier-kafka-")) {
            // a thread of this transport (a delivery callback, a confirm): never wait for room here, the
            // room may depend on this very thread; the sender thread waits instead
            CompletableFuture<Void> result = new CompletableFuture<>();
            try {
                sender.execute(() -> admitAndSend(t, to, copy, body, what).whenComplete((x, e) -> {
                    if (e == null) {
                        result.complete(null);
                    } else {
                        result.completeExceptionally(e);
                    }
                }));
            } catch (RejectedExecutionException e) {
                result.completeExceptionally(new PublishException("the transport to " + describe() + " is closed"));
            }
            return result;
        }
        return admitAndSend(t, to, copy, body, what);
    }

    private CompletableFuture<Void> admitAndSend(ConfirmTracker<Void> t, Address to, Map<String, String> copy, byte[] body,
                                                 String what) {
        ConfirmTracker.Pending<Void> p = t.open(null, what, context.publishTimeout());
        if (p.isDone()) {
            return p.future();
        }
        long seq = sequence.incrementAndGet();
        t.sent(seq, p);
        String topic = topics.publishTopic(to);
        sendRecord(topic, CloudEventsBinding.key(copy), copy, body, Map.of(), to.kind() != Address.Kind.REPLY)
                .thenCompose(md -> to.kind() == Address.Kind.DEAD_LETTER ? indexDeadLetter(to.name(), copy, md)
                        : CompletableFuture.completedFuture(null))
                .whenComplete((x, e) -> {
                    if (e == null) {
                        t.confirm(seq);
                    } else {
                        Throwable c = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                                ? e.getCause() : e;
                        t.fail(seq, c instanceof PublishException ? c : new PublishException("the broker " + describe()
                                + " refused " + what + ": " + c, c));
                    }
                });
        return p.future();
    }

    private CompletableFuture<Void> indexDeadLetter(String service, Map<String, String> headers, RecordMetadata md) {
        String id = headers.get(Headers.ID);
        if (id == null) {
            return CompletableFuture.completedFuture(null);
        }
        return sendRecord(topics.deadLetterIndex(service), id.getBytes(StandardCharsets.UTF_8), null,
                (DeadLetters.LIVE + md.offset()).getBytes(StandardCharsets.UTF_8), Map.of(), true).thenApply(x -> null);
    }

    @Override
    public TransportSubscription subscribe(Address address, String group, int prefetch, DeliveryCallback callback) {
        if (closed.get() || admin == null) {
            throw new PublishException("the transport to " + describe() + " is " + (closed.get() ? "closed" : "not started")
                    + "; cannot subscribe to " + address);
        }
        boolean reply = address.kind() == Address.Kind.REPLY;
        if (reply) {
            replyTopics.add(topics.reply(address.name()));
        }
        KafkaSubscription s = subscribeTopics(address, group, prefetch, callback, topics.subscribed(address, group), !reply);
        return s;
    }

    KafkaSubscription subscribeTopics(Address address, String group, int prefetch, DeliveryCallback callback,
                                      List<String> names, boolean mover) {
        for (String topic : names) {
            ensureTopic(topic);
        }
        if (mover) {
            ensureTopic(topics.retry(group));
            retries.ensureMover(group);
        }
        String consumerId = clientId + "-consumer-" + sequence.incrementAndGet();
        String groupId = topics.group(address, group);
        KafkaConsumer<byte[], byte[]> c = newConsumer(groupId, Math.min(prefetch, 500), consumerId);
        KafkaSubscription s = new KafkaSubscription(this, address, group, prefetch, callback, names, c, consumerId);
        subscriptions.add(s);
        s.startPolling();
        awaitSettled(s, groupId);
        return s;
    }

    /**
     * Waits (at most {@link #SETTLE}) until the group has given this new member its share: it holds its
     * target assignment of the group's current epoch (the partitions it takes were given up by the others). So a publish right after subscribe reaches a settled group, and
     * instances started together share the work from the first message.
     */
    private void awaitSettled(KafkaSubscription s, String groupId) {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (System.nanoTime() < deadline && !closed.get()) {
            if (s.assignedOnce()) {
                try {
                    var d = admin.describeConsumerGroups(List.of(groupId)).all().get(ADMIN.toMillis(), TimeUnit.MILLISECONDS)
                            .get(groupId);
                    int target = d.targetAssignmentEpoch().orElse(-1);
                    boolean present = false;
                    boolean reconciled = d.groupEpoch().orElse(-2) == target;
                    for (var m : d.members()) {
                        if (s.clientId().equals(m.clientId())) {
                            present = true;
                            reconciled &= m.memberEpoch().orElse(-1) == target && (m.targetAssignment().isEmpty()
                                    || m.targetAssignment().get().topicPartitions().equals(m.assignment().topicPartitions()));
                        }
                    }
                    if (present && reconciled) {
                        return;
                    }
                } catch (Exception e) {
                    return; // the group cannot be described: do not hold the subscriber up
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    void forget(KafkaSubscription s) {
        subscriptions.remove(s);
    }

    /** Sends one record (not through the publish window): the future completes on the confirm thread. */
    CompletableFuture<Void> sendInternal(String topic, byte[] key, Map<String, String> ce, byte[] body,
                                         Map<String, String> extra) {
        return sendRecord(topic, key, ce, body, extra).thenApply(md -> null);
    }

    CompletableFuture<RecordMetadata> sendRecord(String topic, byte[] key, Map<String, String> ce, byte[] value,
                                                 Map<String, String> extra) {
        return sendRecord(topic, key, ce, value, extra, true);
    }

    private CompletableFuture<RecordMetadata> sendRecord(String topic, byte[] key, Map<String, String> ce, byte[] value,
                                                         Map<String, String> extra, boolean create) {
        CompletableFuture<RecordMetadata> f = new CompletableFuture<>();
        if (create && knownTopics.contains(topic) && queued.get() == 0
                && !Thread.currentThread().getName().startsWith("courier-kafka-")) {
            // the topic exists and nothing waits on the sender thread (so nothing sent earlier by this
            // thread can be overtaken): hand the record to the producer here, without a thread hop
            try {
                producer.send(record(topic, key, ce, value, extra), (md, e) -> complete(f, md, e));
            } catch (RuntimeException e) {
                complete(f, null, e);
            }
            return f;
        }
        Runnable send = () -> {
            try {
                if (create) {
                    ensureTopic(topic);
                } else if (!topicExists(topic)) {
                    lookAgainForReplyTopic(f, topic, key, ce, value, extra, System.nanoTime() + REPLY_TOPIC_GRACE.toNanos(),
                            REPLY_TOPIC_FIRST_LOOK);
                    return;
                }
                producer.send(record(topic, key, ce, value, extra), (md, e) -> complete(f, md, e));
            } catch (RuntimeException e) {
                complete(f, null, e);
            }
        };
        if (Thread.currentThread() == senderThread) {
            send.run(); // already on the sender thread (a publish it admits): queueing would put it behind the
            return f;   // publishes waiting for the room this one is to make
        }
        queued.incrementAndGet();
        try {
            sender.execute(() -> {
                try {
                    send.run();
                } finally {
                    queued.decrementAndGet();
                }
            });
        } catch (RejectedExecutionException e) {
            queued.decrementAndGet();
            f.completeExceptionally(new PublishException("the transport to " + describe() + " is closed"));
        }
        return f;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, byte[] key, Map<String, String> ce, byte[] value,
                                                         Map<String, String> extra) {
        RecordHeaders h = ce == null ? new RecordHeaders() : CloudEventsBinding.toKafka(ce);
        extra.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(topic, null, key, value, h);
    }

    /**
     * A reply topic this client does not see yet: the requester created it when it subscribed, and a topic that
     * new may reach this client's broker a moment later (more so under load). Looks again on the sender
     * thread after {@code delay} (doubling), without holding the sender meanwhile, until {@code deadline};
     * then the requester is taken to be gone and the reply fails with {@link UnroutableException}.
     */
    private void lookAgainForReplyTopic(CompletableFuture<RecordMetadata> f, String topic, byte[] key,
                                        Map<String, String> ce, byte[] value, Map<String, String> extra, long deadline,
                                        Duration delay) {
        if (System.nanoTime() - deadline >= 0) {
            complete(f, null, new UnroutableException("the reply topic " + topic + " does not exist on " + describe()
                    + " (looked for " + REPLY_TOPIC_GRACE.toMillis() + " ms: the requester is gone)"));
            return;
        }
        try {
            scheduler.schedule(() -> {
                try {
                    sender.execute(() -> {
                        try {
                            if (topicExists(topic)) {
                                producer.send(record(topic, key, ce, value, extra), (md, e) -> complete(f, md, e));
                            } else {
                                Duration next = delay.multipliedBy(2);
                                lookAgainForReplyTopic(f, topic, key, ce, value, extra, deadline,
                                        next.compareTo(REPLY_TOPIC_GRACE) > 0 ? REPLY_TOPIC_GRACE : next);
                            }
                        } catch (RuntimeException e) {
                            complete(f, null, e);
                        }
                    });
                } catch (RejectedExecutionException closed) {
                    complete(f, null, new PublishException("the transport to " + describe() + " is closed"));
                }
            }, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            complete(f, null, new PublishException("the transport to " + describe() + " is closed"));
        }
    }

    private void complete(CompletableFuture<RecordMetadata> f, RecordMetadata md, Exception e) {
        Runnable r = () -> {
            if (e == null) {
                f.complete(md);
            } else {
                f.completeExceptionally(e);
            }
        };
        try {
            completions.execute(r);
        } catch (RejectedExecutionException x) {
            r.run();
        }
    }

    /** Creates {@code topic} when it does not exist yet (blocking, bounded). */
    void ensureTopic(String topic) {
        if (knownTopics.contains(topic)) {
            return;
        }
        boolean single = topic.startsWith(config.prefix() + ".deadletter.") || topic.startsWith(config.prefix() + ".dlindex.");
        NewTopic nt = new NewTopic(topic, java.util.Optional.of(single ? 1 : config.partitions()),
                config.replicationFactor() < 0 ? java.util.Optional.empty()
                        : java.util.Optional.of((short) config.replicationFactor()));
        String maxBytes = Integer.toString(MAX_RECORD_BYTES);
        if (topic.startsWith(config.prefix() + ".dlindex.")) {
            nt.configs(Map.of("cleanup.policy", "compact"));
        } else if (topic.startsWith(config.prefix() + ".deadletter.")) {
            nt.configs(Map.of("retention.ms", "-1", "max.message.bytes", maxBytes));
        } else {
            nt.configs(Map.of("max.message.bytes", maxBytes));
        }
        try {
            admin.createTopics(List.of(nt)).all().get(ADMIN.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new PublishException("could not create the topic " + topic + " on " + describe() + ": "
                        + e.getCause(), e.getCause());
            }
        } catch (java.util.concurrent.TimeoutException e) {
            throw new PublishException("creating the topic " + topic + " on " + describe() + " took longer than " + ADMIN);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while creating the topic " + topic);
        }
        knownTopics.add(topic);
    }

    /** Sends one record and waits for the broker's acknowledgement on the calling thread (bounded). */
    RecordMetadata sendNow(String topic, byte[] key, byte[] value, Duration timeout) throws Exception {
        ensureTopic(topic);
        return producer.send(new ProducerRecord<>(topic, key, value)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    boolean topicExists(String topic) {
        if (knownTopics.contains(topic)) {
            return true;
        }
        try {
            admin.describeTopics(List.of(topic)).allTopicNames().get(ADMIN.toMillis(), TimeUnit.MILLISECONDS);
            knownTopics.add(topic);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return false;
            }
            throw new PublishException("could not look up the topic " + topic + " on " + describe() + ": " + e.getCause());
        } catch (Exception e) {
            throw new PublishException("could not look up the topic " + topic + " on " + describe() + ": " + e);
        }
    }

    KafkaConsumer<byte[], byte[]> newConsumer(String groupId, int maxPollRecords) {
        return newConsumer(groupId, maxPollRecords, clientId + "-reader-" + sequence.incrementAndGet());
    }

    private KafkaConsumer<byte[], byte[]> newConsumer(String groupId, int maxPollRecords, String id) {
        Properties p = props(id);
        if (groupId != null) {
            p.put("group.id", groupId);
            p.put("group.protocol", "consumer");
            // each topic's partitions spread over the members that read it (the uniform assignor balances
            // counts across topics, and could give one member all of an event topic and another its idle
            // direct topic)
            p.putIfAbsent("group.remote.assignor", "range");
        }
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "earliest");
        p.put("max.poll.records", Integer.toString(maxPollRecords));
        p.put("max.partition.fetch.bytes", Integer.toString(MAX_RECORD_BYTES));
        p.put("fetch.max.bytes", Integer.toString(MAX_RECORD_BYTES));
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        return new KafkaConsumer<>(p);
    }

    private KafkaProducer<byte[], byte[]> newProducer() {
        Properties p = props(clientId + "-producer");
        long timeout = Math.max(context.publishTimeout().toMillis(), 2000);
        p.put("linger.ms", Long.toString(config.linger().toMillis()));
        p.put("request.timeout.ms", Long.toString(Math.min(timeout, 30_000) - 1000 + 1000));
        p.put("delivery.timeout.ms", Long.toString(timeout + config.linger().toMillis() + Math.min(timeout, 30_000)));
        p.put("max.block.ms", Long.toString(timeout)); // metadata of a new topic while the broker is away
        p.putIfAbsent("max.request.size", Integer.toString(MAX_RECORD_BYTES));
        p.put("key.serializer", ByteArraySerializer.class.getName());
        p.put("value.serializer", ByteArraySerializer.class.getName());
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("max.in.flight.requests.per.connection", "5");
        return new KafkaProducer<>(p);
    }

    private Properties props(String id) {
        Properties p = new Properties();
        p.put("bootstrap.servers", config.bootstrapServers());
        p.put("client.id", id);
        p.put("security.protocol", config.securityProtocol());
        p.put("reconnect.backoff.max.ms", "2000");
        if (config.username() != null) {
            String module = config.saslMechanism().startsWith("SCRAM")
                    ? "org.apache.kafka.common.security.scram.ScramLoginModule"
                    : "org.apache.kafka.common.security.plain.PlainLoginModule";
            p.put("sasl.mechanism", config.saslMechanism());
            p.put("sasl.jaas.config", module + " required username=\"" + config.username().replace("\"", "\\\"")
                    + "\" password=\"" + config.password().replace("\"", "\\\"") + "\";");
        }
        p.putAll(config.properties());
        p.putAll(config.sslContextProperties()); // the caller's SSLContext, through KafkaSslEngineFactory
        return p;
    }

    Topics topics() {
        return topics;
    }

    Retries retries() {
        return retries;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    boolean isClosed() {
        return closed.get();
    }

    @Override
    public boolean isConnected() {
        Reconnector<Admin> r = reconnector;
        return r != null && r.isConnected() && !closed.get();
    }

    /**
     * Kafka cannot requeue in place (a requeued record is written again to the service's own topic) and
     * cannot tell that nobody consumes a command (a topic keeps it for a later consumer).
     */
    @Override
    public Set<Capability> capabilities() {
        // a member keeps its partitions while it rejoins within the group's session: its deliveries outlive reconnects
        return EnumSet.of(Capability.REQUEUE, Capability.TAKEOVER_ON_DISCONNECT, Capability.LARGE_MESSAGES,
                Capability.DELIVERIES_OUTLIVE_RECONNECTS);
    }

    @Override
    public PublishWindow publishWindow() {
        return gate;
    }

    @Override
    public String describe() {
        return "kafka://" + config.bootstrapServers() + "?prefix=" + config.prefix();
    }

    @Override
    public String protocol() {
        return "kafka";
    }

    @Override
    public String host() {
        return config.bootstrapServers();
    }

    /**
     * The topic ({@code topic}) and, for a consumer, its consumer group ({@code groupId}) and, for an event,
     * the service's direct topic it also reads ({@code directTopic}: replays and requeues).
     */
    @Override
    public Map<String, String> wireAddress(Address address, String group) {
        if (group == null) {
            return Map.of("topic", topics.publishTopic(address));
        }
        List<String> read = topics.subscribed(address, group);
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("topic", read.get(0));
        if (read.size() > 1) {
            m.put("directTopic", read.get(1));
        }
        m.put("groupId", topics.group(address, group));
        return m;
    }

    @Override
    public DeadLetterChannel deadLetters(String service) {
        return deadLetters.computeIfAbsent(service, s -> new DeadLetters(this, s));
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (KafkaSubscription s : List.copyOf(subscriptions)) {
            s.stop(CLOSE);
        }
        if (sender != null) {
            sender.shutdown();
            await(sender);
        }
        if (producer != null) {
            producer.close(CLOSE);
        }
        if (tracker != null) {
            tracker.close();
        }
        Admin a = admin;
        if (a != null && !replyTopics.isEmpty()) {
            try {
                a.deleteTopics(List.copyOf(replyTopics)).all().get(CLOSE.toMillis(), TimeUnit.MILLISECONDS);
                a.deleteConsumerGroups(replyTopics.stream().toList()).all().get(CLOSE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // best effort: a reply topic left behind holds no one's messages
            }
        }
        if (reconnector != null) {
            reconnector.close();
        }
        if (completions != null) {
            completions.shutdown();
            await(completions);
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }

    private static void await(ExecutorService e) {
        try {
            e.awaitTermination(CLOSE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
