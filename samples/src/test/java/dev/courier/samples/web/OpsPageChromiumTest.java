package dev.courier.samples.web;

import dev.courier.Command;
import dev.courier.MessageBus;
import dev.courier.MessageName;
import dev.courier.NonRetryableException;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hub's operations page ({@code /ops/}, served next to the ordering page) in real headless
 * Chromium: a handler fails, its dead letter appears on the open page without a reload, the detail
 * view shows its diagnostics, payload and correlation chain, replay from the page makes the handler
 * run again (now succeeding) and the page shows it gone; the traffic view counts the failure and the
 * success. A user without the {@code operate:} grant (the demo's customer) is refused: HTTP 403 and no
 * data, on the page and on the API. Skipped, saying so, without Chromium outside CI; fails on CI.
 *
 * <p>With {@code COURIER_SCREENSHOTS} set to a directory, writes {@code operations-dead-letter.png}
 * (1280 px) and {@code operations-phone.png} (390 px) there (docs/images in the repository).
 */
class OpsPageChromiumTest {

    @MessageName("v1.invoice.create")
    record CreateInvoice(String customer, String order) implements Command {
    }

    @MessageName("v1.invoice.void")
    record VoidInvoice(String invoice) implements Command {
    }

    static final class UnknownInvoice extends NonRetryableException {
        UnknownInvoice(String message) {
            super(message);
        }
    }

    private static final String READY = "document.body.dataset.ready === 'true'";
    private static final String ROWS = "Array.from(document.querySelectorAll('#letters tr.letter'))";

    @Test
    void aFailedHandlersDeadLetterAppearsLiveAndIsReplayedFromThePage() throws Exception {
        Path chromium = Chromium.requireBinary();
        AtomicBoolean failing = new AtomicBoolean(true);
        List<String> invoiced = new CopyOnWriteArrayList<>();
        try (WebDemo demo = new WebDemo(0, 0); Chromium browser = new Chromium(chromium)) {
            // a "billing" service on the demo's broker whose handler fails until told otherwise
            demo.operations().connect(demo.broker()::connect, "billing");
            try (MessageBus billing = MessageBus.builder("billing").transport(demo.broker().connect())
                    .listener(demo.operations().traffic("billing"))
                    .onCommand(CreateInvoice.class, (c, ctx) -> {
                        if (failing.get()) {
                            throw new NonRetryableException("no VAT id on file for customer " + c.customer());
                        }
                        invoiced.add(c.order());
                    }).build().start();
                 MessageBus shop = MessageBus.builder("shop").transport(demo.broker().connect())
                         .produces(CreateInvoice.class).build().start()) {

                browser.open(demo.opsUri());
                browser.viewport(1280, 900);
                browser.await(READY, "the operations page loads");
                browser.eval("(s => { s.value = 'billing'; s.dispatchEvent(new Event('change')); return true; })"
                        + "(document.getElementById('service'))");
                browser.await("document.getElementById('none').hidden === false", "billing has no dead letters yet");
                browser.eval("window.notReloaded = true");

                shop.send(new CreateInvoice("acme-gmbh", "o-1043")).get();
                browser.await(ROWS + ".length === 1", "the dead letter appears on the page");
                assertTrue(browser.eval("window.notReloaded === true").asBoolean(), "without a reload");
                String id = browser.eval(ROWS + "[0].dataset.id").asText();
                assertEquals(billing.deadLetters().list(10).get(0).messageId(), id, "the row is the dead letter");
                String row = browser.eval(ROWS + "[0].textContent").asText();
                assertTrue(row.contains("v1.invoice.create") && row.contains("NonRetryableException")
                        && row.contains("no VAT id on file"), row);

                browser.eval(ROWS + "[0].click(), true");
                browser.await("document.getElementById('payload') && document.getElementById('payload').textContent.includes('o-1043')",
                        "the detail view shows the payload");
                String detail = browser.eval("document.getElementById('detail').textContent").asText();
                for (String s : List.of(id, "dlerrortype: dev.courier.NonRetryableException", "dlservice: billing",
                        "correlationid: ", "Correlation chain", "acme-gmbh", "Stack trace")) {
                    assertTrue(detail.contains(s), "the detail view shows '" + s + "': " + detail);
                }
                browser.await("document.querySelectorAll('#traffic tr').length > 0", "the traffic view shows billing");
                assertTrue(browser.eval("document.documentElement.scrollWidth <= 1280").asBoolean(),
                        "nothing wider than the window: " + browser.eval("document.documentElement.scrollWidth").asInt());
                browser.eval("document.querySelectorAll('tr.new').forEach(r => r.classList.remove('new')), true");
                screenshot(browser, "operations-dead-letter.png");
                browser.viewport(390, 1400);
                assertTrue(browser.eval("document.documentElement.scrollWidth <= 390").asBoolean(),
                        "nothing wider than a phone: " + browser.eval("Array.from(document.querySelectorAll('*'))"
                                + ".filter(e => e.getBoundingClientRect().right > 390).map(e => e.tagName + '#' + e.id + '.' + e.className)"
                                + ".slice(0, 8).join(' ')").asText());
                screenshot(browser, "operations-phone.png");
                browser.viewport(1280, 900);

                failing.set(false);
                browser.eval("document.getElementById('replayOne').click(), true");
                browser.await(ROWS + ".length === 0 && document.getElementById('none').hidden === false",
                        "the replayed dead letter is gone from the page");
                assertEquals(List.of("o-1043"), invoiced, "the handler ran again, now succeeding");
                assertTrue(browser.eval("document.getElementById('note').textContent").asText().contains("Replayed 1 of 1"));
                assertTrue(billing.deadLetters().list(10).isEmpty());
                browser.await("(r => r && r.children[4].textContent === '1' && r.children[5].textContent === '1')"
                        + "(document.querySelector('#traffic tr[data-type=\"v1.invoice.create\"]'))",
                        "the traffic view counts one failure and one success of v1.invoice.create");
                assertTrue(browser.eval("window.notReloaded === true").asBoolean(), "never reloaded");
                assertEquals(List.of(), browser.consoleErrors(), "no console errors");
            }
        }
    }

    @Test
    void filtersNarrowTheTableAndASelectionIsReplayedOrDiscardedFromThePage() throws Exception {
        Path chromium = Chromium.requireBinary();
        AtomicBoolean failing = new AtomicBoolean(true);
        List<String> invoiced = new CopyOnWriteArrayList<>();
        try (WebDemo demo = new WebDemo(0, 0); Chromium browser = new Chromium(chromium)) {
            demo.operations().connect(demo.broker()::connect, "billing");
            try (MessageBus billing = MessageBus.builder("billing").transport(demo.broker().connect())
                    .onCommand(CreateInvoice.class, (c, ctx) -> {
                        if (failing.get()) {
                            throw new NonRetryableException("no VAT id on file for customer " + c.customer());
                        }
                        invoiced.add(c.order());
                    })
                    .onCommand(VoidInvoice.class, (c, ctx) -> {
                        throw new UnknownInvoice("unknown invoice " + c.invoice());
                    }).build().start();
                 MessageBus shop = MessageBus.builder("shop").transport(demo.broker().connect())
                         .produces(CreateInvoice.class, VoidInvoice.class).build().start()) {
                shop.send(new CreateInvoice("acme-gmbh", "o-1041")).get();
                shop.send(new CreateInvoice("acme-gmbh", "o-1043")).get();
                shop.send(new VoidInvoice("inv-7")).get();
                dev.courier.test.Await.until(java.time.Duration.ofSeconds(30), () -> billing.deadLetters().list(10).size() == 3,
                        () -> "three dead letters");

                browser.open(demo.opsUri());
                browser.await(READY + " && " + ROWS + ".length === 3", "billing's three dead letters on the page");
                select(browser, "error", "UnknownInvoice");
                browser.await(ROWS + ".length === 1 && " + ROWS + "[0].textContent.includes('v1.invoice.void')",
                        "the error filter leaves the void");
                select(browser, "error", "");
                select(browser, "type", "v1.invoice.create");
                browser.await(ROWS + ".length === 2 && " + ROWS + ".every(r => r.textContent.includes('v1.invoice.create'))",
                        "the type filter leaves the two invoices");

                failing.set(false);
                browser.eval("document.getElementById('all').click(), true");
                browser.await("document.getElementById('replay').textContent === 'Replay selected (2)'"
                        + " && !document.getElementById('replay').disabled", "both selected");
                browser.eval("document.getElementById('replay').click(), true");
                browser.await(ROWS + ".length === 0 && document.getElementById('note').textContent.includes('Replayed 2 of 2')",
                        "the selection is replayed and gone");
                // a replay completes when the broker has the message again; the handler runs after that
                dev.courier.test.Await.until(java.time.Duration.ofSeconds(30), () -> invoiced.size() == 2,
                        () -> "both ran again: " + invoiced);
                assertEquals(List.of("o-1041", "o-1043"), invoiced.stream().sorted().toList(), "both ran again");

                select(browser, "type", "");
                browser.await(ROWS + ".length === 1", "the void is left");
                browser.eval("window.confirm = () => true, true"); // the page asks before a discard
                browser.eval(ROWS + "[0].click(), true");
                browser.await("document.getElementById('discardOne') !== null", "the detail view");
                browser.eval("document.getElementById('discardOne').click(), true");
                browser.await(ROWS + ".length === 0 && document.getElementById('note').textContent.includes('Discarded 1 of 1')",
                        "discarded from the page");
                assertTrue(billing.deadLetters().list(10).isEmpty(), "nothing left");
                assertEquals(List.of(), browser.consoleErrors(), "no console errors");
            }
        }
    }

    private static void select(Chromium browser, String id, String value) throws Exception {
        browser.await("Array.from(document.getElementById('" + id + "').options).some(o => o.value === '" + value + "')",
                "the " + id + " filter offers '" + value + "'");
        browser.eval("(s => { s.value = '" + value + "'; s.dispatchEvent(new Event('change')); return true; })"
                + "(document.getElementById('" + id + "'))");
    }

    @Test
    void aUserWithoutTheOperateGrantIsRefusedAndSeesNoData() throws Exception {
        Path chromium = Chromium.requireBinary();
        try (WebDemo demo = new WebDemo(0, 0); Chromium browser = new Chromium(chromium)) {
            // the customer's token, which may place orders but has no operate: grant
            browser.open(java.net.URI.create(demo.opsUri().toString().replace(demo.operatorToken(), demo.token())));
            browser.await("document.body.dataset.refused === '403'", "the page is refused");
            String text = browser.eval("document.body.innerText").asText();
            assertTrue(text.contains("HTTP 403") && text.contains(demo.customer()), text);
            assertTrue(browser.eval("document.getElementById('app').hidden").asBoolean(), "no dead-letter view");
            assertEquals(0, browser.eval("document.querySelectorAll('#letters tr').length").asInt());

            HttpClient http = HttpClient.newHttpClient();
            for (String path : List.of("ops/api/services", "ops/api/letters?service=ordering", "ops/api/traffic")) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(demo.pageUri().resolve("/" + path))
                        .header("Authorization", "Bearer " + demo.token()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(403, r.statusCode(), path);
                assertFalse(r.body().contains("v1.") || r.body().contains("{"), "no data: " + r.body());
                HttpResponse<String> ok = http.send(HttpRequest.newBuilder(demo.pageUri().resolve("/" + path))
                        .header("Authorization", "Bearer " + demo.operatorToken()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, ok.statusCode(), path + " for the operator");
            }
        }
    }

    private static void screenshot(Chromium browser, String name) throws Exception {
        byte[] png = browser.screenshot();
        Files.write(Path.of("target").resolve(name), png);
        String docs = System.getenv("COURIER_SCREENSHOTS");
        if (docs != null) {
            Files.createDirectories(Path.of(docs));
            Files.write(Path.of(docs).resolve(name), png);
        }
    }
}
