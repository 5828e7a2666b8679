package dev.courier.samples.web;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The live ordering page in real headless Chromium (Debian's package): a customer places an order
 * and sees every status step arrive, each with its correlation id. Skipped, saying so, when Chromium
 * is not installed outside CI; fails on CI (CI=true) when it is missing.
 */
class WebDemoChromiumTest {

    @Test
    void placingAnOrderShowsEveryStatusStepLive() throws Exception {
        Path chromium = Chromium.binary();
        if (chromium == null) {
            if ("true".equals(System.getenv("CI"))) {
                fail("Chromium is required on CI: apt-get install -y chromium chromium-driver (or set CHROMIUM)");
            }
            assumeTrue(false, "Chromium not installed (apt-get install -y chromium chromium-driver); browser test skipped");
        }
        try (WebDemo demo = new WebDemo(0, 0); Chromium browser = new Chromium(chromium)) {
            browser.open(demo.pageUri());
            await(browser, "document.getElementById('status').className === 'connected'"
                    + " && !document.getElementById('place').disabled", "the page connects to the hub");
            assertEquals("connected as " + demo.customer(), browser.eval("document.getElementById('status').textContent").asText());
            browser.eval("document.getElementById('place').click(), true");
            String steps = "Array.from(document.querySelectorAll('.order .step')).map(s => s.dataset.step)";
            await(browser, "(s => ['requested','accepted','placed','paid','shipped'].every(k => s.includes(k)))(" + steps + ")",
                    "every status step shows up");
            JsonNode order = browser.eval("(() => { const o = document.querySelector('.order');"
                    + " return { corr: o.dataset.correlation, text: o.textContent }; })()");
            String correlation = order.get("corr").asText();
            String text = order.get("text").asText();
            for (String s : List.of("Order requested", "Accepted as order-", "Order placed: order-", "Payment captured",
                    "Shipped, tracking TRK-")) {
                assertTrue(text.contains(s), "the order card shows '" + s + "': " + text);
            }
            assertTrue(text.contains("correlation " + correlation.substring(0, 8)), "each step shows its correlation id: " + text);
            Path shot = Path.of("target", "web-demo.png");
            Files.createDirectories(shot.getParent());
            Files.write(shot, browser.screenshot());
        }
    }

    private static void await(Chromium browser, String condition, String what) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!browser.eval("(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()").asBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("within 30 s: " + what + "; page says: "
                        + browser.eval("document.body.innerText").asText());
            }
            Thread.sleep(50);
        }
    }
}
