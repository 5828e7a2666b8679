import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.courier.MessageBus;
import dev.courier.bench.memory.BenchPayload;
import dev.courier.jdbc.JdbcOutbox;
import dev.courier.jdbc.OutboxRelay;
import dev.courier.memory.InMemoryBroker;

import javax.net.SocketFactory;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Round trips and commits per message of the jdbc-outbox workload, per side, counted on the
 * driver's socket (a write followed by a read on one thread is one round trip): writers (business
 * INSERT + outbox INSERT + commit, or business INSERT + commit for "direct") and the relay thread.
 * Also the client CPU per message of the writer threads and of the relay thread.
 *
 * javac -cp benchmarks/target/courier-bench.jar -d /tmp/ort benchmarks/tools/OutboxRoundTrips.java
 * java -cp benchmarks/target/courier-bench.jar:/tmp/ort OutboxRoundTrips postgres|mariadb MESSAGES WRITERS [activeMs]
 */
public final class OutboxRoundTrips {
    static final Map<String, AtomicLong> TRIPS = new ConcurrentHashMap<>();
    static final ThreadLocal<boolean[]> WROTE = ThreadLocal.withInitial(() -> new boolean[1]);

    static String side() {
        String n = Thread.currentThread().getName();
        return n.startsWith("courier-outbox-relay") ? "relay" : n.startsWith("writer") ? "writer" : "other";
    }

    /** A socket factory whose sockets count round trips per side. */
    public static final class Counting extends SocketFactory {
        public Counting() {
        }

        @Override
        public Socket createSocket() {
            return new Socket() {
                @Override
                public InputStream getInputStream() throws IOException {
                    return new FilterInputStream(super.getInputStream()) {
                        private void seen() {
                            boolean[] w = WROTE.get();
                            if (w[0]) {
                                w[0] = false;
                                TRIPS.computeIfAbsent(side(), k -> new AtomicLong()).incrementAndGet();
                            }
                        }

                        @Override
                        public int read() throws IOException {
                            seen();
                            return super.read();
                        }

                        @Override
                        public int read(byte[] b, int off, int len) throws IOException {
                            seen();
                            return super.read(b, off, len);
                        }
                    };
                }

                @Override
                public OutputStream getOutputStream() throws IOException {
                    return new FilterOutputStream(super.getOutputStream()) {
                        @Override
                        public void write(int b) throws IOException {
                            WROTE.get()[0] = true;
                            out.write(b);
                        }

                        @Override
                        public void write(byte[] b, int off, int len) throws IOException {
                            WROTE.get()[0] = true;
                            out.write(b, off, len);
                        }
                    };
                }
            };
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket s = createSocket();
            s.connect(new java.net.InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return createSocket(host.getHostAddress(), port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return createSocket(address.getHostAddress(), port);
        }
    }

    public static void main(String[] args) throws Exception {
        String db = args[0];
        int messages = Integer.parseInt(args[1]);
        int writers = Integer.parseInt(args[2]);
        int activeMs = args.length > 3 ? Integer.parseInt(args[3]) : 10;
        String url = db.startsWith("maria")
                ? "jdbc:mariadb://127.0.0.1:3306/test?user=root&password=&socketFactory=OutboxRoundTrips$Counting"
                : "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&ApplicationName=ort&socketFactory=OutboxRoundTrips$Counting";
        for (boolean viaOutbox : new boolean[] {false, true, false, true}) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(url);
            config.setMaximumPoolSize(16);
            String[] tables;
            try (HikariDataSource ds = new HikariDataSource(config)) {
                tables = run(ds, db, messages, writers, activeMs, viaOutbox);
            }
            System.out.printf("{\"db\":\"%s\",\"side\":\"%s\",\"outbox_table_buffers_per_msg\":%.1f}%n", db,
                    viaOutbox ? "outbox" : "direct", buffersPerMessage(url, tables[1], messages));
            try (Connection c = java.sql.DriverManager.getConnection(url.replaceAll("&socketFactory=[^&]*", ""));
                 Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS " + tables[0]);
                st.execute("DROP TABLE IF EXISTS " + tables[1]);
            }
        }
    }

    /**
     * PostgreSQL: shared buffers the run touched in the outbox table and its indexes, per message
     * (pg_statio_user_tables; read after the run's backends exited, which flushes their counters).
     */
    static double buffersPerMessage(String url, String table, int messages) throws Exception {
        if (!url.startsWith("jdbc:postgresql")) {
            return 0;
        }
        String plain = url.replaceAll("&socketFactory=[^&]*", "");
        for (int attempt = 0; attempt < 20; attempt++) {
            try (Connection c = java.sql.DriverManager.getConnection(plain);
                 PreparedStatement ps = c.prepareStatement("SELECT (SELECT count(*) FROM pg_stat_activity WHERE application_name = 'ort' AND pid <> pg_backend_pid()),"
                         + " coalesce(heap_blks_hit, 0) + coalesce(heap_blks_read, 0) + coalesce(idx_blks_hit, 0)"
                         + " + coalesce(idx_blks_read, 0) FROM pg_statio_user_tables WHERE relname = ?")) {
                ps.setString(1, table);
                try (var rs = ps.executeQuery()) {
                    if (rs.next() && rs.getLong(1) == 0) {
                        return rs.getLong(2) / (double) messages;
                    }
                }
            }
            Thread.sleep(250); // the run's backends are still exiting
        }
        return -1;
    }

