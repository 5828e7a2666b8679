package dev.courier.spi.support;

import dev.courier.ConfigurationException;
import dev.courier.TransportConnectException;
import dev.courier.spi.Backoff;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One connection to a broker, kept up for as long as the transport is open, written once for every
 * transport. The transport says how to open and close a connection ({@link Link}); this class does
 * the rest, the same way everywhere:
 * <ul>
 * <li><b>Start-up</b> ({@link #start}): tries to connect, waiting a jittered {@link Backoff} delay
 * between attempts, until the start timeout; then throws {@link TransportConnectException} naming
 * the broker, the attempts and the last failure. A {@link ConfigurationException} from
 * {@link Link#open} (refused credentials, a bad virtual host) ends start-up at once: retrying
 * cannot help.</li>
 * <li><b>Loss</b> ({@link #lost}): the transport reports a dropped connection; reconnect attempts
 * run on the scheduler with the same backoff, for as long as the transport is open.
 * {@link Link#up} runs on each new connection before it is current (declare, resubscribe, resend).</li>
 * <li><b>Close</b> ({@link #close}): stops reconnecting, wakes every waiter and closes the current
 * connection.</li>
 * </ul>
 * Thread-safe. Every wait is bounded and wakes on close.
 *
 * @param <C> the client library's connection type
 */
public final class Reconnector<C> implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Reconnector.class);

    /**
     * What a transport knows about its connections.
     *
     * @param <C> the connection type
     */
    public interface Link<C> {
        /**
         * Opens one connection (blocking, bounded by the client's connect timeout).
         *
         * @return the open connection
         * @throws ConfigurationException when retrying cannot help (refused credentials)
         * @throws Exception              any other failure: the attempt is retried after the backoff
         */
        C open() throws Exception;

        /**
         * Prepares a new connection before it becomes current: declare topology, subscribe again,
         * send again what was not confirmed. Runs on the thread that connected (start's caller, or
         * the scheduler after a loss).
         *
         * @param connection the new connection
         * @param first      true for the first connection of {@link #start}
         * @throws Exception a failure: the connection is closed and the attempt counts as failed
         */
        void up(C connection, boolean first) throws Exception;

        /**
         * Closes a connection quietly (bounded).
         *
         * @param connection the connection
         */
        void close(C connection);

        /**
         * Whether a connection is still open. Asked once a new connection became current: a
         * connection that dropped while {@link #up} ran (its loss report came before it was
         * current, so {@link Reconnector#lost} ignored it) is then reported lost, and replaced.
         *
         * @param connection the connection
         * @return false when it is known to be closed; the default says true (the transport reports
         *         every loss through {@link Reconnector#lost} by itself)
         */
        default boolean isOpen(C connection) {
            return true;
        }
    }

    private final String broker;
    private final Link<C> link;
    private final Backoff backoff;
    private final ScheduledExecutorService scheduler;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile C current;
    /** The connection an attempt is preparing ({@link Link#up}), and whether it was lost meanwhile. */
    private C opening;
    private boolean openingLost;
    private volatile boolean closed;
    private volatile boolean reconnecting;
    private volatile Throwable lastFailure;

    /**
     * @param broker    the broker in words, never with credentials (for logs and failures)
     * @param link      how to open, prepare and close a connection
     * @param backoff   the delays between attempts
     * @param scheduler runs reconnect attempts after a loss
     */
    public Reconnector(String broker, Link<C> link, Backoff backoff, ScheduledExecutorService scheduler) {
        this.broker = broker;
        this.link = link;
        this.backoff = backoff;
        this.scheduler = scheduler;
    }

    /**
     * Connects, retrying with the backoff until {@code startTimeout}. Blocks the caller.
     *
     * @param startTimeout how long to keep trying
     * @return the connection, current now
     * @throws TransportConnectException when every attempt within the start timeout failed, or the
     *                                   reconnector was closed meanwhile
     * @throws ConfigurationException    when the broker refused in a way retrying cannot fix
     */
    public C start(Duration startTimeout) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        int attempts = 0;
        while (true) {
            attempts++;
            C c = attempt(true);
            if (c != null) {
                checkAlive(c);
                return c;
            }
            long delay = TimeUnit.MILLISECONDS.toNanos(backoff.nextDelay().toMillis());
            long left = deadline - System.nanoTime();
            if (closed || left <= 0) {
                throw failure(attempts, startTimeout);
            }
            log.debug("connecting to {} failed ({}); attempt {} again in {} ms", broker, describe(lastFailure),
                    attempts + 1, TimeUnit.NANOSECONDS.toMillis(Math.min(delay, left)));
            if (!pause(Math.min(delay, left))) {
                throw failure(attempts, startTimeout); // closed or interrupted while waiting
            }
        }
    }

    private TransportConnectException failure(int attempts, Duration startTimeout) {
        String why = closed ? "the transport was closed while starting" : "no attempt succeeded within the start"
                + " timeout of " + startTimeout;
        return new TransportConnectException("could not connect to " + broker + ": " + why + " (" + attempts
                + (attempts == 1 ? " attempt" : " attempts") + "; last failure: " + describe(lastFailure) + ")",
                lastFailure);
    }

    /** One attempt; null when it failed (see lastFailure). */
    private C attempt(boolean first) {
        if (closed) {
            return null;
        }
        C c;
        try {
            c = link.open();
        } catch (ConfigurationException e) {
            throw e;
        } catch (Exception e) {
            lastFailure = e;
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return null;
        }
        lock.lock();
        try {
            opening = c;
            openingLost = false;
        } finally {
            lock.unlock();
        }
        try {
            link.up(c, first);
        } catch (ConfigurationException e) {
            forget(c);
            link.close(c);
            throw e;
        } catch (Exception e) {
            lastFailure = e;
            forget(c);
            link.close(c);
            return null;
        }
        lock.lock();
        try {
            boolean lostWhileUp = openingLost;
            opening = null;
            openingLost = false;
            if (closed || lostWhileUp) {
                if (lostWhileUp) {
                    lastFailure = new java.io.IOException("the connection dropped while it was being prepared");
                }
                link.close(c);
                return null;
            }
            current = c;
            backoff.connected();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return c;
    }

    private void forget(C c) {
        lock.lock();
        try {
            if (opening == c) {
                opening = null;
                openingLost = false;
            }
        } finally {
            lock.unlock();
        }
    }

    /** A connection that dropped while it was prepared is lost now that it is current (see Link.isOpen). */
    private void checkAlive(C c) {
        if (!link.isOpen(c)) {
            lost(c, null);
        }
    }

    /** Waits up to nanos or until close; false when it woke because of close. */
    private boolean pause(long nanos) {
        lock.lock();
        try {
            long left = nanos;
            while (left > 0 && !closed) {
                left = changed.awaitNanos(left);
            }
            return !closed;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The transport saw {@code connection} drop. If it is the current one, it is no longer current
     * and reconnect attempts start on the scheduler. If it is the one an attempt is preparing
     * ({@link Link#up} running), that attempt fails once {@code up} returns (the connection is closed
     * and the next attempt follows the backoff), so a connection that dropped while it was prepared
     * never becomes current. Otherwise (an old connection) nothing happens.
     *
     * @param connection the connection that dropped
     * @param cause      why, for the log; may be null
     */
    public void lost(C connection, Throwable cause) {
        lock.lock();
        try {
            if (!closed && connection != null && connection == opening) {
                openingLost = true;
                return;
            }
            if (closed || connection == null || current != connection) {
                return;
            }
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        log.warn("connection to {} lost ({}); reconnecting", broker, cause == null ? "closed" : describe(cause));
        scheduleAttempt(1);
    }

    private void scheduleAttempt(int n) {
        if (closed) {
            return;
        }
        reconnecting = true;
        long delay = backoff.nextDelay().toMillis();
        try {
            scheduler.schedule(() -> reconnect(n), delay, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            reconnecting = false; // the transport is closing
        }
    }

    private void reconnect(int n) {
        C c;
        try {
            c = attempt(false);
        } catch (ConfigurationException e) {
            lastFailure = e;
            log.error("reconnecting to {} refused ({}); trying again with the backoff", broker, e.getMessage());
            c = null;
        }
        if (c != null) {
            reconnecting = false;
            log.info("reconnected to {} after {} attempt(s)", broker, n);
            checkAlive(c);
            return;
        }
        if (!closed) {
            log.debug("reconnect attempt {} to {} failed ({})", n, broker, describe(lastFailure));
            scheduleAttempt(n + 1);
        }
    }

    /** @return the current connection, or null while down */
    public C current() {
        return current;
    }

    /** @return whether a connection is current */
    public boolean isConnected() {
        return current != null && !closed;
    }

    /** @return whether reconnect attempts are running */
    public boolean isReconnecting() {
        return reconnecting && !closed;
    }

    /** @return the last connect failure, or null */
    public Throwable lastFailure() {
        return lastFailure;
    }

    /**
     * Waits for a current connection until {@code deadlineNanos} ({@link System#nanoTime()} based).
     *
     * @param deadlineNanos when to give up
     * @return the connection, or null at the deadline, on close or on interrupt
     */
    public C await(long deadlineNanos) {
        lock.lock();
        try {
            while (current == null && !closed) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
            return closed ? null : current;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** @return whether {@link #close} was called */
    public boolean isClosed() {
        return closed;
    }

    /** Stops reconnecting, wakes every waiter and closes the current connection. Idempotent. */
    @Override
    public void close() {
        C c;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            c = current;
            current = null;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (c != null) {
            link.close(c);
        }
    }

    private static String describe(Throwable e) {
        if (e == null) {
            return "none";
        }
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
