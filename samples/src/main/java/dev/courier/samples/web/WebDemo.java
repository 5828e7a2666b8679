package dev.courier.samples.web;

import dev.courier.MessageBus;
import dev.courier.RetryPolicy;
import dev.courier.memory.InMemoryBroker;
import dev.courier.samples.ordering.NotificationService;
import dev.courier.samples.ordering.OrderingService;
import dev.courier.samples.ordering.PaymentService;
import dev.courier.samples.ordering.ShippingService;
import dev.courier.samples.ordering.TrackingService;
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
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;

/**
 * The live ordering page: the ordering demo's services on the embedded in-memory broker, a
 * WebSocket hub bridged to that broker, and a page (served by the hub's HTTP server) where a
 * customer places an order and watches it become placed, paid and shipped, live.
 *
 * <pre>mvn -q -pl samples -am package -DskipTests
 * java -cp samples/target/courier-demo.jar dev.courier.samples.web.WebDemo 0 0</pre>
 *
 * Arguments: {@code [wsPort] [httpPort]} (default 8025 and 8080; 0 picks free ports). It prints the
 * page URL, the hub's {@code ws://} URL and the demo token, and runs until interrupted.
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
    private final WebSocketHub hub;
    private final String token;
    private final String customer;
    private final String operatorToken;
    private final Operations operations;

    /** Starts the services and the hub; ports may be 0. */
    public WebDemo(int wsPort, int httpPort) {
        SecureRandom random = new SecureRandom();
        byte[] t = new byte[12];
        random.nextBytes(t);
        this.token = "demo" + HexFormat.of().formatHex(t);
        this.customer = "customer-" + HexFormat.of().formatHex(t, 0, 2);
        random.nextBytes(t);
        this.operatorToken = "ops" + HexFormat.of().formatHex(t);
        InMemoryBroker broker = InMemoryBroker.create(10_000, 10_000);
        this.broker = broker;
        Map<String, UnaryOperator<MessageBus.Builder>> all = Map.of(
                "ordering", OrderingService::configure,
                "payment", PaymentService::configure,
                "shipping", ShippingService::configure,
                "notification", NotificationService::configure,
                "tracking", TrackingService::configure);
        // the operations page (/ops/) reads each service's dead letters through a handler-less bus of that
        // service, as the courier CLI does, and shows the traffic the services' listeners record
        this.operations = Operations.create().connect(broker::connect, all.keySet().toArray(String[]::new));
        for (Map.Entry<String, UnaryOperator<MessageBus.Builder>> s : all.entrySet()) {
            MessageBus b = s.getValue().apply(MessageBus.builder(s.getKey()).transport(broker.connect())
                    .listener(operations.traffic(s.getKey()))
                    .retryPolicy(QUICK_RETRIES)).build();
            services.add(b);
            b.start();
        }
        byte[] page = resource("/web/index.html");
        byte[] icon = resource("/web/favicon.svg");
        // the customer may place orders and ask for their history; they see the events whose subject is their name
        WebSocketPrincipal principal = WebSocketPrincipal.of(customer, "send:v1.order.place", "send:v1.order.history",
                "subscribe:v1.order.*",
                "subscribe:v1.payment.*", "subscribe:v1.customer.*");
        this.hub = WebSocketHub.builder()
                .port(wsPort)
                .httpPort(httpPort)
                // the operator may use the operations page for every service (and nothing else)
                .authenticator(Authenticator.tokens(Map.of(token, principal,
                        operatorToken, WebSocketPrincipal.of("operator", "operate:*"))))
                .operations(operations)
                .backbone(broker.connect(), Duration.ofSeconds(5))
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

    public URI wsUri() {
        return hub.uri();
    }

    public String token() {
        return token;
    }

    public String customer() {
        return customer;
    }

    /** The embedded broker the services and the hub share (tests publish on it as a service would). */
    InMemoryBroker broker() {
        return broker;
    }

    @Override
    public void close() {
        hub.close();
        for (MessageBus b : services) {
            b.close();
        }
    }

    public static void main(String[] args) throws InterruptedException {
        // numeric arguments are ports; others (e.g. the ordering demo's transport URI) are ignored
        List<Integer> ports = new ArrayList<>();
        for (String a : args) {
            if (a.matches("\\d{1,5}")) {
                ports.add(Integer.parseInt(a));
            }
        }
        int ws = ports.size() > 0 ? ports.get(0) : 8025;
        int http = ports.size() > 1 ? ports.get(1) : 8080;
        WebDemo demo = new WebDemo(ws, http);
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            demo.close();
            stop.countDown();
        }));
        System.out.println("Courier live ordering page");
        System.out.println("  page:   " + demo.pageUri());
        System.out.println("  ops:    " + demo.opsUri());
        System.out.println("  hub:    " + demo.wsUri());
        System.out.println("  token:  " + demo.token() + "  (customer " + demo.customer() + ")");
        System.out.println("Open the page, place an order and watch it move. Ctrl-C stops.");
        System.out.println("(arguments: [wsPort] [httpPort]; 0 picks a free port)");
        stop.await();
    }
}
