package dev.courier.amqp;

import dev.courier.kit.Await;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * After close() no thread of Courier's or of amqp-client's keeps a JVM alive, and closing logs no
 * error (issue 10 item 6): a bus in a child JVM handles one event, closes, and the JVM must exit by
 * itself within 5 seconds. (The conformance kit's JvmExitCases holds every transport to this once
 * the AMQP kit gives it a transport URI.)
 */
class AmqpJvmExitTest extends AmqpTestSupport {
    private static final Duration EXIT_BOUND = Duration.ofSeconds(5);

    @Test
    void aBusClosedInAChildJvmLetsTheJvmExitByItself() throws Exception {
        String uri = RabbitBroker.uri() + (RabbitBroker.uri().contains("?") ? "&" : "?") + "namespace=" + ns;
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, classPath()));
        command.add(AmqpChildBus.class.getName());
        command.add(uri);
        command.add("jvmexit");
        Process child = new ProcessBuilder(command).start();
        List<String> out = new CopyOnWriteArrayList<>();
        List<String> err = new CopyOnWriteArrayList<>();
        long[] closedAt = {0};
        Thread o = drain(child.getInputStream(), out, closedAt);
        Thread e = drain(child.getErrorStream(), err, null);
        try {
            Await.until(Duration.ofSeconds(90), () -> closedAt[0] != 0 || !child.isAlive(),
                    () -> "the child should start a bus, handle one event and close it: " + out + err);
            assertTrue(closedAt[0] != 0, "the child ended before its bus closed: " + out + " " + err);
            long left = EXIT_BOUND.toNanos() - (System.nanoTime() - closedAt[0]);
            if (!child.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                fail("the child JVM still runs " + EXIT_BOUND + " after its bus's close() returned: a non-daemon"
                        + " thread keeps it alive; its stderr: " + err);
            }
            o.join(5_000);
            e.join(5_000);
            assertEquals(0, child.exitValue(), "child output: " + out + " " + err);
            List<String> errors = err.stream().filter(l -> l.contains("ERROR") || l.contains("Exception")).toList();
            assertTrue(errors.isEmpty(), "closing logs no error: " + errors);
        } finally {
            child.destroyForcibly();
            RabbitBroker.delete(List.of(ns + ".courier.events", ns + ".courier.commands",
                    ns + ".courier.dead-letter.jvmexit", ns + ".jvmexit.v1.kit.pinged"));
        }
    }

    private static Thread drain(java.io.InputStream in, List<String> lines, long[] closedAt) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (closedAt != null && line.equals(AmqpChildBus.CLOSED)) {
                        closedAt[0] = System.nanoTime();
                    }
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the child ended
            }
        }, "child-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** This JVM's class path, with surefire's manifest-only jar expanded to the entries it names. */
    private static List<String> classPath() throws IOException {
        Set<String> out = new LinkedHashSet<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Paths.get(entry);
            out.add(p.toString());
            if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    Manifest m = jar.getManifest();
                    String cp = m == null ? null : m.getMainAttributes().getValue("Class-Path");
                    if (cp != null) {
                        for (String ref : cp.trim().split("\\s+")) {
                            out.add(Paths.get(p.getParent().toUri().resolve(ref)).toString());
                        }
                    }
                }
            }
        }
        return new ArrayList<>(out);
    }
}
