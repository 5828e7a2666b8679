package dev.courier.websocket.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.courier.Command;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.NonRetryableException;
import dev.courier.kit.Await;
import dev.courier.memory.InMemoryBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The operations page's HTTP API on a real hub: the hub's authenticator and authorizer decide
 * (401 without a token, 403 and no data without an {@code operate:} grant for the service), dead
 * letters are listed with filters, shown in detail, replayed (the handler runs again) and discarded.
 */
class OpsHttpTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    @MessageName("v1.invoice.create")
    record CreateInvoice(String customer) implements Command {
    }

    @MessageName("v1.invoice.void")
    record VoidInvoice(String invoice) implements Command {
    }

    static final class UnknownInvoice extends NonRetryableException {
        UnknownInvoice(String message) {
            super(message);
        }
    }

    private final AtomicBoolean failing = new AtomicBoolean(true);
    private final List<String> handled = new CopyOnWriteArrayList<>();
    private InMemoryBroker broker;
    private MessageBus billing;
    private MessageBus sender;
    private WebSocketHub hub;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() {
        broker = InMemoryBroker.create(1000, 1000);
        Operations ops = Operations.create().connect(broker::connect, "billing", "shipping");
        billing = MessageBus.builder("billing").transport(broker.connect())
                .listener(ops.traffic("billing"))
                .onCommand(CreateInvoice.class, (c, ctx) -> {
                    if (failing.get()) {
                        throw new NonRetryableException("no VAT id on file for customer " + c.customer());
                    }
                    handled.add(c.customer());
                })
                .onCommand(VoidInvoice.class, (c, ctx) -> {
                    throw new UnknownInvoice("unknown invoice " + c.invoice());
                })
                .build().start();
        sender = MessageBus.builder("shop").transport(broker.connect()).build().start();
        hub = WebSocketHub.builder()
                .authenticator(Authenticator.tokens(Map.of(
                        "admin-token", WebSocketPrincipal.of("ops-admin", "operate:*"),
                        "billing-token", WebSocketPrincipal.of("billing-admin", "operate:billing"),
                        "service-token", WebSocketPrincipal.of("backend", "service:*", "publish:*", "send:*"))))
                .httpPort(0)
                .operations(ops)
                .build().start();
    }

    @AfterEach
    void stop() {
        if (hub != null) {
            hub.close();
        }
        if (sender != null) {
            sender.close();
        }
        if (billing != null) {
            billing.close();
        }
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(hub.httpUri().resolve(path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String token, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(hub.httpUri().resolve(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode letters(String token, String query) throws Exception {
        HttpResponse<String> r = get("/ops/api/letters?service=billing" + query, token);
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("letters");
    }

    private void deadLetterTwo() throws Exception {
        sender.send(new CreateInvoice("acme-gmbh")).get();
        sender.send(new VoidInvoice("inv-7")).get();
        Await.until(PATIENCE, () -> billing.deadLetters().list(10).size() == 2, () -> "two dead letters");
    }

    @Test
    void refusesWithoutTokenAndWithoutTheOperateGrantAndShowsNoData() throws Exception {
        deadLetterTwo();
        String id = billing.deadLetters().list(10).get(0).messageId();
        assertEquals(200, get("/ops/", null).statusCode(), "the page itself carries no data");
        assertEquals(401, get("/ops/api/letters?service=billing", null).statusCode());
        assertEquals(401, get("/ops/api/letters?service=billing", "wrong-token").statusCode());
        for (String path : List.of("/ops/api/services", "/ops/api/letters?service=billing", "/ops/api/letter?service=billing&id=" + id,
                "/ops/api/traffic")) {
            HttpResponse<String> r = get(path, "service-token");
            assertEquals(403, r.statusCode(), path + ": a service: grant is not an operate: grant");
            assertFalse(r.body().contains(id) || r.body().contains("acme"), "no data in a refusal: " + r.body());
        }
        HttpResponse<String> replay = post("/ops/api/replay", "service-token", "{\"service\":\"billing\",\"ids\":[\"" + id + "\"]}");
        assertEquals(403, replay.statusCode());
        assertEquals(2, billing.deadLetters().list(10).size(), "a refused replay changes nothing");
        // operate:billing may not see shipping
        assertEquals(403, get("/ops/api/letters?service=shipping", "billing-token").statusCode());
        JsonNode services = JSON.readTree(get("/ops/api/services", "billing-token").body()).get("services");
        assertEquals(1, services.size());
        assertEquals("billing", services.get(0).get("name").asText());
    }

    @Test
    void listsFiltersShowsReplaysAndDiscards() throws Exception {
        deadLetterTwo();
        assertEquals(2, letters("admin-token", "").size());
        JsonNode byType = letters("admin-token", "&type=v1.invoice.create");
        assertEquals(1, byType.size());
        String create = byType.get(0).get("id").asText();
        JsonNode byError = letters("admin-token", "&error=UnknownInvoice");
        assertEquals(1, byError.size());
        String voided = byError.get(0).get("id").asText();
        assertEquals("v1.invoice.void", byError.get(0).get("type").asText());
        assertEquals(0, letters("admin-token", "&error=IllegalStateException").size());

        JsonNode detail = JSON.readTree(get("/ops/api/letter?service=billing&id=" + create, "admin-token").body());
        assertTrue(detail.get("payload").asText().contains("acme-gmbh"), detail.toString());
        assertEquals("billing", detail.get("headers").get("dlservice").asText());
        assertTrue(detail.get("letter").get("errorMessage").asText().contains("no VAT id"));
        assertEquals(1, detail.get("chain").size(), "its conversation: itself");
        assertTrue(detail.get("stackTrace").asText().contains("NonRetryableException"));

        failing.set(false);
        HttpResponse<String> r = post("/ops/api/replay", "admin-token", "{\"service\":\"billing\",\"ids\":[\"" + create + "\"]}");
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(1, JSON.readTree(r.body()).get("done").asInt(), r.body());
        Await.until(PATIENCE, () -> handled.contains("acme-gmbh"), () -> "the replayed command ran again");
        r = post("/ops/api/discard", "admin-token", "{\"service\":\"billing\",\"ids\":[\"" + voided + "\",\"nope\"]}");
        JsonNode d = JSON.readTree(r.body());
        assertEquals(1, d.get("done").asInt(), r.body());
        assertFalse(d.get("results").get(1).get("ok").asBoolean());
        assertEquals(0, letters("admin-token", "").size());

        JsonNode traffic = JSON.readTree(get("/ops/api/traffic", "admin-token").body()).get("rows");
        assertTrue(traffic.toString().contains("v1.invoice.create"), traffic.toString());
        long failures = 0;
        long handledCount = 0;
        for (JsonNode row : traffic) {
            failures += row.get("failures").asLong();
            handledCount += row.get("handled").asLong();
        }
        assertTrue(failures >= 2 && handledCount >= 1, traffic.toString());
    }
}
