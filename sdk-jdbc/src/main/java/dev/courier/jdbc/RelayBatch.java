package dev.courier.jdbc;

import dev.courier.internal.BusCore;
import dev.courier.spi.Address;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One relay batch, in one transaction at READ COMMITTED:
 * <ol>
 *   <li>lock up to {@code batchSize} ready rows in id order, skipping rows other relays hold
 *       ({@code FOR UPDATE SKIP LOCKED}) and rows queued behind an earlier row of their key that
 *       waits for a retry;</li>
 *   <li>drop rows whose key has an earlier pending row this batch does not hold (another relay
 *       is on it, or it is not ready): they go in a later batch, after it;</li>
 *   <li>publish: rows of one key one after another, each only after the previous one's confirm;
 *       rows without a key and different keys at once; a failure stops its key;</li>
 *   <li>mark confirmed rows sent; give a failed row its error and a retry time; commit.</li>
 * </ol>
 * A crash between publish and commit leaves rows pending: they are published again, and the
 * receivers' inbox drops the copy (same message id). Internal.
 */
final class RelayBatch {
    /** What one batch did. */
    record Outcome(int selected, int sent, int failed) {
    }

    private record Row(long id, String key, Address to, String headers, byte[] body, int attempts) {
    }

    private final JdbcOutbox outbox;
    private final String select;
    private final String markSentPrefix;
    private final String markFailed;
    private final OutboxRelay.Builder config;

    RelayBatch(JdbcOutbox outbox, OutboxRelay.Builder config) {
        this.outbox = outbox;
        this.config = config;
        Dialect d = outbox.dialect();
        String t = outbox.table();
        this.select = "SELECT o.id, o.aggregate_key, o.address_kind, o.address_name, o.address_group, o.headers, o.body,"
                + " o.attempts FROM " + t + " o WHERE o.sent_at IS NULL"
                + " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= " + d.now() + ")"
                // an OR, not a bare NOT EXISTS: a per-row index probe, never an anti-join over the table
                + " AND (o.aggregate_key IS NULL OR NOT EXISTS (SELECT 1 FROM " + t + " p"
                + " WHERE p.aggregate_key = o.aggregate_key AND p.sent_at IS NULL AND p.id < o.id"
                + " AND p.next_attempt_at > " + d.now() + "))"
                + " ORDER BY o.id LIMIT ? FOR UPDATE" + (d.skipLocked() ? " SKIP LOCKED" : "");
        this.markSentPrefix = "UPDATE " + t + " SET sent_at = " + d.now()
                + ", attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL WHERE id IN (";
        this.markFailed = "UPDATE " + t + " SET attempts = attempts + 1, last_error = ?, next_attempt_at = "
                + d.nowPlusMillisParam() + " WHERE id = ?";
    }

