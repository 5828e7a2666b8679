package dev.courier.kit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kit's fault proxy itself, against an echo server: forwarding, cut, refuse, blackhole, heal, close. */
class NetworkFaultTest {
    private final Echo echo = new Echo();
    private final NetworkFault fault = NetworkFault.to(echo.address());
    private final List<Socket> clients = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws IOException {
        for (Socket s : clients) {
            s.close();
        }
        fault.close();
        echo.close();
    }

    @Test
    void forwardsBothWays() throws IOException {
        Socket s = connect();
        assertEquals("hello", roundTrip(s, "hello"));
        assertEquals(1, fault.accepted());
        Await.until(Duration.ofSeconds(5), () -> fault.connections() == 1, fault::toString);
    }

    @Test
    void cutDropsEveryConnectionAndLetsNewOnesIn() throws IOException {
        Socket s = connect();
        assertEquals("a", roundTrip(s, "a"));
        fault.cut();
        assertTrue(dropped(s), "after cut() the client's connection must end (EOF or reset)");
        Await.until(Duration.ofSeconds(5), () -> fault.connections() == 0, fault::toString);
        Await.until(Duration.ofSeconds(5), () -> echo.open.get() == 0, () -> "the broker side must be closed too");
        assertEquals("b", roundTrip(connect(), "b"), "a new connection after cut() is forwarded");
    }

    @Test
    void refuseResetsNewConnectionsAndCutsOpenOnesUntilAccept() throws IOException {
        Socket before = connect();
        assertEquals("a", roundTrip(before, "a"));
        fault.refuse();
        assertTrue(dropped(before), "refuse() cuts the open connections (a broker that went down)");
        assertTrue(refusedAtOnce(), "a connection made while refusing must be reset");
        Await.until(Duration.ofSeconds(5), () -> fault.refused() >= 1, fault::toString);
        assertEquals(1, fault.accepted(), "a refused attempt is not counted as accepted");
        fault.accept();
        assertEquals("c", roundTrip(connect(), "c"), "after accept() connections are forwarded again");
    }

    @Test
    void blackholeHoldsEveryByteUntilHealInOrder() throws IOException {
        Socket s = connect();
        assertEquals("a", roundTrip(s, "a"));
        long received = echo.bytes.get();
        fault.blackhole();
        OutputStream out = s.getOutputStream();
        out.write("xyz".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        Await.stays(Duration.ofMillis(300), () -> echo.bytes.get() == received,
                () -> "bytes reached the broker through a blackhole");
        s.setSoTimeout(300);
        assertThrows(SocketTimeoutException.class, () -> s.getInputStream().read(),
                "nothing comes back through a blackhole");
        Socket late = connect();
        late.getOutputStream().write('q');
        Await.stays(Duration.ofMillis(300), () -> echo.bytes.get() == received,
                () -> "a connection made during a blackhole forwarded bytes");
        fault.heal();
        assertEquals("xyz", read(s, 3), "held bytes arrive after heal(), in order");
        assertEquals("q", read(late, 1));
    }

    @Test
    void cutEndsBlackholedConnectionsToo() throws IOException {
        Socket s = connect();
        assertEquals("a", roundTrip(s, "a"));
        fault.blackhole();
        s.getOutputStream().write('x');
        fault.cut();
        assertTrue(dropped(s), "cut() ends a blackholed connection");
        fault.heal();
        assertEquals("b", roundTrip(connect(), "b"));
    }

    @Test
    void closeStopsEveryThreadOfTheProxy() throws IOException {
        Socket s = connect();
        assertEquals("a", roundTrip(s, "a"));
        fault.blackhole();
        String prefix = "kit-fault-" + fault.address().getPort() + "-";
        assertTrue(threads(prefix) >= 3, "an accepting thread and two per connection, named " + prefix + "…");
        fault.close();
        assertEquals(0, threads(prefix), "close() must stop every thread of the proxy");
        assertTrue(dropped(s), "close() ends the proxied connections");
        assertTrue(Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("kit-fault-"))
                .allMatch(Thread::isDaemon), "the proxy's threads are daemon threads");
    }

    private static long threads(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix) && t.isAlive()).count();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        clients.add(s);
        s.connect(fault.address(), 5_000);
        s.setSoTimeout(5_000);
        return s;
    }

    private static String roundTrip(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return read(s, text.length());
    }

    private static String read(Socket s, int n) throws IOException {
        s.setSoTimeout(5_000);
        byte[] b = s.getInputStream().readNBytes(n);
        return new String(b, StandardCharsets.US_ASCII);
    }

    /** True when a new connection is reset, already in connect() or on its first read. */
    private boolean refusedAtOnce() throws IOException {
        Socket s;
        try {
            s = connect();
        } catch (SocketException e) {
            return true;
        }
        return dropped(s);
    }

    /** True when the connection ends (EOF or reset) within 5 s. */
    private static boolean dropped(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        try {
            InputStream in = s.getInputStream();
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    /** An echo server on an ephemeral port that counts the bytes it received and its open connections. */
    private static final class Echo implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong bytes = new AtomicLong();
        final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        final List<Socket> accepted = new CopyOnWriteArrayList<>();

        Echo() {
            try {
                server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            Thread t = new Thread(this::loop, "echo-accept");
            t.setDaemon(true);
            t.start();
        }

        InetSocketAddress address() {
            return new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
        }

        private void loop() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    accepted.add(s);
                    open.incrementAndGet();
                    Thread t = new Thread(() -> echo(s), "echo-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void echo(Socket s) {
            try (s) {
                byte[] b = new byte[1024];
                for (int r; (r = s.getInputStream().read(b)) >= 0; ) {
                    bytes.addAndGet(r);
                    s.getOutputStream().write(b, 0, r);
                }
            } catch (IOException e) {
                // the proxy cut it
            } finally {
                open.decrementAndGet();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : accepted) {
                s.close();
            }
        }
    }
}
