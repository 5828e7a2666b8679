package dev.courier.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Time that moves only when a test says so: a {@link Clock} and a {@link ScheduledExecutorService}
 * over one manual "now". Give both to a bus ({@code .clock(time.clock()).scheduler(time.scheduler())},
 * which {@link CourierTestHarness#withManualTime()} does for every bus), then {@link #advance} to run
 * retry backoffs, request timeouts and (through the harness) delayed redeliveries without sleeping.
 *
 * <p>Scheduled tasks run in {@link #advance} on the calling thread, in due order; a task scheduled
 * with no delay runs at the next {@code advance} (use {@link #runDue()}). Thread safe.
 */
public final class ManualTime {
    private final Instant start;
    private final Scheduler scheduler = new Scheduler();
    private final Clock clock;
    private long nowMillis;

    /** Manual time starting at 2026-01-01T00:00:00Z. */
    public ManualTime() {
        this(Instant.parse("2026-01-01T00:00:00Z"));
    }

    /**
     * @param start the instant the clock shows before the first {@link #advance}
     */
    public ManualTime(Instant start) {
        this.start = Objects.requireNonNull(start, "start");
        this.clock = new ManualClock(ZoneOffset.UTC);
    }

    /** @return the clock: {@code start} plus every advance so far */
    public Clock clock() {
        return clock;
    }

    /** @return the scheduler whose tasks fall due as time advances */
    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    /** @return the current manual instant */
    public synchronized Instant now() {
        return start.plusMillis(nowMillis);
    }

    /**
     * Moves time forward by {@code by}, running every task that falls due, in due order, on the
     * calling thread (a task that schedules another one within the window sees it run too).
     *
     * @param by how far (zero or positive)
     */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("time only moves forward, not by " + by);
        }
        scheduler.advance(by.toMillis());
    }

    /** Runs the tasks already due (those scheduled with no delay), without moving time. */
    public void runDue() {
        scheduler.advance(0);
    }

    /** @return tasks waiting to fall due */
    public int pending() {
        return scheduler.pending();
    }

    /** @return every delay a task was scheduled with, in order (a retry policy's backoffs, for example) */
    public List<Duration> requestedDelays() {
        return scheduler.requestedDelays();
    }

    private final class ManualClock extends Clock {
        private final ZoneId zone;

        ManualClock(ZoneId zone) {
            this.zone = zone;
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return new ManualClock(zone);
        }

        @Override
        public Instant instant() {
            return now();
        }

        @Override
        public long millis() {
            return now().toEpochMilli();
        }
    }

    private final class Scheduler extends AbstractExecutorService implements ScheduledExecutorService {
        private final List<Task<?>> tasks = new ArrayList<>();
        private final List<Duration> requested = new ArrayList<>();
        private long sequence;
        private boolean shutdown;

        private final class Task<V> implements ScheduledFuture<V> {
            final long due;
            final long order;
            final Callable<V> body;
            final long period; // 0: once; > 0 fixed rate; < 0 fixed delay
            final CompletableFuture<V> result = new CompletableFuture<>();

            Task(long due, long order, Callable<V> body, long period) {
                this.due = due;
                this.order = order;
                this.body = body;
                this.period = period;
            }

            void run() {
                try {
                    V v = body.call();
                    if (period == 0) {
                        result.complete(v);
                    } else if (!future().isDone()) {
                        synchronized (ManualTime.this) {
                            long next = period > 0 ? due + period : nowMillis - period;
                            tasks.add(new Task<>(next, sequence++, body, period).sharing(future()));
                        }
                    }
                } catch (Exception e) {
                    result.completeExceptionally(e);
                }
            }

            private CompletableFuture<V> shared;

            Task<V> sharing(CompletableFuture<V> r) {
                this.shared = r;
                return this;
            }

            private CompletableFuture<V> future() {
                return shared != null ? shared : result;
            }

            @Override
            public long getDelay(TimeUnit unit) {
                synchronized (ManualTime.this) {
                    return unit.convert(due - nowMillis, TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public int compareTo(Delayed o) {
                return Long.compare(getDelay(TimeUnit.MILLISECONDS), o.getDelay(TimeUnit.MILLISECONDS));
            }

            @Override
            public boolean cancel(boolean mayInterrupt) {
                synchronized (ManualTime.this) {
                    tasks.remove(this);
                }
                return future().cancel(mayInterrupt);
            }

            @Override
            public boolean isCancelled() {
                return future().isCancelled();
            }

            @Override
            public boolean isDone() {
                return future().isDone();
            }

            @Override
            public V get() throws InterruptedException, ExecutionException {
                return future().get();
            }

            @Override
            public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
                return future().get(timeout, unit);
            }
        }

        void advance(long millis) {
            long target;
            synchronized (ManualTime.this) {
                target = nowMillis + millis;
            }
            while (true) {
                Task<?> next;
                synchronized (ManualTime.this) {
                    next = tasks.stream().filter(t -> t.due <= target)
                            .min(Comparator.<Task<?>>comparingLong(t -> t.due).thenComparingLong(t -> t.order))
                            .orElse(null);
                    if (next == null) {
                        nowMillis = target;
                        return;
                    }
                    tasks.remove(next);
                    nowMillis = Math.max(nowMillis, next.due);
                }
                if (!next.future().isCancelled()) {
                    next.run();
                }
            }
        }

        int pending() {
            synchronized (ManualTime.this) {
                return tasks.size();
            }
        }

        List<Duration> requestedDelays() {
            synchronized (ManualTime.this) {
                return List.copyOf(requested);
            }
        }

        private <V> ScheduledFuture<V> add(Callable<V> callable, long delay, TimeUnit unit, long period) {
            Objects.requireNonNull(callable, "task");
            synchronized (ManualTime.this) {
                if (shutdown) {
                    throw new java.util.concurrent.RejectedExecutionException("the manual scheduler was shut down");
                }
                long ms = Math.max(0, unit.toMillis(delay));
                requested.add(Duration.ofMillis(ms));
                Task<V> t = new Task<>(nowMillis + ms, sequence++, callable, period);
                tasks.add(t);
                return t;
            }
        }

        @Override
        public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
            return add(() -> {
                command.run();
                return null;
            }, delay, unit, 0);
        }

        @Override
        public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
            return add(callable, delay, unit, 0);
        }

        @Override
        public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) {
            if (period <= 0) {
                throw new IllegalArgumentException("period must be positive");
            }
            return add(() -> {
                command.run();
                return null;
            }, initialDelay, unit, unit.toMillis(period));
        }

        @Override
        public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) {
            if (delay <= 0) {
                throw new IllegalArgumentException("delay must be positive");
            }
            return add(() -> {
                command.run();
                return null;
            }, initialDelay, unit, -unit.toMillis(delay));
        }

        @Override
        public void execute(Runnable command) {
            schedule(command, 0, TimeUnit.MILLISECONDS);
        }

        @Override
        public void shutdown() {
            synchronized (ManualTime.this) {
                shutdown = true;
            }
        }

        @Override
        public List<Runnable> shutdownNow() {
            synchronized (ManualTime.this) {
                shutdown = true;
                tasks.clear();
            }
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            synchronized (ManualTime.this) {
                return shutdown;
            }
        }

        @Override
        public boolean isTerminated() {
            return isShutdown();
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return isShutdown();
        }
    }
}
