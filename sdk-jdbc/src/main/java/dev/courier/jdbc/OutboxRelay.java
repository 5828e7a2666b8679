package dev.courier.jdbc;

import dev.courier.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Publishes the committed rows of a {@link JdbcOutbox} through its bus, with confirms, and marks
 * them sent; purges sent rows after {@link Builder#retention}. One daemon thread polls every
 * {@link Builder#pollInterval}, at once again while batches come back full, and earlier when
 * woken: by {@link #wakeUp()}, by a write through its own {@link JdbcOutbox} in this process, or
 * on PostgreSQL by the NOTIFY of other processes' writes (one connection stays LISTENing while
 * the relay runs).
 *
 * <p>While rows keep coming the relay looks again every {@link Builder#activePollInterval} (10 ms
 * by default) instead of once per row: after a batch that published something, and after a write of
 * this process (which it cannot see before its commit). When a look finds nothing the delay doubles
 * up to the poll interval, so a slow transaction is still found soon after its commit and an idle
 * relay does not poll faster than {@code pollInterval}. Rows committed together go out in one batch:
 * one locking select, pipelined publishes, one update marking them sent, one commit. While rows
 * keep coming the relay thread keeps one pooled connection, set up once (auto-commit off, READ
 * COMMITTED, see {@link Builder#synchronousCommit}), and gives it back as it found it when it goes idle.
 *
 * <p>Guarantees: a committed row is published at least once (or marked failed, below); rows of one aggregate key are
 * published in id order, each after the previous one's confirm; several relays (one per service
 * instance is fine) lock rows with {@code FOR UPDATE SKIP LOCKED} and publish each row once in the
 * normal case. A crash between the broker's confirm and the commit of "sent" publishes the row
 * again, with the same message id, for the receivers' inbox to drop. A row that fails is retried
 * after a jittered, growing delay ({@link Builder#retryBackoff}); rows after it in its key wait for
 * it. After {@link Builder#maxAttempts} failed attempts — at once for a row that cannot be read,
 * breaks a size limit ({@link dev.courier.LimitExceededException}), or cannot be encoded — the row is
 * marked failed ({@code failed_at}, logged at ERROR once): it is kept but never retried by itself,
 * and the rows behind it in its key are published without it (skip and go on: one poison row
 * never blocks its key). {@link JdbcOutbox#failed}, {@link JdbcOutbox#retry} and
 * {@link JdbcOutbox#discard} list and settle failed rows.
 *
 * <p>Start it after the bus: {@code outbox.relay().start()}; {@link #close()} it before the bus.
 */
public final class OutboxRelay implements AutoCloseable {
    /**
     * Rows per batch by default.
     *
     */
    public static final int DEFAULT_BATCH_SIZE = 200;
    /**
     * How long the relay waits between looks by default.
     *
     */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(500);
    /**
     * How soon the relay looks again while rows keep coming, by default.
     *
     */
    public static final Duration DEFAULT_ACTIVE_POLL_INTERVAL = Duration.ofMillis(10);
    /**
     * How long a batch waits for its confirms by default.
     *
     */
    public static final Duration DEFAULT_PUBLISH_TIMEOUT = Duration.ofSeconds(30);
    /**
     * A failed row's first retry delay by default.
     *
     */
    public static final Duration DEFAULT_RETRY_BACKOFF = Duration.ofSeconds(1);
    /**
     * The cap of a failed row's retry delay by default.
     *
     */
    public static final Duration DEFAULT_MAX_RETRY_BACKOFF = Duration.ofMinutes(1);
    /** Publish attempts per row before it is marked failed: about 10 to 15 minutes at the default backoff. */
    public static final int DEFAULT_MAX_ATTEMPTS = 20;
    /**
     * How long sent rows are kept by default.
     *
     */
    public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
    /**
     * How often the relay purges sent rows by default.
     *
     */
    public static final Duration DEFAULT_PURGE_INTERVAL = Duration.ofMinutes(1);
    /**
     * Rows deleted per purge statement by default.
     *
     */
    public static final int DEFAULT_PURGE_BATCH_SIZE = 1000;

    static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    private final JdbcOutbox outbox;
    private final Builder config;
    private final Semaphore wake = new Semaphore(0);
    private final RelayBatch batch;
    /** The relay thread's connection while rows keep coming (one setup per connection, not per batch). */
    private final RelaySession session;
    /** Delays between failed batches: from the poll interval, growing and jittered, to the retry backoff's maximum. */
    private final RelayBackoff outage;
    private final String purge;
    private volatile boolean running;
    /** Writes of this process through the relay's outbox (counted, before their commit). */
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
    /** True while the relay waits its full poll interval: a write of this process then wakes it. */
    private volatile boolean idle;
    private Thread thread;
    private PgWaker waker;
    private long nextPurge;

    private OutboxRelay(JdbcOutbox outbox, Builder config) {
        this.outbox = outbox;
        this.config = config;
        this.batch = new RelayBatch(outbox, config);
        this.session = new RelaySession(outbox.dataSource(), !config.synchronousCommit && outbox.dialect().asyncCommit());
        this.outage = RelayBackoff.forOutages(config.pollInterval, config.maxRetryBackoff);
        Dialect d = outbox.dialect();
        this.purge = d.deleteLimited(outbox.table(), "id", "sent_at < " + d.nowPlusMillisParam());
    }

    static Builder builder(JdbcOutbox outbox) {
        return new Builder(outbox);
    }

    /**
     * Starts the relay thread (and the LISTEN connection on PostgreSQL).
     *
     * The relay thread ({@code courier-outbox-relay-<table>}) is a daemon thread; it publishes through the outbox's bus and survives database and broker outages (it backs off).
     * @return this relay; calling it again while running does nothing
     */
    public synchronized OutboxRelay start() {
        if (running) {
            return this;
        }
        running = true;
        nextPurge = System.nanoTime() + config.purgeInterval.toNanos();
        thread = new Thread(this::loop, "courier-outbox-relay-" + outbox.table());
        thread.setDaemon(true);
        outbox.attach(this);
        thread.start();
        if (config.listen && outbox.dialect().notifies()) {
            waker = new PgWaker(outbox.dataSource(), outbox.channel(), this::wakeUp,
                    RelayBackoff.forOutages(config.pollInterval, config.maxRetryBackoff));
            waker.start();
        }
        log.info("outbox relay for {} started (batch {}, poll every {}{})", outbox.table(), config.batchSize,
                config.pollInterval, waker != null ? ", woken by NOTIFY" : "");
        return this;
    }

    /** Looks for rows now instead of at the next poll (call it after a commit you know of). */
    public void wakeUp() {
        wake.release();
    }

    /** A write of this process through the relay's outbox, not committed yet: look again soon. */
    void written() {
        writes.incrementAndGet();
        if (idle) {
            wake.release();
        }
    }

    /**
     * Publishes one batch now on the calling thread and returns how many rows it published. Usable
     * without {@link #start()} to drive the relay from a scheduler of your own.
     *
     * @return how many rows were published (confirmed) in this batch
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public int relayOnce() {
        return runBatch().sent();
    }

    /**
     * Deletes sent rows older than the retention, in batches; returns how many went.
     *
     * Runs on the calling thread; the relay calls it by itself every purge interval.
     * @return how many sent rows were deleted
     * @throws dev.courier.CourierException when the database fails (wrapping the SQLException, with its SQLState)
     */
    public int purge() {
        int total = 0;
        try {
            for (int i = 0; i < JdbcInbox.MAX_BATCHES_PER_RUN; i++) {
                int n = Jdbc.autoCommit(outbox.dataSource(), c -> {
                    try (PreparedStatement ps = c.prepareStatement(purge)) {
                        ps.setLong(1, -config.retention.toMillis());
                        ps.setInt(2, config.purgeBatchSize);
                        return ps.executeUpdate();
                    }
                });
                total += n;
                if (n < config.purgeBatchSize) {
                    break;
                }
            }
        } catch (SQLException e) {
            throw Jdbc.failure("outbox " + outbox.table() + " could not purge", e);
        }
        if (total > 0) {
            log.debug("outbox {}: purged {} sent row(s) older than {}", outbox.table(), total, config.retention);
        }
        return total;
    }

    /** Stops the relay after its current batch. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            t = thread;
        }
        outbox.detach(this);
        wake.release();
        if (waker != null) {
            waker.close();
        }
        try {
            t.join(config.publishTimeout.toMillis() + 5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        log.info("outbox relay for {} stopped", outbox.table());
    }

    private RelayBatch.Outcome runBatch() {
        try {
            return Jdbc.transaction(outbox.dataSource(), batch::run);
        } catch (SQLException e) {
            throw Jdbc.failure("outbox " + outbox.table() + ": relay batch failed", e);
        }
    }

    /** A batch of the relay thread, on its held connection. */
    private RelayBatch.Outcome runHeldBatch() {
        try {
            return session.transaction(batch::run);
        } catch (SQLException e) {
            throw Jdbc.failure("outbox " + outbox.table() + ": relay batch failed", e);
        }
    }

    /** Connections the relay thread has taken from the pool so far (for tests). */
    long connectionsTaken() {
        return session.opened();
    }

    private void loop() {
        try {
            relay();
        } finally {
            session.release();
        }
    }

    private void relay() {
        int failures = 0; // batches failed in a row (the database is unreachable, say)
        long active = Math.max(1, Math.min(config.activePollInterval.toMillis(), config.pollInterval.toMillis()));
        long step = 0; // the next delay while rows keep coming; 0 when idle
        long writesSeen = writes.get();
        while (running) {
            RelayBatch.Outcome o = null;
            try {
                o = runHeldBatch();
                if (failures > 0) {
                    log.info("outbox relay for {} works again", outbox.table());
                    failures = 0;
                }
            } catch (RuntimeException e) {
                if (failures++ == 0) {
                    log.warn("outbox relay for {} failed, retrying after growing, jittered delays (up to {}): {}",
                            outbox.table(), outage.max(), e.toString());
                }
            }
            if (o != null && ((o.selected() >= config.batchSize && o.sent() > 0) || o.gaveUp() > 0)) {
                continue; // more may be waiting, or the rows behind a row given up on are free now
            }
            if (config.purgeInterval.toNanos() > 0 && System.nanoTime() - nextPurge >= 0) {
                nextPurge = System.nanoTime() + config.purgeInterval.toNanos();
                try {
                    purge();
                } catch (RuntimeException e) {
                    log.warn("{}", e.getMessage());
                }
            }
            long now = writes.get();
            boolean fresh = now != writesSeen || (o != null && o.sent() > 0);
            writesSeen = now;
            if (failures > 0) {
                step = 0;
            } else if (fresh) {
                step = active; // rows came, or a write of this process may commit any moment
            } else if (step > 0) {
                step = step * 2 < config.pollInterval.toMillis() ? step * 2 : 0; // found nothing: back off to idle
            }
            long wait = failures > 0 ? outage.delayMillis(failures) : step > 0 ? step : config.pollInterval.toMillis();
            try {
                idle = step == 0;
                if (idle && writes.get() != writesSeen) {
                    continue; // a write came while the flag was down: look again soon, not in a poll interval
                }
                if (idle || failures > 0) {
                    session.release(); // nothing coming: the pool gets the connection back while we wait
                }
                if (wake.tryAcquire(wait, TimeUnit.MILLISECONDS)) {
                    wake.drainPermits();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } finally {
                idle = false;
            }
        }
    }

    /**
     * Configures an {@link OutboxRelay}. {@link #build()} (and {@link #start()}) check every
     * setting at once and name each invalid one in a {@link ConfigurationException}.
     */
    public static final class Builder {
        private final JdbcOutbox outbox;
        int batchSize = DEFAULT_BATCH_SIZE;
        Duration pollInterval = DEFAULT_POLL_INTERVAL;
        Duration activePollInterval = DEFAULT_ACTIVE_POLL_INTERVAL;
        Duration publishTimeout = DEFAULT_PUBLISH_TIMEOUT;
        Duration retryBackoff = DEFAULT_RETRY_BACKOFF;
        Duration maxRetryBackoff = DEFAULT_MAX_RETRY_BACKOFF;
        int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        Duration retention = DEFAULT_RETENTION;
        Duration purgeInterval = DEFAULT_PURGE_INTERVAL;
        int purgeBatchSize = DEFAULT_PURGE_BATCH_SIZE;
        boolean listen = true;
        boolean synchronousCommit;

        private Builder(JdbcOutbox outbox) {
            this.outbox = outbox;
        }

        /**
         * Rows locked and published per transaction (default 200).
         *
         * @param batchSize 1 to 1000
         * @return this builder
         */
        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        /**
         * How long the relay waits between looks when nothing wakes it (default 500 ms).
         *
         * @param interval positive
         * @return this builder
         */
        public Builder pollInterval(Duration interval) {
            this.pollInterval = interval;
            return this;
        }

        /**
         * How soon the relay looks again while rows keep coming: after a batch that published
         * something, or a write of this process through the relay's outbox (default 10 ms). Each
         * look that finds nothing doubles the delay, up to {@link #pollInterval}. Longer means
         * bigger batches and fewer statements under load, and a longer wait from commit to publish.
         *
         * @param interval positive; at most the poll interval is used
         * @return this builder
         */
        public Builder activePollInterval(Duration interval) {
            this.activePollInterval = interval;
            return this;
        }

        /**
         * How long a batch waits for its confirms; unconfirmed rows are published again later (default 30 s).
         *
         * @param timeout positive
         * @return this builder
         */
        public Builder publishTimeout(Duration timeout) {
            this.publishTimeout = timeout;
            return this;
        }

        /**
         * The delay before a failed row's next attempt: {@code initial} doubled per attempt up to
         * {@code max}, each delay drawn at random from its upper half so rows that failed together
         * come back spread out (default 1 s, 1 min: 0.5–1 s, 1–2 s, … 30–60 s).
         *
         * @param initial the first delay; positive
         * @param max the cap; at least {@code initial}
         * @return this builder
         */
        public Builder retryBackoff(Duration initial, Duration max) {
            this.retryBackoff = initial;
            this.maxRetryBackoff = max;
            return this;
        }

        /**
         * Publish attempts per row before the row is marked failed (default
         * {@value OutboxRelay#DEFAULT_MAX_ATTEMPTS}, 1 to 1000).
         *
         * @param maxAttempts 1 to 1000
         * @return this builder
         */
        public Builder maxAttempts(int maxAttempts) {
            this.maxAttempts = maxAttempts;
            return this;
        }

        /**
         * How long sent rows are kept before purging (default 24 hours).
         *
         * @param retention positive
         * @return this builder
         */
        public Builder retention(Duration retention) {
            this.retention = retention;
            return this;
        }

        /**
         * How often the relay purges (default 1 minute); {@link Duration#ZERO} turns purging off.
         *
         * @param interval positive, or zero for no purging
         * @return this builder
         */
        public Builder purgeInterval(Duration interval) {
            this.purgeInterval = interval;
            return this;
        }

        /**
         * Rows deleted per statement when purging (default 1000).
         *
         * @param size 1 to 100,000
         * @return this builder
         */
        public Builder purgeBatchSize(int size) {
            this.purgeBatchSize = size;
            return this;
        }

        /**
         * On PostgreSQL, whether to LISTEN for the outbox's NOTIFY to wake early (default true).
         *
         * @param listen false to rely on polling only
         * @return this builder
         */
        public Builder listen(boolean listen) {
            this.listen = listen;
            return this;
        }

        /**
         * On PostgreSQL, whether the relay's own commits — marking rows sent, or recording a failed
         * attempt — wait for their WAL flush (default false: they run with
         * {@code synchronous_commit = off}, set on the relay's connection only and put back when
         * it returns to the pool). Rows are marked sent after their confirm either way; what the
         * default risks is only a mark lost when the database server itself crashes within about
         * three {@code wal_writer_delay}s of it: the rows are then published again, with the same
         * message ids, which the receivers' inbox drops — the same redelivery as a relay crash
         * between confirm and commit. Marks become visible to other relays at once in both cases,
         * and the marks of one key are flushed in order, so a key's order is kept. The business
         * transactions and the outbox writes are not affected. MariaDB: no effect.
         *
         * @param synchronous true to make each mark wait for its flush
         * @return this builder
         */
        public Builder synchronousCommit(boolean synchronous) {
            this.synchronousCommit = synchronous;
            return this;
        }

        /**
         * Builds a relay that does nothing until {@link OutboxRelay#start()} (or {@link OutboxRelay#relayOnce()}).
         *
         * @return an unstarted relay
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public OutboxRelay build() {
            List<String> problems = new ArrayList<>();
            if (batchSize < 1 || batchSize > 1000) {
                problems.add("relay batchSize must be between 1 and 1000, was " + batchSize);
            }
            Jdbc.checkPositive(problems, "relay pollInterval", pollInterval);
            Jdbc.checkPositive(problems, "relay activePollInterval", activePollInterval);
            Jdbc.checkPositive(problems, "relay publishTimeout", publishTimeout);
            Jdbc.checkPositive(problems, "relay retryBackoff", retryBackoff);
            Jdbc.checkPositive(problems, "relay maxRetryBackoff", maxRetryBackoff);
            if (retryBackoff != null && maxRetryBackoff != null && maxRetryBackoff.compareTo(retryBackoff) < 0) {
                problems.add("relay maxRetryBackoff (" + maxRetryBackoff + ") must be at least retryBackoff ("
                        + retryBackoff + ")");
            }
            if (maxAttempts < 1 || maxAttempts > 1000) {
                problems.add("relay maxAttempts must be between 1 and 1000, was " + maxAttempts);
            }
            Jdbc.checkPurge(problems, "relay", retention, purgeInterval, purgeBatchSize);
            if (!problems.isEmpty()) {
                throw new ConfigurationException(problems);
            }
            return new OutboxRelay(outbox, this);
        }

        /**
         * Builds and starts the relay.
         *
         * @return the running relay; close it before the bus
         * @throws dev.courier.ConfigurationException naming every invalid setting at once
         */
        public OutboxRelay start() {
            return build().start();
        }
    }
}
