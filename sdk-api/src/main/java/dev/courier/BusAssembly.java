package dev.courier;

import dev.courier.memory.InMemoryDeduplicationStore;
import dev.courier.spi.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.regex.Pattern;

/**
 * What {@link MessageBus.Builder#build()} does with the builder's settings: checks every one at once
 * (a {@link ConfigurationException} names each problem), registers the message names, loads the
 * transport, fills in the defaults (handler pool, scheduler, dedup store, codec) and makes the
 * {@link BusCore}. The builder itself stays the public list of settings and their Javadoc. Internal.
 */
final class BusAssembly {
    private static final Logger log = LoggerFactory.getLogger(MessageBus.class);
    private static final Pattern SERVICE = Pattern.compile("[a-z][a-z0-9-]{0,62}");
    private static final Pattern INSTANCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");

    private BusAssembly() {
    }

    @SuppressWarnings("unchecked")
    static MessageBus build(MessageBus.Builder b) {
        List<String> problems = new ArrayList<>(b.early);
        if (b.service == null || !SERVICE.matcher(b.service).matches()) {
            problems.add("service must match [a-z][a-z0-9-]{0,62} (it names queues and topics), was '" + b.service + "'");
        }
        if (b.instanceId != null && !INSTANCE.matcher(b.instanceId).matches()) {
            problems.add("instanceId must match [A-Za-z0-9][A-Za-z0-9_-]{0,62}, was '" + b.instanceId + "'");
        }
        if (b.concurrency < 1 || b.concurrency > 1024) {
            problems.add("concurrency must be between 1 and 1024, was " + b.concurrency);
        }
        int pf = b.prefetch != null ? b.prefetch : Math.min(65_535, b.concurrency * 8);
        if (pf < 1 || pf > 65_535) {
            problems.add("prefetch must be between 1 and 65535, was " + pf);
        } else if (pf < b.concurrency) {
            problems.add("prefetch (" + pf + ") must be at least concurrency (" + b.concurrency + ")");
        }
        checkPositive(problems, "publishTimeout", b.publishTimeout);
        checkPositive(problems, "startTimeout", b.startTimeout);
        checkPositive(problems, "closeTimeout", b.closeTimeout);
        checkPositive(problems, "claimLease", b.claimLease);
        if (b.retryPolicy == null) {
            problems.add("retryPolicy must not be null");
        }
        if (b.deadLetterPolicy == null) {
            problems.add("deadLetterPolicy must not be null");
        }
        if (b.clock == null) {
            problems.add("clock must not be null");
        }
        if (b.codec != null && b.objectMapper != null) {
            problems.add("set either codec(...) or objectMapper(...), not both: objectMapper configures the default"
                    + " Jackson 2 codec");
        }

        Registry registry = new Registry();
        b.explicitNames.forEach((type, name) -> registry.register(type, name, problems));
        List<BusSettings.Subscription> subs = new ArrayList<>();
        b.eventHandlers.forEach((type, h) -> {
            MessageType mt = registry.register(type, null, problems);
            if (mt != null) {
                subs.add(new BusSettings.Subscription(mt, (Handler<Object>) h));
            }
        });
        b.commandHandlers.forEach((type, h) -> {
            MessageType mt = registry.register(type, null, problems);
            if (mt != null) {
                subs.add(new BusSettings.Subscription(mt, (Handler<Object>) h));
            }
        });
        Set<String> produces = new LinkedHashSet<>();
        for (Class<?> type : b.produced) {
            MessageType mt = registry.register(type, null, problems);
            if (mt != null) {
                produces.add(mt.name());
            }
        }
        for (MessageType mt : registry.all()) {
            String lint = NamingLint.check(mt);
            if (lint != null) {
                if (b.strictNaming) {
                    problems.add(lint);
                } else {
                    log.warn("{} (strictNaming(true) makes this an error)", lint);
                }
            }
        }
        Transport t = b.transport;
        if (t == null && b.transportUri == null) {
            // The default stays (tests and demos), but never silently: production must choose.
            log.warn("bus '{}' has no transport: it runs on the in-process memory: broker, which only this JVM"
                    + " sees and which keeps nothing across a restart; call transport(\"memory:\") to choose it,"
                    + " or transport(\"amqp://...\") (mqtt://, ws://) for a broker", b.service);
        }
        if (t == null) {
            String uri = b.transportUri != null ? b.transportUri : "memory:";
            try {
                t = BusResources.loadTransport(uri, MessageBus.class.getClassLoader());
            } catch (ConfigurationException e) {
                e.problems().forEach(p -> problems.add("transport: " + p));
            } catch (RuntimeException e) {
                problems.add("transport: " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }

        String instance = b.instanceId != null ? b.instanceId : UUID.randomUUID().toString().substring(0, 8);
        List<ExecutorService> owned = new ArrayList<>();
        Executor exec = b.handlerExecutor;
        if (exec == null) {
            ExecutorService pool = BusResources.handlerPool(b.service, b.concurrency, subs.size());
            owned.add(pool);
            exec = pool;
        }
        ScheduledExecutorService sched = b.scheduler;
        if (sched == null) {
            ScheduledThreadPoolExecutor s = BusResources.scheduler(b.service);
            owned.add(s);
            sched = s;
        }
        BusSettings settings = new BusSettings(b.service, instance, t, registry, subs,
                b.codec != null ? b.codec : new dev.courier.spi.JsonPayloadCodec(b.objectMapper),
                b.retryPolicy, b.deadLetterPolicy,
                b.deduplicationStore != null ? b.deduplicationStore : InMemoryDeduplicationStore.ofDefaults(),
                b.claimLease, b.concurrency, pf, exec, sched, b.clock, b.publishTimeout, b.startTimeout, b.closeTimeout,
                List.copyOf(b.listeners),
                List.copyOf(b.interceptors),
                b.strictProduces);
        return new MessageBus(new BusCore(settings, produces, owned));
    }

    private static void checkPositive(List<String> problems, String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            problems.add(name + " must be positive, was " + d);
        }
    }
}
