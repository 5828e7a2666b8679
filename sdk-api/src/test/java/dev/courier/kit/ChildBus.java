package dev.courier.kit;

import dev.courier.MessageBus;
import dev.courier.kit.KitMessages.Pinged;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The program {@link JvmExitCases} runs in a child JVM: a bus on the given transport URI handles one
 * event it published itself, closes, and returns from {@code main}. The JVM must then exit by itself.
 * Prints {@value #HANDLED} and {@value #CLOSED}; if the JVM still runs a few seconds after the close,
 * a daemon watchdog prints the threads that keep it alive (prefixed {@value #ALIVE}).
 */
public final class ChildBus {
    /**
     * Printed once the child's handler ran.
     *
     */
    public static final String HANDLED = "child: handled";
    /**
     * Printed once the child's bus closed.
     *
     */
    public static final String CLOSED = "child: closed";
    /**
     * Prefix of the watchdog's report of the threads still alive after close.
     *
     */
    public static final String ALIVE = "child: alive after close:";
    /** When the watchdog reports (the parent allows {@link JvmExitCases#EXIT_BOUND}). */
    static final long WATCHDOG_MILLIS = 3_000;

    private ChildBus() {
    }

    /**
     * Runs the child: publish, handle, close, return.
     *
     * @param args the transport URI, then the service name
     * @throws Exception when the bus cannot start, or the event is not handled in time, within 60 s each
     */
    public static void main(String[] args) throws Exception {
        String uri = args[0];
        String service = args[1];
        CompletableFuture<Integer> handled = new CompletableFuture<>();
        MessageBus bus = MessageBus.builder(service).transport(uri).produces(Pinged.class)
                .onEvent(Pinged.class, (e, ctx) -> handled.complete(e.n()))
                .build().start();
        bus.publish(new Pinged(7, "from a child JVM")).get(60, TimeUnit.SECONDS);
        System.out.println(HANDLED + " " + handled.get(60, TimeUnit.SECONDS));
        bus.close();
        System.out.println(CLOSED);
        System.out.flush();
        Thread watchdog = new Thread(ChildBus::reportLiveThreads, "child-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    static void reportLiveThreads() {
        try {
            Thread.sleep(WATCHDOG_MILLIS); // a diagnostic timer, not synchronisation: it only reports
        } catch (InterruptedException e) {
            return;
        }
        StringBuilder b = new StringBuilder(ALIVE);
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (t.isDaemon() || t == Thread.currentThread() || t.getName().equals("DestroyJavaVM")) {
                continue;
            }
            b.append(" [non-daemon thread '").append(t.getName()).append("' ").append(t.getState());
            StackTraceElement[] stack = e.getValue();
            for (int i = 0; i < Math.min(6, stack.length); i++) {
                b.append(" at ").append(stack[i]);
            }
            b.append(']');
        }
        System.out.println(b);
        System.out.flush();
    }
}
