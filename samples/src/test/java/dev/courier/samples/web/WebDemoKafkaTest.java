package dev.courier.samples.web;

import dev.courier.spi.Address;
import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.GroupListing;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live ordering page with Kafka as its backbone ({@code WebDemo kafka://… 0 0}): the services, the hub and
 * the operations page all on the broker at {@code $COURIER_KAFKA_BOOTSTRAP} (default 127.0.0.1:9092, started by
 * .ci/kafka.sh), in Debian's headless Chromium: an order goes through every step in causal order, a second tab
 * and a reload of the same customer show it, and an event a service publishes on the broker with the customer as
 * its subject reaches the page through the hub. Each test has its own topic prefix, deleted afterwards. Without a
 * broker (or Chromium) the test is skipped outside CI and fails under {@code CI=true}.
 */
class WebDemoKafkaTest {
    private String prefix;
    private Path chromium;

    static String bootstrap() {
        String env = System.getenv("COURIER_KAFKA_BOOTSTRAP");
        String b = env == null || env.isBlank() ? "127.0.0.1:9092" : env.trim();
        int colon = b.lastIndexOf(':');
        boolean up;
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(b.substring(0, colon), Integer.parseInt(b.substring(colon + 1))), 500);
            up = true;
        } catch (IOException | RuntimeException e) {
            up = false;
        }
        if (!up) {
            String how = "no Kafka broker at " + b + ": bash .ci/kafka.sh start (or set COURIER_KAFKA_BOOTSTRAP)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(how + " — CI=true, so a missing broker is a failure");
            }
            assumeTrue(false, how);
        }
        return b;
    }

    @BeforeEach
    void setUp() {
        bootstrap();
        chromium = Chromium.requireBinary();
        prefix = "webdemo" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    @AfterEach
    void deleteNamespace() throws Exception {
        if (prefix == null) {
            return;
        }
        try (Admin a = Admin.create(Map.of("bootstrap.servers", bootstrap()))) {
            List<String> topics = a.listTopics().names().get(10, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(prefix + ".")).toList();
            if (!topics.isEmpty()) {
                a.deleteTopics(topics).all().get(10, TimeUnit.SECONDS);
            }
            List<String> groups = a.listGroups().all().get(10, TimeUnit.SECONDS).stream().map(GroupListing::groupId)
                    .filter(g -> g.startsWith(prefix + ".")).toList();
            if (!groups.isEmpty()) {
                try {
                    a.deleteConsumerGroups(groups).all().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // a group whose member is still leaving: its offsets expire with the broker's retention
                }
            }
        }
    }

    private String uri() {
        return "kafka://" + bootstrap() + "?prefix=" + prefix + "&partitions=1";
    }

    @Test
    void anOrderGoesThroughEveryStepOnKafkaAndFollowsTheCustomerAcrossTabs() throws Exception {
        try (WebDemo demo = new WebDemo(uri(), 0, 0); Chromium browser = new Chromium(chromium)) {
            assertEquals(null, demo.broker(), "no embedded broker: the backbone is Kafka");
            String first = browser.open(demo.pageUri());
            browser.await(WebDemoChromiumTest.READY, "the page connects to the hub (bridged to Kafka)");
            WebDemoChromiumTest.place(browser, "BOOK-42", "2");
            WebDemoChromiumTest.awaitStory(browser, 1);
            String text = browser.eval("document.querySelector('.order').textContent").asText();
            for (String s : List.of("Accepted as order-", "Order placed", "Payment captured", "Shipped", "TRK-", "25.00")) {
                assertTrue(text.contains(s), "the order card shows '" + s + "': " + text);
            }
            WebDemoChromiumTest.assertCausal(browser.eval(WebDemoChromiumTest.STEPS));
            String correlation = browser.eval("document.querySelector('.order').dataset.correlation").asText();

            // a second tab asks the tracking service (request/reply over Kafka) for the customer's orders
            browser.open(demo.pageUri());
            browser.await(WebDemoChromiumTest.READY, "the second tab connects");
            WebDemoChromiumTest.awaitStory(browser, 1);
            assertEquals(correlation, browser.eval("document.querySelector('.order').dataset.correlation").asText(),
                    "the second tab shows the first tab's order");

            // an event a service publishes on the broker, naming the customer, reaches the first tab live
            try (Transport service = demo.connect()) {
                service.start(new TransportContext("shipping", "test", Duration.ofSeconds(20)));
                Map<String, String> h = new HashMap<>();
                h.put("id", UUID.randomUUID().toString());
                h.put("source", "test");
                h.put("type", "v1.customer.notified");
                h.put("specversion", "1.0");
                h.put("datacontenttype", "application/json");
                h.put("time", Instant.now().toString());
                h.put("correlationid", correlation);
                h.put("causationid", correlation);
                h.put("subject", demo.customer());
                String order = browser.eval("document.querySelector('.order').dataset.orderId || ''").asText();
                service.publish(Address.event("v1.customer.notified"), h, ("{\"orderId\":\"" + order + "\",\"customerId\":\""
                        + demo.customer() + "\",\"text\":\"A note straight from Kafka\"}").getBytes(StandardCharsets.UTF_8))
                        .get(20, TimeUnit.SECONDS);
            }
            browser.use(first);
            browser.await("document.body.innerText.includes('A note straight from Kafka')",
                    "the event published on Kafka shows in the customer's tab");
            assertEquals(List.of(), browser.consoleErrors());
        }
    }
}
