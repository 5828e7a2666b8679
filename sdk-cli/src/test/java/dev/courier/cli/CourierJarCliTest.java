package dev.courier.cli;

import org.junit.jupiter.api.Test;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The runnable jar starts and exits in a child JVM: {@code --version}, the memory: refusal with its exit
 * code, and a list on RabbitMQ and on Kafka. Runs in the package phase (the jar does not exist before); the
 * sdk-cli pom binds it there.
 */
class CourierJarCliTest {

    record Run(int code, String out, String err) {
    }

    private static Run java(String... args) throws Exception {
        String jar = System.getProperty("courier.cli.jar");
        assumeTrue(jar != null, "runs in the package phase, where the shaded jar exists (surefire execution runnable-jar)");
        assertTrue(Files.isRegularFile(Path.of(jar)), "no runnable jar at " + jar);
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.add("-jar");
        cmd.add(jar);
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("courier-cli", ".out");
        Path err = Files.createTempFile("courier-cli", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "courier did not exit within 60 s: " + cmd);
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    @Test
    void theJarStartsPrintsItsVersionAndExitsWithItsCodes() throws Exception {
        Run version = java("--version");
        assertEquals(0, version.code(), version::toString);
        assertTrue(version.out().matches("courier \\d+\\.\\d+\\.\\d+.*\\s*"), version::toString);

        Run memory = java("dlq", "list", "memory:", "--service", "billing");
        assertEquals(ExitCodes.USAGE, memory.code(), memory::toString);
        assertTrue(memory.err().startsWith("courier: memory: cannot be inspected from another process"), memory::toString);

        Brokers.requireRabbit();
        String ns = "clijar" + Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
        Run list = java("dlq", "list", "amqp://guest:guest@127.0.0.1:5672/?namespace=" + ns, "--service", "nobody");
        try {
            assertEquals(0, list.code(), list::toString);
            assertEquals("No dead letters for service 'nobody'.\n", list.out(), list::toString);
            assertEquals("", list.err(), "no log noise on stderr: " + list);
        } finally {
            AmqpDlqCliTest cleaner = new AmqpDlqCliTest();
            cleaner.cleanUp(ns, List.of("nobody"), List.of());
        }
        // kafka:// too: the jar carries courier-kafka, and its provider is in the merged service file
        Brokers.requireKafka();
        Run kafka = java("dlq", "list", "kafka://" + Brokers.kafkaBootstrap() + "?prefix=" + ns, "--service", "nobody");
        try {
            assertEquals(0, kafka.code(), kafka::toString);
            assertEquals("No dead letters for service 'nobody'.\n", kafka.out(), kafka::toString);
        } finally {
            new KafkaDlqCliTest().cleanUp(ns, List.of("nobody"), List.of());
        }
    }
}
