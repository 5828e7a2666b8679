package dev.courier.bench;

import java.lang.management.ManagementFactory;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU time and allocated bytes per live thread between two readings (ThreadMXBean), printed per
 * message: what a side costs on its own threads, a figure that survives a loaded machine better
 * than wall-clock rates. Threads that start after the first reading count from zero; threads that
 * end before the second are not seen (read before closing what runs them).
 */
public final class ThreadCost {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final Map<Long, long[]> start = new HashMap<>();
    private final long gcStart = gcMillis();

    private ThreadCost() {
    }

    /** @return a reading of every live thread now */
    public static ThreadCost start() {
        ThreadCost c = new ThreadCost();
        for (long id : THREADS.getAllThreadIds()) {
            c.start.put(id, new long[] {THREADS.getThreadCpuTime(id), THREADS.getThreadAllocatedBytes(id)});
        }
        return c;
    }

    private static long gcMillis() {
        long t = 0;
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            t += Math.max(0, gc.getCollectionTime());
        }
        return t;
    }

    /**
     * One line per thread that used at least 1 % of the messages' CPU: {@code name cpu µs/msg, alloc B/msg}.
     *
     * @param label    what is measured, e.g. {@code courier}
     * @param messages messages of the run
     * @return the lines, thread names without digits sorted
     */
    public String report(String label, long messages) {
        Map<String, double[]> byName = new TreeMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            var info = THREADS.getThreadInfo(id);
            if (info == null) {
                continue;
            }
            long cpu = THREADS.getThreadCpuTime(id);
            long alloc = THREADS.getThreadAllocatedBytes(id);
            long[] s = start.getOrDefault(id, new long[2]);
            double us = (cpu - s[0]) / 1e3 / messages;
            double b = (alloc - s[1]) / (double) messages;
            if (us >= 0.01) {
                byName.merge(info.getThreadName(), new double[] {us, b}, (x, y) -> new double[] {x[0] + y[0], x[1] + y[1]});
            }
        }
        StringBuilder out = new StringBuilder();
        byName.forEach((n, v) -> out.append(String.format(Locale.ROOT, "  %s %s: cpu %.3f us/msg, alloc %.0f B/msg%n",
                label, n, v[0], v[1])));
        out.append(String.format(Locale.ROOT, "  %s gc: %.3f us/msg (collection time)%n", label,
                (gcMillis() - gcStart) * 1e3 / messages));
        return out.toString();
    }
}
