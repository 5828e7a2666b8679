package dev.courier.kit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A network fault injector: an in-JVM TCP proxy between a transport and its broker, on an ephemeral
 * port of 127.0.0.1 of its own, that can refuse connections, cut them, or stop forwarding — what the
 * {@link ConnectionCases} need to make a broker look down or a network partitioned without touching
 * the shared broker (so those cases run concurrently with the rest of the kit).
 *
 * <p>States, each switched by one call that takes effect before it returns:
 * <ul>
 *   <li>{@link #accept()} (the initial state): connections are accepted and each is forwarded to
 *       the target, both directions, byte for byte.</li>
 *   <li>{@link #refuse()}: a broker that is down. Every proxied connection is cut and every new
 *       connection is reset before a byte is exchanged (counted in {@link #refused()}). The proxy
 *       keeps its port bound, so no other process can take it while the test runs; to a client the
 *       port refuses it.</li>
 *   <li>{@link #cut()}: every proxied connection is closed now, both sides, abortively (TCP reset):
 *       the client sees its connection drop, the broker sees its client go. New connections are
 *       accepted as before (the client can reconnect at once).</li>
 *   <li>{@link #blackhole()}: a partition. Sockets stay open, but nothing is forwarded in either
 *       direction (confirms never arrive, heartbeats stop). Bytes are held, not dropped: TCP's own
 *       back-pressure stops the senders once the buffers are full. New connections are accepted and
 *       reach the broker, but their bytes are held too.</li>
 *   <li>{@link #heal()}: back to normal — accepting again, and held bytes forwarded in order, so a
 *       connection that survived a partition carries on with its stream intact.</li>
 * </ul>
 *
 * <p>Threads: one named daemon thread accepts ({@code kit-fault-<port>-accept}); each proxied
 * connection has two ({@code kit-fault-<port>-c<n>-up} and {@code -down}). {@link #close()} stops
 * and joins all of them. All methods are thread safe.
 */
public final class NetworkFault implements AutoCloseable {
    /** How long a proxied connection may take to reach the target. */
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    /** How long {@link #close()} waits for each thread to end. */
    private static final long JOIN_MILLIS = 5_000;

    private final InetSocketAddress target;
    private final ServerSocket server;
    private final String name;
    private final Thread acceptor;
    private final Set<Proxied> open = ConcurrentHashMap.newKeySet();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicInteger seq = new AtomicInteger();
    /** Held (shared) by a pump while it decides to write and writes; taken (exclusive) to start a blackhole. */
    private final ReentrantReadWriteLock forwarding = new ReentrantReadWriteLock();
    /** Pumps wait on it while blackholed; notified by {@link #heal()}, {@link #cut()} and {@link #close()}. */
    private final Object gate = new Object();
    private volatile long lastAcceptedNanos = Long.MIN_VALUE;
    private volatile boolean refusing;
    private volatile boolean blackholed;
    private volatile boolean closed;

    private NetworkFault(InetSocketAddress target, int port) throws IOException {
        this.target = target;
        this.server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        this.name = "kit-fault-" + server.getLocalPort();
        this.acceptor = new Thread(this::acceptLoop, name + "-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts a proxy to {@code target} on a new ephemeral port of 127.0.0.1, accepting and forwarding.
     *
     * @param target the broker's address; never null
     * @return the running proxy; close it when done
     * @throws UncheckedIOException when no local port can be bound
     */
    public static NetworkFault to(InetSocketAddress target) {
        return on(0, target);
    }

    /**
     * Starts a proxy to {@code target} on the given port of 127.0.0.1, accepting and forwarding: for a
     * broker that tells its clients where to come back (Kafka's advertised listeners), whose kit makes
     * it advertise this port.
     *
     * @param port the local port to listen on (0: an ephemeral one, as {@link #to})
     * @param target the broker's address; never null
     * @return the running proxy; close it when done
     * @throws UncheckedIOException when the port cannot be bound
     */
    public static NetworkFault on(int port, InetSocketAddress target) {
        try {
            return new NetworkFault(target, port);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind the fault proxy's port: " + e.getMessage(), e);
        }
    }

    /**
     * The address clients connect to instead of the broker.
     *
     * @return 127.0.0.1 and the proxy's port
     */
    public InetSocketAddress address() {
        // the numeric address: a client given "localhost" may try ::1 first, where the proxy does not listen
        return new InetSocketAddress(server.getInetAddress().getHostAddress(), server.getLocalPort());
    }

    /**
     * The broker the proxy forwards to.
     *
     * @return the target given at {@link #to}
     */
    public InetSocketAddress target() {
        return target;
    }

    /** Accepts (and forwards) new connections again after {@link #refuse()}; a blackhole stays. */
    public void accept() {
        refusing = false;
    }

    /** Cuts every proxied connection and resets every new one until {@link #accept()} or {@link #heal()}. */
    public void refuse() {
        refusing = true;
        cut();
    }

    /** Closes every proxied connection now, both sides, with a TCP reset; new connections are accepted as before. */
    public void cut() {
        for (Proxied p : open) {
            p.abort();
        }
        synchronized (gate) {
            gate.notifyAll();
        }
    }

    /**
     * Stops forwarding in both directions, on every connection, the open ones and new ones; bytes
     * are held until {@link #heal()}. When it returns no byte is forwarded any more (a write in
     * progress has finished).
     */
    public void blackhole() {
        ReentrantReadWriteLock.WriteLock w = forwarding.writeLock();
        boolean locked = false;
        try {
            // a pump blocked writing to a peer that does not read would hold us here: bound the wait
            locked = w.tryLock(JOIN_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            blackholed = true;
        } finally {
            if (locked) {
                w.unlock();
            }
        }
    }

    /** Ends every fault: accepting again, and bytes held by a blackhole are forwarded, in order. */
    public void heal() {
        refusing = false;
        synchronized (gate) {
            blackholed = false;
            gate.notifyAll();
        }
    }

    /**
     * Connections proxied now.
     *
     * @return how many client connections are open through the proxy
     */
    public int connections() {
        return open.size();
    }

    /**
     * Connections accepted and forwarded so far (refused ones not counted).
     *
     * @return the number of connections proxied since the start
     */
    public int accepted() {
        return accepted.get();
    }

    /**
     * When the latest connection was accepted and forwarded ({@link System#nanoTime()}), for a case
     * that asks how long ago the client reconnected.
     *
     * @return the time of the latest accepted connection, or {@link Long#MIN_VALUE} when none was
     */
    public long lastAcceptedNanos() {
        return lastAcceptedNanos;
    }

    /**
     * Connection attempts reset while refusing.
     *
     * @return the number of refused attempts since the start
     */
    public int refused() {
        return refused.get();
    }

    /**
     * Stops accepting, cuts every connection and joins every thread of the proxy (each for at most 5 s).
     * Idempotent.
     */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        cut();
        join(acceptor);
        for (Thread t : threads) {
            join(t);
        }
    }

    private static void join(Thread t) {
        try {
            t.join(JOIN_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return name + " -> " + target + (refusing ? " refusing" : "") + (blackholed ? " blackholed" : "")
                + " (" + open.size() + " open, " + accepted + " accepted, " + refused + " refused)";
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            if (refusing || closed) {
                refused.incrementAndGet();
                reset(client);
                continue;
            }
            accepted.incrementAndGet();
            lastAcceptedNanos = System.nanoTime();
            Proxied p = new Proxied(client, seq.incrementAndGet());
            open.add(p);
            if (refusing || closed) { // refuse() or close() ran between the check and the add
                p.abort();
                continue;
            }
            Thread up = new Thread(p::run, name + "-c" + p.n + "-up");
            up.setDaemon(true);
            threads.removeIf(t -> !t.isAlive());
            threads.add(up);
            up.start();
        }
    }

    /** Closes with SO_LINGER 0: the peer gets a reset, not an orderly end of stream. */
    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (SocketException e) {
            // already closed
        }
        try {
            s.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    /** One client connection and its connection to the target. */
    private final class Proxied {
        private final Socket client;
        private final Socket upstream = new Socket();
        private final int n;
        private volatile boolean aborted;

        Proxied(Socket client, int n) {
            this.client = client;
            this.n = n;
        }

        /** On the "up" thread: connects to the target, starts the "down" pump, then pumps client to target. */
        void run() {
            try {
                upstream.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                upstream.connect(target, CONNECT_TIMEOUT_MILLIS);
            } catch (IOException e) {
                abort(); // the target is down: the client sees its connection reset
                return;
            }
            if (aborted) {
                abort();
                return;
            }
            Thread down = new Thread(() -> pump(upstream, client), name + "-c" + n + "-down");
            down.setDaemon(true);
            threads.add(down);
            down.start();
            pump(client, upstream);
        }

        private void pump(Socket from, Socket to) {
            byte[] buf = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                for (int r; (r = in.read(buf)) >= 0; ) {
                    forward(out, buf, r);
                }
            } catch (IOException e) {
                // cut, reset by a peer, or closed: the connection ends either way
            }
            abort();
        }

        /** Writes unless blackholed; while blackholed, waits (holding the bytes) until healed or cut. */
        private void forward(OutputStream out, byte[] buf, int len) throws IOException {
            while (true) {
                ReentrantReadWriteLock.ReadLock r = forwarding.readLock();
                r.lock();
                try {
                    if (!blackholed) {
                        out.write(buf, 0, len);
                        out.flush();
                        return;
                    }
                } finally {
                    r.unlock();
                }
                synchronized (gate) {
                    while (blackholed && !aborted && !closed) {
                        try {
                            gate.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IOException("interrupted while blackholed", e);
                        }
                    }
                }
                if (aborted || closed) {
                    throw new IOException("connection cut while blackholed");
                }
            }
        }

        /** Both sides closed with a reset; idempotent. */
        void abort() {
            aborted = true;
            open.remove(this);
            reset(client);
            reset(upstream);
            synchronized (gate) {
                gate.notifyAll();
            }
        }
    }
}
