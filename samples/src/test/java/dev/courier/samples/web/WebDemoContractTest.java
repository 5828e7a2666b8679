package dev.courier.samples.web;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The hub serves each running service's AsyncAPI document and the merged system view over HTTP; the main
 * method takes a transport URI and ports, and refuses anything else.
 */
class WebDemoContractTest {

    @Test
    void theHubServesTheServicesContracts() throws Exception {
        try (WebDemo demo = new WebDemo(0, 0)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = demo.pageUri().toString().replaceAll("#.*$", "").replaceAll("/$", "");
            HttpResponse<String> ordering = http.send(HttpRequest.newBuilder(URI.create(base + "/asyncapi/ordering.yaml"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ordering.statusCode(), ordering.body());
            assertTrue(ordering.headers().firstValue("Content-Type").orElse("").contains("yaml"));
            assertTrue(ordering.body().startsWith("asyncapi: 3.0.0"), ordering.body());
            assertTrue(ordering.body().contains("receive.v1.order.place") && ordering.body().contains("reply:"),
                    "the ordering service handles v1.order.place and replies: " + ordering.body());
            HttpResponse<String> system = http.send(HttpRequest.newBuilder(URI.create(base + "/asyncapi/system.json"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, system.statusCode());
            assertTrue(system.body().contains("\"v1.payment.captured\""), system.body());
            HttpResponse<String> missing = http.send(HttpRequest.newBuilder(URI.create(base + "/asyncapi/nobody.yaml"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode());
            // issue 16: the favicon 404 was the page's one console error
            for (String icon : new String[] {"/favicon.ico", "/favicon.svg"}) {
                HttpResponse<String> favicon = http.send(HttpRequest.newBuilder(URI.create(base + icon)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, favicon.statusCode(), icon);
                assertEquals("image/svg+xml", favicon.headers().firstValue("Content-Type").orElse(""), icon);
            }
        }
    }

    @Test
    void theMainMethodRefusesAnUnknownOption() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), WebDemo.class.getName(), "--web", "0")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("usage: WebDemo [transport URI"), out);
    }
}
