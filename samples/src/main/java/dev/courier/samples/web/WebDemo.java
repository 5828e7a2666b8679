package dev.courier.samples.web;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.memory.InMemoryBroker;
import dev.courier.samples.ordering.NotificationService;
import dev.courier.samples.ordering.OrderingService;
import dev.courier.samples.ordering.PaymentService;
import dev.courier.samples.ordering.ShippingService;
import dev.courier.samples.ordering.TrackingService;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportProvider;
import dev.courier.websocket.hub.Authenticator;
import dev.courier.websocket.hub.HttpRoute;
import dev.courier.websocket.hub.Operations;
import dev.courier.websocket.hub.WebSocketHub;
import dev.courier.websocket.hub.WebSocketPrincipal;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The live ordering page: the ordering demo's services on a backbone — the embedded in-memory broker
 * by default, or any broker by its transport URI ({@code kafka://}, {@code amqp://}, {@code mqtt://}) —,
 * a WebSocket hub bridged to that backbone, and a page (served by the hub's HTTP server) where a
 * customer places an order and watches it become placed, paid and shipped, live.
 *
 * <pre>mvn -q -pl samples -am package -DskipTests
 * java -cp samples/target/courier-demo.jar dev.courier.samples.web.WebDemo 0 0
 * java -cp samples/target/courier-demo.jar dev.courier.samples.web.WebDemo kafka://127.0.0.1:9092 0 0</pre>
 *
 * Arguments: {@code [transport URI] [wsPort] [httpPort]} (default {@code memory:}, 8025 and 8080; 0 picks
 * free ports). It prints the page URL, the hub's {@code ws://} URL and the demo token, and runs until
 * interrupted.
 *
 * <p>The services' events name the customer as their {@code subject}, so every tab of the customer
 * sees every order live; a tab that (re)starts asks the tracking service for the customer's recent
 * orders ({@code v1.order.history}). See docs/transport-websocket.md, "The browser client and the live
 * ordering page".
 */
public final class WebDemo implements AutoCloseable {

    static final RetryPolicy QUICK_RETRIES = RetryPolicy.custom()
            .maxAttempts(3)
            .initialBackoff(Duration.ofMillis(100))
            .redeliveryDelays(Duration.ofMillis(500))
            .build();

    private final List<MessageBus> services = new ArrayList<>();
    private final InMemoryBroker broker;
    private final String backbone;
    private final Supplier<Transport> transports;
    private final WebSocketHub hub;
    private final String token;
    private final String customer;
    private final String operatorToken;
    private final Operations operations;

    /**
     * Starts the services and the hub on the embedded in-memory broker.
     *
     * @param wsPort   the hub's WebSocket port; 0 picks a free one
     * @param httpPort the hub's HTTP port (the page); 0 picks a free one
     */
    public WebDemo(int wsPort, int httpPort) {
        this("memory:", wsPort, httpPort);
    }

    /**
     * Starts the services and the hub on the backbone {@code transportUri}: {@code memory:} for an embedded
     * in-memory broker of this demo's own, or a broker's URI ({@code kafka://host:9092}, {@code amqp://…},
     * {@code mqtt://…}) that the services, the hub and the operations page all use.
     *
     * @param transportUri the backbone; {@code memory:} (or null) for the embedded broker
     * @param wsPort       the hub's WebSocket port; 0 picks a free one
     * @param httpPort     the hub's HTTP port (the page); 0 picks a free one
     * @throws IllegalArgumentException when no transport on the class path takes the URI
     */
    public WebDemo(String transportUri, int wsPort, int httpPort) {
        SecureRandom random = new SecureRandom();
        byte[] t = new byte[12];
        random.nextBytes(t);
        this.token = "demo" + HexFormat.of().formatHex(t);
        this.customer = "customer-" + HexFormat.of().formatHex(t, 0, 2);
        random.nextBytes(t);
        this.operatorToken = "ops" + HexFormat.of().formatHex(t);
        boolean memory = transportUri == null || transportUri.equals("memory:");
        this.backbone = memory ? "memory:" : transportUri;
        InMemoryBroker broker = memory ? InMemoryBroker.create(10_000, 10_000) : null;
        this.broker = broker;
        this.transports = memory ? broker::connect : () -> transport(transportUri);
        Map<String, UnaryOperator<MessageBus.Builder>> all = Map.of(
                "ordering", OrderingService::configure,
                "payment", PaymentService::configure,
                "shipping", ShippingService::configure,
                "notification", NotificationService::configure,
                "tracking", TrackingService::configure);
        // the operations page (/ops/) reads each service's dead letters through a handler-less bus of that
        // service, as the courier CLI does, and shows the traffic the services' listeners record
        this.operations = Operations.create().connect(transports, all.keySet().toArray(String[]::new));
        try {
            for (Map.Entry<String, UnaryOperator<MessageBus.Builder>> s : all.entrySet()) {
                MessageBus b = s.getValue().apply(MessageBus.builder(s.getKey()).transport(transports.get())
                        .listener(operations.traffic(s.getKey()))
                        .retryPolicy(QUICK_RETRIES)).build();
                services.add(b);
                b.start();
            }
        } catch (RuntimeException e) {
            services.forEach(MessageBus::close); // e.g. the broker is not there: nothing left running
            throw e;
        }
        try {
            this.hub = hub(wsPort, httpPort);
        } catch (RuntimeException e) {
            services.forEach(MessageBus::close); // e.g. a port is taken
            throw e;
        }
    }

    private WebSocketHub hub(int wsPort, int httpPort) {
        byte[] page = resource("/web/index.html");
        byte[] icon = resource("/web/favicon.svg");
        // the customer may place orders and ask for their history; they see the events whose subject is their name
        WebSocketPrincipal principal = WebSocketPrincipal.of(customer, "send:v1.order.place", "send:v1.order.history",
                "subscribe:v1.order.*",
                "subscribe:v1.payment.*", "subscribe:v1.customer.*");
        return WebSocketHub.builder()
                .port(wsPort)
                .httpPort(httpPort)
                // the operator may use the operations page for every service (and nothing else)
                .authenticator(Authenticator.tokens(Map.of(token, principal,
                        operatorToken, WebSocketPrincipal.of("operator", "operate:*"))))
                .operations(operations)
                .backbone(transports.get(), Duration.ofSeconds(5))
                .httpRoute("/", request -> servePage(request, page, icon))
                .httpRoute("/asyncapi/", this::serveContract)
                .build()
                .start();
    }

    private HttpRoute.Response servePage(HttpRoute.Request request, byte[] page, byte[] icon) {
        String path = request.path();
        boolean index = path.equals("/") || path.equals("/index.html");
        boolean favicon = path.equals("/favicon.svg") || path.equals("/favicon.ico"); // browsers ask for .ico unprompted
        byte[] body = index ? page : favicon ? icon : "not found\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpRoute.Response r = HttpRoute.Response.of(index || favicon ? 200 : 404,
                index ? "text/html; charset=utf-8" : favicon ? "image/svg+xml" : "text/plain", body);
        if (favicon) {
            r = r.withHeader("Cache-Control", "max-age=86400");
        }
        return r.withHeader("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws://"
                + hub.uri().getAuthority() + " ws://localhost:" + hub.port() + "; style-src 'self' 'unsafe-inline';"
                + " script-src 'self' 'unsafe-inline'");
    }

    /**
     * The services' contracts over HTTP: {@code /asyncapi/<service>.yaml} (or {@code .json}) and
     * {@code /asyncapi/system.yaml}, the merged view, always generated from the running buses.
     */
    private HttpRoute.Response serveContract(HttpRoute.Request request) {
        String name = request.path().substring("/asyncapi/".length());
        boolean json = name.endsWith(".json");
        String service = name.replaceAll("\\.(yaml|json)$", "");
        String body = null;
        java.util.List<com.fasterxml.jackson.databind.JsonNode> docs = new ArrayList<>();
        for (MessageBus b : services) {
            dev.courier.asyncapi.AsyncApi api = dev.courier.asyncapi.AsyncApi.of(b).version("1.0.0");
            if (b.service().equals("ordering")) {
                api.replies(dev.courier.samples.ordering.Messages.PlaceOrder.class,
                        dev.courier.samples.ordering.Messages.OrderAccepted.class);
            }
            if (b.service().equals("tracking")) {
                api.replies(dev.courier.samples.ordering.Messages.OrderHistory.class,
                        dev.courier.samples.ordering.Messages.CustomerOrders.class);
            }
            docs.add(api.document());
            if (b.service().equals(service)) {
                body = json ? api.toJson() : api.toYaml();
            }
        }
        if (service.equals("system")) {
            dev.courier.asyncapi.SystemContract system = dev.courier.asyncapi.SystemContract.of("ordering-demo", docs);
            body = json ? system.toJson() : system.toYaml();
        }
        byte[] bytes = (body != null ? body : "no such contract; try /asyncapi/ordering.yaml\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return HttpRoute.Response.of(body != null ? 200 : 404, body == null ? "text/plain"
                : json ? "application/json" : "application/yaml", bytes);
    }

    private static byte[] resource(String name) {
        try (InputStream in = WebDemo.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " missing from the samples jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The page URL, with the hub's ws URL and the demo token in the fragment (never sent to a server). */
    public URI pageUri() {
        return URI.create(hub.httpUri() + "#ws=" + hub.uri() + "&token=" + token);
    }

    /** The operations page URL, with the operator's token in the fragment (never sent to a server). */
    public URI opsUri() {
        return URI.create(hub.httpUri() + "ops/#token=" + operatorToken);
    }

    /** The operations page of this demo's hub, e.g. to show another service's dead letters. */
    Operations operations() {
        return operations;
    }

    String operatorToken() {
        return operatorToken;
    }

    /**
     * The hub's WebSocket URL.
     *
     * @return {@code ws://host:port/}
     */
    public URI wsUri() {
        return hub.uri();
    }

    /**
     * The demo customer's bearer token for the hub.
     *
     * @return the token
     */
    public String token() {
        return token;
    }

    /**
     * The demo customer's name (the principal behind {@link #token()}).
     *
     * @return the name
     */
    public String customer() {
        return customer;
    }

    /** The embedded broker the services and the hub share (tests publish on it as a service would); null on a broker. */
    InMemoryBroker broker() {
        return broker;
    }

    /** A new, unstarted transport on the demo's backbone (tests publish on it as a service would). */
    Transport connect() {
        return transports.get();
    }

    /**
     * The backbone the services and the hub share.
     *
     * @return its transport URI ({@code memory:} for the embedded broker); it may hold a password: redact it
     */
    public String backbone() {
        return backbone;
    }

    /** A new transport for {@code uri}, found by its scheme as a bus finds it (the transport modules' providers). */
    private static Transport transport(String uri) {
        URI parsed = URI.create(uri);
        for (TransportProvider p : ServiceLoader.load(TransportProvider.class, WebDemo.class.getClassLoader())) {
            if (p.supports(parsed)) {
                return p.create(parsed);
            }
        }
        throw new IllegalArgumentException("no transport in the demo jar handles '" + parsed.getScheme()
                + ":' URIs (memory:, amqp://, mqtt://, kafka://, ws://)");
    }

    @Override
    public void close() {
        hub.close();
        for (MessageBus b : services) {
            b.close();
        }
    }

    /**
     * {@code [transport URI] [wsPort] [httpPort]}: numeric arguments are the ports, another one the backbone.
     *
     * @param args the arguments
     * @throws InterruptedException when interrupted while running
     */
    public static void main(String[] args) throws InterruptedException {
        List<Integer> ports = new ArrayList<>();
        String uri = "memory:";
        for (String a : args) {
            if (a.matches("\\d{1,5}")) {
                ports.add(Integer.parseInt(a));
            } else if (a.startsWith("-") || !a.contains(":")) {
                System.err.println("usage: WebDemo [transport URI: memory: (default), kafka://host:9092, amqp://..., mqtt://...]"
                        + " [wsPort] [httpPort]");
                System.exit(2);
            } else {
                uri = a;
            }
        }
        int ws = ports.size() > 0 ? ports.get(0) : 8025;
        int http = ports.size() > 1 ? ports.get(1) : 8080;
        WebDemo demo = new WebDemo(uri, ws, http);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stop.countDown();
        }));
        System.out.println("Courier live ordering page on " + dev.courier.spi.support.TransportUri.redact(uri));
        System.out.println("  page:   " + demo.pageUri());
        System.out.println("  ops:    " + demo.opsUri());
        System.out.println("  hub:    " + demo.wsUri());
        System.out.println("  token:  " + demo.token() + "  (customer " + demo.customer() + ")");
        System.out.println("Open the page, place an order and watch it move. Ctrl-C stops.");
        System.out.println("(arguments: [transport URI] [wsPort] [httpPort]; 0 picks a free port)");
        stop.await();
    }
}