    Outcome run(Connection c) throws SQLException {
        List<Row> rows = select(c);
        if (rows.isEmpty()) {
            return new Outcome(0, 0, 0);
        }
        Map<String, Long> foreign = foreignHeads(c, rows);
        Map<Object, List<Row>> lanes = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.key == null) {
                lanes.put(r.id, List.of(r));
            } else {
                Long head = foreign.get(r.key);
                if (head == null || r.id < head) {
                    lanes.computeIfAbsent(r.key, k -> new ArrayList<>()).add(r);
                }
            }
        }
        Map<Long, Throwable> failures = new HashMap<>();
        List<Long> sent = new ArrayList<>();
        publish(lanes, sent, failures);
        markSent(c, sent);
        String first = null;
        for (Map.Entry<Long, Throwable> f : failures.entrySet()) {
            Row row = rows.stream().filter(r -> r.id == f.getKey()).findFirst().orElseThrow();
            String what = markFailed(c, row, f.getValue());
            first = first == null ? what : first;
        }
        if (first != null) {
            OutboxRelay.log.warn("outbox {}: {} row(s) failed to publish and are retried with backoff; first: {}",
                    outbox.table(), failures.size(), first);
        }
        return new Outcome(rows.size(), sent.size(), failures.size());
    }

    private List<Row> select(Connection c) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(select)) {
            ps.setInt(1, config.batchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Address to = new Address(Address.Kind.valueOf(rs.getString(3)), rs.getString(4), rs.getString(5));
                    rows.add(new Row(rs.getLong(1), rs.getString(2), to, rs.getString(6), rs.getBytes(7), rs.getInt(8)));
                }
            }
        }
        return rows;
    }

    /** For each key in the batch, the smallest pending id of that key the batch does not hold. */
    private Map<String, Long> foreignHeads(Connection c, List<Row> rows) throws SQLException {
        List<String> keys = rows.stream().map(Row::key).filter(k -> k != null).distinct().toList();
        if (keys.isEmpty()) {
            return Map.of();
        }
        long maxId = rows.get(rows.size() - 1).id;
        String sql = "SELECT aggregate_key, MIN(id) FROM " + outbox.table() + " WHERE sent_at IS NULL AND id < ?"
                + " AND aggregate_key IN (" + Jdbc.params(keys.size()) + ") AND id NOT IN (" + Jdbc.params(rows.size())
                + ") GROUP BY aggregate_key";
        Map<String, Long> heads = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setLong(i++, maxId);
            for (String k : keys) {
                ps.setString(i++, k);
            }
            for (Row r : rows) {
                ps.setLong(i++, r.id);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    heads.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return heads;
    }

    private void publish(Map<Object, List<Row>> lanes, List<Long> sent, Map<Long, Throwable> failures) {
        BusCore core = outbox.core();
        List<CompletableFuture<Void>> all = new ArrayList<>(lanes.size());
        for (List<Row> lane : lanes.values()) {
            all.add(sendInOrder(core, lane, 0, sent, failures));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]))
                    .get(config.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // rows without a confirm stay pending; sendInOrder recorded what failed
        }
    }

    private CompletableFuture<Void> sendInOrder(BusCore core, List<Row> lane, int i, List<Long> sent,
                                                Map<Long, Throwable> failures) {
        if (i == lane.size()) {
            return CompletableFuture.completedFuture(null);
        }
        Row r = lane.get(i);
        CompletableFuture<Void> f;
        try {
            f = core.sendPrepared(r.to, HeadersJson.read(r.headers), r.body);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((x, e) -> {
            if (e != null) {
                synchronized (failures) {
                    failures.put(r.id, e);
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            synchronized (sent) {
                sent.add(r.id);
            }
            return sendInOrder(core, lane, i + 1, sent, failures);
        }).thenCompose(x -> x);
    }

    private void markSent(Connection c, List<Long> sent) throws SQLException {
        List<Long> ids;
        synchronized (sent) {
            ids = List.copyOf(sent);
        }
        if (ids.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(markSentPrefix + Jdbc.params(ids.size()) + ")")) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setLong(i + 1, ids.get(i));
            }
            ps.executeUpdate();
        }
    }

    /** Records the failure on the row; returns a description for the log. */
    private String markFailed(Connection c, Row row, Throwable error) throws SQLException {
        Throwable cause = error;
        while (cause.getCause() != null && (cause instanceof java.util.concurrent.CompletionException)) {
            cause = cause.getCause();
        }
        String text = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        long backoff = Math.min(config.maxRetryBackoff.toMillis(),
                config.retryBackoff.toMillis() << Math.min(20, row.attempts));
        try (PreparedStatement ps = c.prepareStatement(markFailed)) {
            ps.setString(1, text.length() > 1000 ? text.substring(0, 1000) : text);
            ps.setLong(2, backoff);
            ps.setLong(3, row.id);
            ps.executeUpdate();
        }
        String what = "row " + row.id + " (attempt " + (row.attempts + 1) + ") to " + row.to + ", retried in " + backoff
                + " ms: " + text;
        OutboxRelay.log.debug("outbox {}: {}", outbox.table(), what);
        return what;
    }
}
