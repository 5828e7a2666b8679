package dev.courier.samples.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's headless Chromium driven over the DevTools protocol with the JDK's WebSocket client: no
 * driver download, no browser download. Several pages (targets) per instance: {@link #open} makes the
 * new page the current one, {@link #use} switches back; console errors of every page are collected.
 */
final class Chromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");

    private final Process process;
    private final Path profile;
    private final WebSocket ws;
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<Integer, CompletableFuture<JsonNode>> calls = new ConcurrentHashMap<>();
    private final StringBuilder partial = new StringBuilder();
    private volatile String session;
    private final List<String> consoleErrors = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The Chromium binary: $CHROMIUM, else Debian's /usr/bin/chromium; null when absent. */
    static Path binary() {
        String env = System.getenv("CHROMIUM");
        for (String c : env != null ? List.of(env) : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser")) {
            Path p = Path.of(c);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * The Chromium binary for a browser test: skips the test (saying why) when Chromium is not
     * installed, but fails it on CI ({@code CI=true}), where a missing tool is a failure.
     */
    static Path requireBinary() {
        Path p = binary();
        if (p == null) {
            if ("true".equals(System.getenv("CI"))) {
                org.junit.jupiter.api.Assertions.fail(
                        "Chromium is required on CI: apt-get install -y chromium chromium-driver (or set CHROMIUM)");
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(false,
                    "Chromium not installed (apt-get install -y chromium chromium-driver); browser test skipped");
        }
        return p;
    }

    /**
     * Waits up to 30 s until the JavaScript {@code condition} is true in the current page (an
     * exception counts as false); fails naming {@code what} and showing the page's text.
     */
    void await(String condition, String what) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!eval("(() => { try { return !!(" + condition + "); } catch (e) { return false; } })()").asBoolean()) {
            if (System.nanoTime() > deadline) {
                org.junit.jupiter.api.Assertions.fail("within 30 s: " + what + "; page says: "
                        + eval("document.body.innerText").asText());
            }
            Thread.sleep(50); // polling the page; the deadline is the bound
        }
    }

    Chromium(Path binary) throws Exception {
        profile = Files.createTempDirectory("courier-chromium-");
        process = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
                "about:blank").redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> endpoint = new CompletableFuture<>();
        StringBuilder log = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (log.length() < 20_000) {
                        log.append(line).append('\n');
                    }
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        endpoint.complete(m.group(1));
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
            endpoint.completeExceptionally(new IllegalStateException("chromium exited before DevTools listened:\n" + log));
        }, "chromium-output");
        reader.setDaemon(true);
        reader.start();
        String url = endpoint.get(60, TimeUnit.SECONDS);
        ws = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
            @Override
            public void onOpen(WebSocket w) {
                w.request(Long.MAX_VALUE);
            }

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                partial.append(data);
                if (last) {
                    try {
                        JsonNode n = JSON.readTree(partial.toString());
                        collectConsoleError(n);
                        CompletableFuture<JsonNode> f = n.has("id") ? calls.remove(n.get("id").asInt()) : null;
                        if (f != null) {
                            if (n.has("error")) {
                                f.completeExceptionally(new IllegalStateException("DevTools: " + n.get("error")));
                            } else {
                                f.complete(n.get("result"));
                            }
                        }
                    } catch (IOException e) {
                        // ignore unreadable events
                    }
                    partial.setLength(0);
                }
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
    }

    private JsonNode call(String method, ObjectNode params) throws Exception {
        int id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode();
        msg.put("id", id);
        msg.put("method", method);
        msg.set("params", params);
        if (session != null && !method.startsWith("Target.")) {
            msg.put("sessionId", session);
        }
        CompletableFuture<JsonNode> f = new CompletableFuture<>();
        calls.put(id, f);
        ws.sendText(msg.toString(), true).get(10, TimeUnit.SECONDS);
        return f.get(30, TimeUnit.SECONDS);
    }

    private void collectConsoleError(JsonNode n) {
        String method = n.path("method").asText();
        JsonNode p = n.path("params");
        if (method.equals("Log.entryAdded") && p.path("entry").path("level").asText().equals("error")) {
            consoleErrors.add(p.path("entry").path("text").asText() + " " + p.path("entry").path("url").asText());
        } else if (method.equals("Runtime.exceptionThrown")) {
            consoleErrors.add(p.path("exceptionDetails").toString());
        } else if (method.equals("Runtime.consoleAPICalled") && p.path("type").asText().equals("error")) {
            consoleErrors.add(p.path("args").toString());
        }
    }

    /**
     * Opens {@code url} in a new page, attaches to it and makes it the current page; returns its
     * session id (for {@link #use}). The page's console errors are collected from now on.
     */
    String open(URI url) throws Exception {
        ObjectNode blank = JSON.createObjectNode();
        blank.put("url", "about:blank");
        String target = call("Target.createTarget", blank).get("targetId").asText();
        ObjectNode a = JSON.createObjectNode();
        a.put("targetId", target);
        a.put("flatten", true);
        session = call("Target.attachToTarget", a).get("sessionId").asText();
        call("Log.enable", JSON.createObjectNode());
        call("Runtime.enable", JSON.createObjectNode());
        ObjectNode nav = JSON.createObjectNode();
        nav.put("url", url.toString());
        call("Page.navigate", nav);
        return session;
    }

    /** Makes the page of {@code sessionId} (from {@link #open}) the current one. */
    void use(String sessionId) {
        session = sessionId;
    }

    /** Reloads the current page, as the user's F5 does. */
    void reload() throws Exception {
        call("Page.reload", JSON.createObjectNode());
    }

    /** Emulates a window {@code width} × {@code height} CSS pixels wide (a phone below 600). */
    void viewport(int width, int height) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("width", width);
        p.put("height", height);
        p.put("deviceScaleFactor", 1);
        p.put("mobile", width < 600);
        call("Emulation.setDeviceMetricsOverride", p);
    }

    /** The console errors (failed loads, exceptions, console.error) of every page so far. */
    List<String> consoleErrors() {
        return List.copyOf(consoleErrors);
    }

    /** Evaluates a JavaScript expression in the page and returns its JSON value. */
    JsonNode eval(String expression) throws Exception {
        ObjectNode p = JSON.createObjectNode();
        p.put("expression", expression);
        p.put("returnByValue", true);
        p.put("awaitPromise", true);
        JsonNode r = call("Runtime.evaluate", p);
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("page script failed: " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** A PNG screenshot of the page. */
    byte[] screenshot() throws Exception {
        return java.util.Base64.getDecoder().decode(call("Page.captureScreenshot", JSON.createObjectNode()).get("data").asText());
    }

    @Override
    public void close() throws Exception {
        try {
            ws.abort();
        } finally {
            // the browser's helper processes (network service, renderers) write into the profile too: end them all
            java.util.List<ProcessHandle> helpers = process.descendants().toList();
            process.destroy();
            helpers.forEach(ProcessHandle::destroy);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
            for (ProcessHandle h : helpers) {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    h.destroyForcibly();
                }
            }
            deleteProfile();
        }
    }

    /** Deletes the profile directory; a file that vanishes while it is walked (a helper's temp file) is no failure. */
    private void deleteProfile() {
        for (int attempt = 0; attempt < 3; attempt++) {
            try (Stream<Path> s = Files.walk(profile)) {
                s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                return;
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                // walked while a file went away: walk what is left again
            }
        }
    }
}
