package dev.courier.amqp;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The 3-node RabbitMQ cluster of {@code .ci/rabbitmq-cluster.sh} (nodes {@code courier-c1..c3@localhost} on AMQP
 * ports 5691-5693), driven from tests: start, stop, and the faults (kill, pause, resume, restart a node) — always
 * by the pids the script started, never touching the machine's own node on 5672. A file lock
 * ({@code /tmp/courier-cluster.lock}) keeps two JVMs on one machine from driving the cluster at once.
 */
final class RabbitCluster implements AutoCloseable {
    static final int FIRST_PORT = 5691;
    private static final Path LOCK = Path.of(System.getProperty("java.io.tmpdir"), "courier-cluster.lock");

    private final Path script;
    private final FileChannel lockChannel;
    private final FileLock lock;

    private RabbitCluster(Path script, FileChannel lockChannel, FileLock lock) {
        this.script = script;
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /** {@code .ci/rabbitmq-cluster.sh} of this checkout, or null when it is not found above the working directory. */
    static Path script() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path s = d.resolve(".ci/rabbitmq-cluster.sh");
            if (Files.isRegularFile(s)) {
                return s;
            }
        }
        return null;
    }

    /** True when {@code tool} is an executable on the PATH. */
    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Why the cluster cannot be started here, or null when it can. */
    static String whyNot() {
        if (script() == null) {
            return "no .ci/rabbitmq-cluster.sh above " + Path.of("").toAbsolutePath();
        }
        if (!onPath("rabbitmq-server") || !onPath("rabbitmqctl") || !onPath("bash")) {
            return "the cluster fault tests need rabbitmq-server and rabbitmqctl on the PATH"
                    + " (apt-get install rabbitmq-server); they start 3 extra nodes on 5691-5693";
        }
        return null;
    }

    /** Takes the machine-wide lock (waiting for another JVM's run to end), then starts a fresh cluster. */
    static RabbitCluster start() throws IOException, InterruptedException {
        FileChannel ch = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock l = ch.lock();
        RabbitCluster c = new RabbitCluster(script(), ch, l);
        try {
            c.run(600, "start");
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** The address list of the three nodes with these URI parameters ({@code queueType=quorum&...}). */
    static String uri(String query) {
        return uri(new int[] {1, 2, 3}, query);
    }

    /** The address list of the nodes in this order (a client tries them in order on every (re)connect). */
    static String uri(int[] order, String query) {
        StringBuilder b = new StringBuilder("amqp://guest:guest@");
        for (int i = 0; i < order.length; i++) {
            b.append(i == 0 ? "" : ",").append("127.0.0.1:").append(FIRST_PORT + order[i] - 1);
        }
        return b.append("/?").append(query).toString();
    }

    static String nodeName(int n) {
        return "courier-c" + n + "@localhost";
    }

    void kill(int node) {
        run(60, "kill", Integer.toString(node));
    }

    void pause(int node) {
        run(60, "pause", Integer.toString(node));
    }

    void resume(int node) {
        run(60, "resume", Integer.toString(node));
    }

    /** Stops node {@code n} if it runs, starts it, and returns once the cluster has three running nodes again. */
    void restart(int node) {
        run(400, "restart", Integer.toString(node));
    }

    /**
     * The node (1-3) leading the quorum queue {@code queue}, asked of the live nodes in turn
     * ({@code rabbitmqctl -n courier-cN@localhost list_queues name type leader}).
     */
    int leaderOf(String queue) {
        for (int n = 1; n <= 3; n++) {
            String out = exec(60, List.of("rabbitmqctl", "-q", "-n", nodeName(n), "list_queues", "name", "type", "leader",
                    "--no-table-headers"));
            if (out == null) {
                continue;
            }
            for (String line : out.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 3 && f[0].equals(queue)) {
                    for (int m = 1; m <= 3; m++) {
                        if (f[2].equals(nodeName(m))) {
                            return m;
                        }
                    }
                }
            }
        }
        throw new AssertionError("no live node names a leader for quorum queue " + queue);
    }

    /**
     * The cluster as a live node sees it, for failure messages: queues (name, type, leader, messages, consumers),
     * connections (name, state) and channels (connection, confirm mode, unconfirmed, unacked).
     */
    String queues() {
        for (int n = 1; n <= 3; n++) {
            String q = exec(60, List.of("rabbitmqctl", "-q", "-n", nodeName(n), "list_queues", "name", "type", "leader",
                    "messages", "consumers", "--no-table-headers"));
            if (q != null) {
                String c = exec(60, List.of("rabbitmqctl", "-q", "-n", nodeName(n), "list_connections", "name", "state",
                        "--no-table-headers"));
                String ch = exec(60, List.of("rabbitmqctl", "-q", "-n", nodeName(n), "list_channels", "name", "confirm",
                        "messages_unconfirmed", "messages_unacknowledged", "--no-table-headers"));
                return "queues (name type leader messages consumers) as " + nodeName(n) + " sees them:\n" + q
                        + "connections (name state):\n" + c + "channels (name confirm unconfirmed unacked):\n" + ch;
            }
        }
        return "(no node answered)";
    }

    /** Runs the script; fails with its output when it exits non-zero or overruns. */
    private String run(int timeoutSeconds, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(List.of(args));
        String out = exec(timeoutSeconds, cmd);
        if (out == null) {
            throw new AssertionError("rabbitmq-cluster.sh " + String.join(" ", args) + " failed: " + lastOutput);
        }
        return out;
    }

    private volatile String lastOutput = "";

    /** The command's output when it exited 0 within the timeout, else null (the output kept in lastOutput). */
    private String exec(int timeoutSeconds, List<String> cmd) {
        try {
            Path out = Files.createTempFile("courier-cluster", ".out");
            try {
                Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
                boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
                if (!done) {
                    p.destroyForcibly();
                }
                lastOutput = Files.readString(out, StandardCharsets.UTF_8);
                return done && p.exitValue() == 0 ? lastOutput : null;
            } finally {
                Files.deleteIfExists(out);
            }
        } catch (IOException e) {
            lastOutput = e.toString();
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            lastOutput = "interrupted";
            return null;
        }
    }

    /** Stops the three nodes by their pids (resuming a paused one first) and releases the lock. */
    @Override
    public void close() {
        try {
            exec(300, List.of("bash", script.toString(), "stop"));
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException ignored) {
                // the lock goes with the process anyway
            }
        }
    }
}
