package dev.courier.kit;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * After {@code close()}, no thread Courier or a client library it created started keeps a JVM
 * alive, and closing prints no errors (issue 10 item 6): a bus in a child JVM handles one message,
 * closes, and the JVM must exit by itself within {@link #EXIT_BOUND}.
 */
public interface JvmExitCases extends KitHarness {

    /** How long the child JVM may take to exit after its bus's close() returned. */
    Duration EXIT_BOUND = Duration.ofSeconds(5);

    /**
     * Checks, in a child JVM, that after close() no thread of the bus, the transport or its client library keeps the JVM alive.
     *
     * @throws Exception when the child JVM cannot be started or waited for
     */
    @KitCase(stress = false)
    default void aBusClosedInAChildJvmLetsTheJvmExitByItself() throws Exception {
        String uri = transportUri().orElse(null);
        assumeTrue(uri != null, "the transport's kit gives no transportUri() for a bus in a child JVM");
        ChildJvm child = ChildJvm.start(ChildBus.class, List.of(uri, "jvmexit"));
        try {
            Await.until(patience().multipliedBy(2), () -> child.line(ChildBus.CLOSED) != null || !child.isAlive(),
                    () -> "the child JVM should start a bus on " + uri + ", handle one event and close; its output:\n"
                            + output(child));
            ChildJvm.Line closed = child.line(ChildBus.CLOSED);
            if (closed == null) {
                child.waitFor(Duration.ofSeconds(5));
                fail("the child JVM ended before its bus closed (exit " + (child.isAlive() ? "?" : child.exitValue())
                        + "); its output:\n" + output(child));
            }
            long left = EXIT_BOUND.toNanos() - (System.nanoTime() - closed.nanos());
            if (!child.waitFor(Duration.ofNanos(Math.max(0, left)))) {
                Await.upTo(Duration.ofSeconds(3), () -> child.line(ChildBus.ALIVE) != null);
                fail("the child JVM did not exit within " + EXIT_BOUND + " after its bus's close() returned — a"
                        + " non-daemon thread keeps it alive; check that close() shuts down every executor, event loop"
                        + " and scheduler the transport or its client library started. The child's output:\n"
                        + output(child));
            }
            assertEquals(0, child.exitValue(), () -> "the child JVM failed; its output:\n" + output(child));
            List<String> errors = child.stderr().stream().map(ChildJvm.Line::text)
                    .filter(l -> l.contains("ERROR") || l.contains("Exception")).collect(Collectors.toList());
            child.stdout().stream().map(ChildJvm.Line::text).filter(l -> l.contains(" ERROR ") || l.contains("Exception"))
                    .forEach(errors::add);
            assertTrue(errors.isEmpty(), () -> "starting, using and closing a bus must log no error or exception;"
                    + " check what the transport or its client library reports while it shuts down:\n  "
                    + String.join("\n  ", errors));
        } finally {
            if (child.isAlive()) {
                child.kill();
            }
        }
    }

    private static String output(ChildJvm child) {
        StringBuilder b = new StringBuilder();
        child.stdout().forEach(l -> b.append("  out: ").append(l.text()).append('\n'));
        child.stderr().forEach(l -> b.append("  err: ").append(l.text()).append('\n'));
        return b.toString();
    }
}