    static String[] run(HikariDataSource ds, String db, int messages, int writers, int activeMs, boolean viaOutbox) throws Exception {
        String prefix = "ort" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
        String biz = prefix + "_biz";
        String table = prefix + "_outbox";
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + biz + " (" + (db.startsWith("maria") ? "id BIGINT AUTO_INCREMENT PRIMARY KEY"
                    : "id BIGSERIAL PRIMARY KEY") + ", message_id VARCHAR(64) NOT NULL, n BIGINT NOT NULL)");
        }
        InMemoryBroker broker = InMemoryBroker.create(65_536, 1_000);
        CountDownLatch all = new CountDownLatch(messages);
        var threads = ManagementFactory.getThreadMXBean();
        Map<String, Long> cpu = new ConcurrentHashMap<>();
        try (MessageBus sink = MessageBus.builder("ort-sink").transport(broker.connect()).concurrency(1).prefetch(1024)
                .onEvent(BenchPayload.class, (p, ctx) -> all.countDown()).build().start();
             MessageBus pub = MessageBus.builder("ort-pub").transport(broker.connect()).produces(BenchPayload.class)
                     .build().start()) {
            JdbcOutbox outbox = JdbcOutbox.builder(ds, pub).table(table).build().createSchema();
            TRIPS.clear();
            OutboxRelay relay = viaOutbox ? outbox.relay().activePollInterval(Duration.ofMillis(activeMs)).start() : null;
            AtomicLong relayCpu = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(writers, r -> new Thread(r, "writer"));
            long server0 = serverCpuMicros(db);
            long t0 = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                done.add(pool.submit(() -> {
                    long c0 = threads.getCurrentThreadCpuTime();
                    for (int i = writer; i < messages; i += writers) {
                        BenchPayload p = BenchPayload.of(i);
                        try (Connection c = ds.getConnection()) {
                            c.setAutoCommit(false);
                            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + biz + " (message_id, n) VALUES (?, ?)")) {
                                ps.setString(1, "m" + i);
                                ps.setLong(2, i);
                                ps.executeUpdate();
                            }
                            if (viaOutbox) {
                                outbox.publish(c, p);
                            }
                            c.commit();
                        }
                        if (!viaOutbox) {
                            pub.publish(p).get(30, TimeUnit.SECONDS);
                        }
                    }
                    cpu.merge("writer", threads.getCurrentThreadCpuTime() - c0, Long::sum);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(10, TimeUnit.MINUTES);
            }
            boolean ok = all.await(5, TimeUnit.MINUTES);
            long took = System.nanoTime() - t0;
            long serverCpu = serverCpuMicros(db) - server0;
            if (relay != null) {
                for (Thread t : Thread.getAllStackTraces().keySet()) {
                    if (t.getName().startsWith("courier-outbox-relay")) {
                        relayCpu.set(threads.getThreadCpuTime(t.getId()));
                    }
                }
                relay.close();
            }
            pool.shutdownNow();
            long relayCommits;
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT COUNT(DISTINCT sent_at) FROM " + table)) {
                rs.next();
                relayCommits = viaOutbox ? rs.getLong(1) : 0; // one sent_at per mark transaction
            }
            System.out.printf("{\"db\":\"%s\",\"side\":\"%s\",\"messages\":%d,\"writers\":%d,\"active_ms\":%d,\"all_arrived\":%b,"
                            + "\"msgs_per_s\":%.0f,\"writer_trips_per_msg\":%.3f,\"relay_trips_per_msg\":%.3f,"
                            + "\"relay_batches_approx\":%d,\"msgs_per_relay_batch\":%.1f,\"relay_trips_per_batch\":%.2f,"
                            + "\"writer_cpu_us_per_msg\":%.1f,\"relay_cpu_us_per_msg\":%.1f,\"server_cpu_us_per_msg\":%.1f}%n",
                    db, viaOutbox ? "outbox" : "direct", messages, writers, activeMs, ok, messages / (took / 1e9),
                    trips("writer") / (double) messages, trips("relay") / (double) messages, relayCommits,
                    relayCommits == 0 ? 0 : messages / (double) relayCommits,
                    relayCommits == 0 ? 0 : trips("relay") / (double) relayCommits,
                    cpu.getOrDefault("writer", 0L) / 1e3 / messages, relayCpu.get() / 1e3 / messages,
                    serverCpu / (double) messages);
        }
        return new String[] {biz, table};
    }

    /** CPU time (µs) of the database server's processes so far, from /proc (0 where there is no /proc). */
    static long serverCpuMicros(String db) {
        String comm = db.startsWith("maria") ? "mariadbd" : "postgres";
        long ticks = 0;
        java.io.File[] procs = new java.io.File("/proc").listFiles((d, n) -> n.chars().allMatch(Character::isDigit));
        if (procs == null) {
            return 0;
        }
        for (java.io.File p : procs) {
            try {
                String stat = java.nio.file.Files.readString(p.toPath().resolve("stat"));
                int open = stat.indexOf('('), close = stat.lastIndexOf(')');
                String name = stat.substring(open + 1, close);
                if (!name.startsWith(comm)) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime
            } catch (IOException | RuntimeException gone) {
                // the process ended meanwhile
            }
        }
        return ticks * 10_000; // USER_HZ = 100
    }

    static long trips(String side) {
        AtomicLong n = TRIPS.get(side);
        return n == null ? 0 : n.get();
    }
}
