package dev.courier.kit;

import dev.courier.spi.Transport;
import dev.courier.spi.TransportContext;

import java.lang.reflect.Constructor;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * The program {@link ConnectionCases#startAgainstABrokerThatIsDownFailsWithTransportConnectException}
 * runs in a child JVM: it makes the kit subclass named by its first argument, asks it for a
 * transport routed through the given proxy address ({@link TransportConformanceKit#newTransportVia}),
 * starts it with the given start timeout, prints the outcome and returns from {@code main} without
 * closing anything: a start that failed must leave no thread that keeps the JVM alive. Prints
 * {@value #THREW} or {@value #RETURNED}; a daemon watchdog reports live non-daemon threads a few
 * seconds later (prefixed {@value ChildBus#ALIVE}).
 */
public final class ChildStart {
    /** Printed, with the elapsed milliseconds, the exception's class name and its message, when start threw. */
    public static final String THREW = "child: start threw";
    /** Printed, with the elapsed milliseconds, when start returned normally. */
    public static final String RETURNED = "child: start returned";

    private ChildStart() {
    }

    /**
     * Runs the child: make the transport, start it against the proxy, report, return.
     *
     * @param args the kit subclass's class name, the namespace, the proxy's host and port, the start timeout in milliseconds
     * @throws Exception when the kit subclass cannot be made
     */
    public static void main(String[] args) throws Exception {
        Class<?> kitClass = Class.forName(args[0]);
        Constructor<?> c = kitClass.getDeclaredConstructor();
        c.setAccessible(true);
        TransportConformanceKit kit = (TransportConformanceKit) c.newInstance();
        Transport t = kit.newTransportVia(args[1], new InetSocketAddress(args[2], Integer.parseInt(args[3])));
        Duration startTimeout = Duration.ofMillis(Long.parseLong(args[4]));
        long t0 = System.nanoTime();
        try {
            t.start(new TransportContext("kitdown", "child", Duration.ofSeconds(5)).withStartTimeout(startTimeout));
            System.out.println(RETURNED + " " + elapsedMillis(t0));
        } catch (Throwable e) {
            String message = String.valueOf(e.getMessage()).replace('\n', ' ');
            System.out.println(THREW + " " + elapsedMillis(t0) + " " + e.getClass().getName() + " " + message);
        }
        System.out.flush();
        Thread watchdog = new Thread(ChildBus::reportLiveThreads, "child-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private static long elapsedMillis(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}
