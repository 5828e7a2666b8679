package dev.courier.bench.mqtt;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * CPU and allocation of one measured pass, read before and after it: the JVM's process CPU time
 * (OperatingSystemMXBean), each live thread's CPU time and allocated bytes (ThreadMXBean) grouped by
 * thread name (digits replaced by #, so "courier-mqtt-sub-v#.bench.measured-#" or
 * "com.hivemq.client.mqtt-#-#"), and the broker process's CPU time from /proc/&lt;pid&gt;/stat.
 * Figures that survive a loaded machine: CPU µs per message does not depend on how long a pass
 * waited for a core. A thread that ends during the pass keeps its time in the process total only.
 */
final class CpuMeter {
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    /** What one pass cost, per message. */
    record Cost(double processUs, double brokerUs, double allocBytes, Map<String, Double> threadsUs) {
        String describe() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "cpu %.1f µs/msg (broker %.1f), alloc %.0f B/msg;",
                    processUs, brokerUs, allocBytes));
            threadsUs.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed()).limit(6)
                    .forEach(e -> b.append(String.format(Locale.ROOT, " %s %.1f", e.getKey(), e.getValue())));
            return b.toString();
        }
    }

    private final long brokerPid;
    private long process0;
    private long broker0;
    private Map<Long, long[]> threads0;

    /** @param brokerPid the broker's pid, or ≤ 0 when unknown (no broker figure) */
    CpuMeter(long brokerPid) {
        this.brokerPid = brokerPid;
        THREADS.setThreadCpuTimeEnabled(true);
        THREADS.setThreadAllocatedMemoryEnabled(true);
    }

    void start() {
        threads0 = threads();
        broker0 = brokerNanos();
        process0 = OS.getProcessCpuTime();
    }

    Cost stop(long messages) {
        long process = OS.getProcessCpuTime() - process0;
        long broker = brokerNanos() - broker0;
        Map<Long, long[]> now = threads();
        Map<String, Double> groups = new TreeMap<>();
        long alloc = 0;
        for (Map.Entry<Long, long[]> e : now.entrySet()) {
            long[] before = threads0.getOrDefault(e.getKey(), new long[] {0, 0});
            long cpu = e.getValue()[0] - before[0];
            alloc += e.getValue()[1] - before[1];
            String name = THREADS.getThreadInfo(e.getKey()) == null ? "gone" : THREADS.getThreadInfo(e.getKey()).getThreadName();
            groups.merge(group(name), cpu / 1e3 / messages, Double::sum);
        }
        groups.values().removeIf(v -> v < 0.05);
        return new Cost(process / 1e3 / messages, brokerPid > 0 ? broker / 1e3 / messages : Double.NaN,
                (double) alloc / messages, groups);
    }

    private String group(String name) {
        return name.replaceAll("[0-9]+", "#");
    }

    private static Map<Long, long[]> threads() {
        long[] ids = THREADS.getAllThreadIds();
        long[] cpu = THREADS.getThreadCpuTime(ids);
        long[] alloc = THREADS.getThreadAllocatedBytes(ids);
        Map<Long, long[]> m = new HashMap<>();
        for (int i = 0; i < ids.length; i++) {
            if (cpu[i] >= 0) {
                m.put(ids[i], new long[] {cpu[i], Math.max(0, alloc[i])});
            }
        }
        return m;
    }

    private long brokerNanos() {
        if (brokerPid <= 0) {
            return 0;
        }
        try {
            String stat = Files.readString(Path.of("/proc/" + brokerPid + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields 14 and 15 (utime, stime) in clock ticks; after the comm field they are at 11 and 12
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000_000L; // USER_HZ 100
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * The pid of the process listening on 127.0.0.1/0.0.0.0:{@code port} (found through /proc/net/tcp
     * and the processes' socket descriptors), or -1 (not Linux, or not permitted).
     */
    static long listenerPid(int port) {
        try {
            String hexPort = String.format(Locale.ROOT, ":%04X", port);
            String inode = null;
            for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].endsWith(hexPort) && f[3].equals("0A")) {
                    inode = f[9];
                    break;
                }
            }
            if (inode == null) {
                return -1;
            }
            String target = "socket:[" + inode + "]";
            try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
                for (Path p : procs) {
                    try (DirectoryStream<Path> fds = Files.newDirectoryStream(p.resolve("fd"))) {
                        for (Path fd : fds) {
                            try {
                                if (Files.readSymbolicLink(fd).toString().equals(target)) {
                                    return Long.parseLong(p.getFileName().toString());
                                }
                            } catch (IOException e) {
                                // gone or not permitted
                            }
                        }
                    } catch (IOException | SecurityException e) {
                        // not permitted
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
