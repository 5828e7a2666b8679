package dev.courier.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the growth scenarios read from the JVM: heap used after a full collection (MemoryMXBean),
 * live threads (ThreadMXBean), a sampler of the heap's peak while a step runs, and step lists
 * from the command line ({@code --sizes 1k,16k,1m}).
 */
public final class Probe {
    private static final MemoryMXBean MEMORY = ManagementFactory.getMemoryMXBean();
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private Probe() {
    }

    /**
     * Heap used after {@code System.gc()}, the lowest of three readings (a reading, not synchronisation:
     * the pauses let a concurrent collector finish).
     *
     * @return bytes of heap in use
     */
    public static long heapAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            MEMORY.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            best = Math.min(best, MEMORY.getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    /** @return heap used now, without a collection */
    public static long heapNow() {
        return MEMORY.getHeapMemoryUsage().getUsed();
    }

    /** @return live threads of this JVM */
    public static int threads() {
        return THREADS.getThreadCount();
    }

    /**
     * Live threads grouped by name with digits removed (e.g. {@code pool--thread-=4}), for seeing what a bus starts.
     *
     * @return counts by name pattern, sorted by name
     */
    public static Map<String, Integer> threadNames() {
        Map<String, Integer> m = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            m.merge(t.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
        }
        return m;
    }

    /**
     * Waits up to {@code millis} for the live thread count to fall to {@code target} or below (threads
     * end asynchronously after a close), polling every 20 ms.
     *
     * @param target the count to reach
     * @param millis how long to wait at most
     * @return the count at the end
     */
    public static int threadsSettle(int target, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        int n = threads();
        while (n > target && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            n = threads();
        }
        return n;
    }

    /** Samples heap used and live threads every few milliseconds on a daemon thread, keeping the maxima. */
    public static final class Peak implements AutoCloseable {
        private final AtomicLong heap = new AtomicLong();
        private final AtomicLong threads = new AtomicLong();
        private final Thread sampler;
        private volatile boolean running = true;

        /** Starts sampling. */
        public Peak() {
            sampler = new Thread(() -> {
                while (running) {
                    heap.accumulateAndGet(heapNow(), Math::max);
                    threads.accumulateAndGet(Probe.threads(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-peak-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        /** @return the highest heap used seen so far, in bytes */
        public long heap() {
            return heap.get();
        }

        /** @return the most live threads seen so far (the sampler included) */
        public long threads() {
            return threads.get();
        }

        @Override
        public void close() {
            running = false;
            sampler.interrupt();
        }
    }

    /**
     * A step list: comma-separated numbers with optional k/m/g suffix (binary for sizes when
     * {@code binary}, decimal otherwise), e.g. {@code 1k,16k,256k,1m} or {@code 10k,1m,10m}.
     *
     * @param text   the option's value
     * @param binary 1k = 1024 when true, 1000 when false
     * @return the steps in the given order
     */
    public static long[] steps(String text, boolean binary) {
        return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .mapToLong(s -> parse(s, binary)).toArray();
    }

    private static long parse(String s, boolean binary) {
        String t = s.toLowerCase(Locale.ROOT).replace("_", "").replace("ib", "").replace("b", "");
        long unit = binary ? 1024 : 1000;
        char last = t.charAt(t.length() - 1);
        long mult = switch (last) {
            case 'k' -> unit;
            case 'm' -> unit * unit;
            case 'g' -> unit * unit * unit;
            default -> 1;
        };
        return Long.parseLong(mult == 1 ? t : t.substring(0, t.length() - 1)) * mult;
    }

    /** @param xs values @return the median (mean of the middle two for an even count), NaN when empty */
    public static double median(List<Double> xs) {
        if (xs.isEmpty()) {
            return Double.NaN;
        }
        double[] c = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
    }

    /**
     * Prints a small aligned table of the rows to stderr (stdout keeps one JSON object per row).
     *
     * @param rows    the rows
     * @param columns the columns to show, in order
     */
    public static void table(List<java.util.Map<String, Object>> rows, String... columns) {
        StringBuilder b = new StringBuilder();
        int[] w = new int[columns.length];
        String[][] cells = new String[rows.size()][columns.length];
        for (int c = 0; c < columns.length; c++) {
            w[c] = columns[c].length();
            for (int r = 0; r < rows.size(); r++) {
                Object v = rows.get(r).get(columns[c]);
                String s = v instanceof Double d ? (Double.isFinite(d) ? String.format(Locale.ROOT, d >= 100 ? "%.0f" : "%.2f", d) : "-")
                        : String.valueOf(v);
                cells[r][c] = s;
                w[c] = Math.max(w[c], s.length());
            }
        }
        for (int c = 0; c < columns.length; c++) {
            b.append(String.format("%" + w[c] + "s  ", columns[c]));
        }
        b.append('\n');
        for (String[] row : cells) {
            for (int c = 0; c < columns.length; c++) {
                b.append(String.format("%" + w[c] + "s  ", row[c]));
            }
            b.append('\n');
        }
        System.err.print(b);
    }
}
