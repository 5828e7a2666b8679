package dev.courier.jdbc;

import dev.courier.MessageBus;
import dev.courier.jdbc.TestMessages.OrderPlaced;
import dev.courier.kit.Await;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Kills a real process (a child JVM) at three points of an outbox transaction and restarts:
 * committed → published after the restart, in order; rolled back or killed inside the transaction
 * → nothing published and no business row.
 */
class OutboxCrashTest {
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Databases.dropCreatedTables();
    }

    @ParameterizedTest
    @EnumSource(Databases.Kind.class)
    void aKilledProcessPublishesWhatItCommittedAndNothingElse(Databases.Kind kind) throws Exception {
        Databases.Db db = Databases.get(kind);
        String broker = "crash-" + UUID.randomUUID();
        String biz = db.businessTable();
        String table = db.table("outbox");
        List<String> seen = Collections.synchronizedList(new ArrayList<>());
        MessageBus shipping = MessageBus.builder("shipping").transport("memory:" + broker).concurrency(1)
                .onEvent(OrderPlaced.class, (e, ctx) -> seen.add(e.orderId() + "#" + e.seq())).build();
        toClose.add(shipping);
        shipping.start();
        MessageBus ordering = MessageBus.builder("ordering").transport("memory:" + broker).produces(OrderPlaced.class).build();
        toClose.add(ordering);
        ordering.start();
        JdbcOutbox outbox = JdbcOutbox.builder(db.dataSource, ordering).table(table).build().createSchema();

        killAt(db, "commit", table, biz, "committed");
        killAt(db, "rollback", table, biz, "rolled-back");
        killAt(db, "in-transaction", table, biz, "killed-in-tx");
        assertEquals(3, outbox.pending(), "only the committed transaction's rows exist");
        assertEquals(3, db.count("SELECT COUNT(*) FROM " + biz), "and only its business rows");
        assertTrue(seen.isEmpty(), "nothing was published before the restart");

        toClose.add(outbox.relay().pollInterval(Duration.ofMillis(20)).start()); // the restart
        Await.until(Duration.ofSeconds(30), () -> seen.size() >= 3, () -> "published after restart: " + seen);
        Await.stays(Duration.ofMillis(300), () -> seen.size() == 3, () -> "published too much: " + seen);
        assertEquals(List.of("committed#0", "committed#1", "committed#2"), List.copyOf(seen));
        Await.until(Duration.ofSeconds(30), () -> outbox.pending() == 0, () -> "rows not marked sent: " + outbox.pending());
    }

    /** Runs {@link CrashChild} in {@code mode}, waits for its marker, then kills it (SIGKILL). */
    private static void killAt(Databases.Db db, String mode, String table, String biz, String key) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path log = Files.createTempFile("courier-crash-child", ".log");
        ProcessBuilder pb = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                "-Dorg.slf4j.simpleLogger.logFile=" + log, CrashChild.class.getName(), mode, table, biz, key);
        pb.environment().put("COURIER_CHILD_URL", db.url);
        pb.redirectErrorStream(false);
        pb.redirectError(log.toFile());
        Process child = pb.start();
        try {
            CompletableFuture<String> marker = CompletableFuture.supplyAsync(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.startsWith("READY")) {
                            return line;
                        }
                    }
                    return "exited";
                } catch (Exception e) {
                    return e.toString();
                }
            });
            String line = marker.get(60, TimeUnit.SECONDS);
            assertEquals("READY " + mode, line, () -> "child failed; its log: " + read(log.toFile()));
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            Files.deleteIfExists(log);
        }
    }

    private static String read(File f) {
        try {
            return Files.readString(f.toPath());
        } catch (Exception e) {
            return e.toString();
        }
    }
}
