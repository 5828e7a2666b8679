package dev.courier.websocket.hub;

import dev.courier.BusListener;
import dev.courier.DeadLetters;
import dev.courier.MessageBus;
import dev.courier.spi.Transport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The hub's operations page, {@code /ops/} on the hub's HTTP server: per service, its dead letters
 * (filter by type and error, a detail view with the diagnostic headers, payload and correlation
 * chain, replay and discard of one or a selection, new ones appearing live) and a small live view
 * of its traffic. Install it with {@link WebSocketHub.Builder#operations(Operations)}.
 *
 * <p><b>Access</b> uses the hub's own rules: the page's requests carry a bearer token
 * ({@code Authorization: Bearer}), the hub's {@link Authenticator} makes it a principal, and the
 * hub's {@link Authorizer} must allow {@link Authorizer.Operation#OPERATE} on a service (with the
 * default, an {@code operate:<service>} grant) for that principal to see or touch anything of it.
 * No token: HTTP 401; a principal who may operate none of the services asked for: HTTP 403 and no data.
 *
 * <p><b>Dead letters</b> are reached through {@link DeadLetters}, the API a service's own bus has
 * (and the one the {@code courier dlq} command line uses): pass a running bus's
 * {@link MessageBus#deadLetters()} ({@link #service(String, DeadLetters)}), or let the page connect,
 * as the command line does, a bus of that service with no handlers, which consumes nothing and
 * replays to that service only ({@link #connect(String, String...)}).
 *
 * <p><b>Traffic</b> comes from the {@link BusListener} {@link #traffic(String)}: register it on the
 * buses whose traffic the page should show ({@link MessageBus.Builder#listener}); without it the traffic
 * view says there is no data.
 *
 * <p>Thread-safe; services may be added after the hub started. {@link #close()} (also called when
 * the hub closes) closes the buses this object connected.
 */
public final class Operations implements AutoCloseable {

    private final Map<String, Supplier<DeadLetters>> services = new ConcurrentHashMap<>();
    private final List<MessageBus> owned = new ArrayList<>();
    private final OpsTraffic traffic = new OpsTraffic();
    private volatile Duration timeout = Duration.ofSeconds(30);

    private Operations() {
    }

    /**
     * An operations page with no services yet.
     *
     * @return a new, empty operations page; install it with {@link WebSocketHub.Builder#operations(Operations)}
     */
    public static Operations create() {
        return new Operations();
    }

    /**
     * Shows the dead letters of {@code service} through {@code deadLetters} (e.g. its bus's {@link MessageBus#deadLetters()}).
     *
     * @param service the service name; never null
     * @param deadLetters that service's dead letters; never null
     * @return this object
     */
    public Operations service(String service, DeadLetters deadLetters) {
        Objects.requireNonNull(deadLetters, "deadLetters");
        services.put(Objects.requireNonNull(service, "service"), () -> deadLetters);
        return this;
    }

    /**
     * Shows the dead letters of each service through a bus of that service with no handlers, on the
     * transport URI the services use ({@code amqp://…}, {@code mqtt://…}, {@code ws://…}), connected
     * on first use and closed with this object.
     *
     * @param transportUri the services' transport URI; never null
     * @param serviceNames the services to show
     * @return this object
     */
    public Operations connect(String transportUri, String... serviceNames) {
        Objects.requireNonNull(transportUri, "transportUri");
        for (String s : serviceNames) {
            services.put(s, lazy(() -> MessageBus.builder(s).transport(transportUri)));
        }
        return this;
    }

    /**
     * As {@link #connect(String, String...)}, with a transport from {@code transports} per service.
     *
     * @param transports makes a new, unstarted transport per service; never null
     * @param serviceNames the services to show
     * @return this object
     */
    public Operations connect(Supplier<Transport> transports, String... serviceNames) {
        Objects.requireNonNull(transports, "transports");
        for (String s : serviceNames) {
            services.put(s, lazy(() -> MessageBus.builder(s).transport(transports.get())));
        }
        return this;
    }

    /**
     * How long a replay may take before the page reports it failed (default 30 s).
     *
     * @param timeout the bound; never null
     * @return this object
     */
    public Operations timeout(Duration timeout) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        return this;
    }

    /**
     * The listener that feeds the traffic view of {@code service}: messages handled per second per
     * type, handler failures (failed attempts and dead letters). Register it on that service's bus
     * ({@link MessageBus.Builder#listener}); the page shows it to principals who may operate the service.
     *
     * @param service the service name; never null
     * @return the listener for that service's bus
     */
    public BusListener traffic(String service) {
        return traffic.listener(Objects.requireNonNull(service, "service"));
    }

    private Supplier<DeadLetters> lazy(Supplier<MessageBus.Builder> builder) {
        return new Supplier<>() {
            private DeadLetters dl;

            @Override
            public synchronized DeadLetters get() {
                if (dl == null) {
                    MessageBus bus = builder.get().concurrency(1).publishTimeout(timeout)
                            .closeTimeout(Duration.ofSeconds(5)).build();
                    bus.start();
                    synchronized (owned) {
                        owned.add(bus);
                    }
                    dl = bus.deadLetters();
                }
                return dl;
            }
        };
    }

    List<String> serviceNames() {
        return services.keySet().stream().sorted().toList();
    }

    /** The service's dead letters, or null when the page does not know the service. */
    DeadLetters deadLetters(String service) {
        Supplier<DeadLetters> s = services.get(service);
        return s == null ? null : s.get();
    }

    OpsTraffic trafficView() {
        return traffic;
    }

    Duration replayTimeout() {
        return timeout;
    }

    @Override
    public void close() {
        List<MessageBus> buses;
        synchronized (owned) {
            buses = new ArrayList<>(owned);
            owned.clear();
        }
        for (MessageBus b : buses) {
            b.close();
        }
    }
}
