package dev.courier.jdbc;

import dev.courier.NonRetryableException;
import dev.courier.MessageBus;
import dev.courier.PreparedMessage;
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
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One relay batch, in one transaction at READ COMMITTED:
 * <ol>
 *   <li>lock up to {@code batchSize} ready rows in id order, skipping rows other relays hold
 *       ({@code FOR UPDATE SKIP LOCKED}), failed rows, and rows queued behind an earlier row of
 *       their key that waits for a retry;</li>
 *   <li>drop rows whose key has an earlier pending row this batch does not hold (another relay
 *       is on it, or it is not ready): they go in a later batch, after it;</li>
 *   <li>read each row; a row that cannot be read or breaks a limit fails at once (it can never be
 *       published) and the rows behind it in its key go on;</li>
 *   <li>publish: rows of one key one after another, each only after the previous one's confirm;
 *       rows without a key and different keys at once; a failure stops its key for this batch;</li>
 *   <li>mark confirmed rows sent; give a failed row its error and either a jittered retry time or,
 *       after {@code maxAttempts} (or at once for a {@link NonRetryableException}), the terminal
 *       {@code failed} state, which no longer holds its key back; commit.</li>
 * </ol>
 * A crash between publish and commit leaves rows pending: they are published again, and the
 * receivers' inbox drops the copy (same message id). Internal.
 */
final class RelayBatch {
    /** What one batch did; {@code gaveUp} rows reached the failed state. */
    record Outcome(int selected, int sent, int failed, int gaveUp) {
    }

    private record Row(long id, String key, String kind, String name, String group, String headers, byte[] body,
                       int attempts, String messageId, String messageType) {
        String describe() {
            return "row " + id + " (" + messageType + " " + StoredId.show(messageId) + (key == null ? "" : ", key "
                    + StoredId.show(key)) + ")";
        }
    }

    /** A row read and checked, ready to publish. */
    private record Ready(Row row, Address to, Map<String, String> headers) {
    }

    private final JdbcOutbox outbox;
    private final String select;
    private final String markSentPrefix;
    /** PostgreSQL: one statement for every batch size ({@code id = ANY(?)}), so the driver prepares it once. */
    private final String markSentArray;
    private final String markRetry;
    private final String markGaveUp;
    private final OutboxRelay.Builder config;
    private final RelayBackoff backoff;

    RelayBatch(JdbcOutbox outbox, OutboxRelay.Builder config) {
        this.outbox = outbox;
        this.config = config;
        this.backoff = new RelayBackoff(config.retryBackoff, config.maxRetryBackoff);
        Dialect d = outbox.dialect();
        String t = outbox.table();
        this.select = "SELECT o.id, o.aggregate_key, o.address_kind, o.address_name, o.address_group, o.headers, o.body,"
                + " o.attempts, o.message_id, o.message_type FROM " + t + " o WHERE o.sent_at IS NULL AND o.failed_at IS NULL"
                + " AND (o.next_attempt_at IS NULL OR o.next_attempt_at <= " + d.now() + ")"
                // an OR, not a bare NOT EXISTS: a per-row index probe, never an anti-join over the table
                + " AND (o.aggregate_key IS NULL OR NOT EXISTS (SELECT 1 FROM " + t + " p"
                + " WHERE p.aggregate_key = o.aggregate_key AND p.sent_at IS NULL AND p.failed_at IS NULL AND p.id < o.id"
                + " AND p.next_attempt_at > " + d.now() + "))"
                + " ORDER BY o.id LIMIT ? FOR UPDATE" + (d.skipLocked() ? " SKIP LOCKED" : "");
        this.markSentPrefix = "UPDATE " + t + " SET sent_at = " + d.now()
                + ", attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL WHERE id IN (";
        this.markSentArray = d.idArrays() ? "UPDATE " + t + " SET sent_at = " + d.now()
                + ", attempts = attempts + 1, next_attempt_at = NULL, last_error = NULL WHERE id = ANY(?)" : null;
        this.markRetry = "UPDATE " + t + " SET attempts = attempts + 1, last_error = ?, next_attempt_at = "
                + d.nowPlusMillisParam() + " WHERE id = ?";
        this.markGaveUp = "UPDATE " + t + " SET attempts = attempts + 1, last_error = ?, next_attempt_at = NULL,"
                + " failed_at = " + d.now() + " WHERE id = ?";
    }

    Outcome run(Connection c) throws SQLException {
        List<Row> rows = select(c);
        if (rows.isEmpty()) {
            return new Outcome(0, 0, 0, 0);
        }
        Map<String, Long> foreign = foreignHeads(c, rows);
        Map<Object, List<Ready>> lanes = new LinkedHashMap<>();
        Map<Row, Throwable> failures = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.key != null) {
                Long head = foreign.get(r.key);
                if (head != null && r.id > head) {
                    continue; // behind a row of its key this batch does not hold
                }
            }
            try {
                lanes.computeIfAbsent(r.key != null ? r.key : r.id, k -> new ArrayList<>()).add(read(r));
            } catch (RuntimeException unreadable) {
                failures.put(r, new NonRetryableException(unreadable.getMessage(), unreadable));
            }
        }
        List<Long> sent = new ArrayList<>();
        publish(lanes, sent, failures); // no callback touches sent or failures after this returns
        markSent(c, sent);
        String firstRetried = null;
        int gaveUp = 0;
        for (Map.Entry<Row, Throwable> f : failures.entrySet()) {
            String retried = markFailed(c, f.getKey(), f.getValue());
            if (retried == null) {
                gaveUp++;
            } else if (firstRetried == null) {
                firstRetried = retried;
            }
        }
        if (firstRetried != null) {
            OutboxRelay.log.warn("outbox {}: {} row(s) failed to publish and are retried with backoff; first: {}",
                    outbox.table(), failures.size() - gaveUp, firstRetried);
        }
        return new Outcome(rows.size(), sent.size(), failures.size(), gaveUp);
    }

    private List<Row> select(Connection c) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(select)) {
            ps.setInt(1, config.batchSize);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                            rs.getString(6), rs.getBytes(7), rs.getInt(8), rs.getString(9), rs.getString(10)));
                }
            }
        }
        return rows;
    }

    /** The row as the transport takes it; throws when it cannot be read or breaks a limit. */
    private static Ready read(Row r) {
        Address.Kind kind;
        try {
            kind = Address.Kind.valueOf(String.valueOf(r.kind));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the row cannot be read: address_kind '" + r.kind + "' is none of "
                    + java.util.Arrays.toString(Address.Kind.values()));
        }
        Map<String, String> headers = HeadersJson.read(r.headers);
        if (r.body == null) {
            throw new IllegalArgumentException("the row cannot be read: its body is NULL");
        }
        OutboxLimits.COURIER.check(r::describe, headers, r.body);
        return new Ready(r, new Address(kind, r.name, r.group), headers);
    }

    /** For each key in the batch, the smallest pending id of that key the batch does not hold. */
    private Map<String, Long> foreignHeads(Connection c, List<Row> rows) throws SQLException {
        List<String> keys = rows.stream().map(Row::key).filter(k -> k != null).distinct().toList();
        if (keys.isEmpty()) {
            return Map.of();
        }
        long maxId = rows.get(rows.size() - 1).id;
        String sql = "SELECT aggregate_key, MIN(id) FROM " + outbox.table() + " WHERE sent_at IS NULL AND failed_at IS NULL"
                + " AND id < ? AND aggregate_key IN (" + Jdbc.params(keys.size()) + ") AND id NOT IN ("
                + Jdbc.params(rows.size()) + ") GROUP BY aggregate_key";
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

    /**
     * Publishes the lanes and waits up to the publish timeout. Afterwards nothing more is sent from
     * this batch: a row still without a confirm counts as a failed attempt (it is published again
     * later, with the same id), and the rows behind it wait for a later batch.
     */
    private void publish(Map<Object, List<Ready>> lanes, List<Long> sent, Map<Row, Throwable> failures) {
        MessageBus bus = outbox.bus();
        Set<Row> inFlight = ConcurrentHashMap.newKeySet();
        AtomicBoolean over = new AtomicBoolean();
        List<CompletableFuture<Void>> all = new ArrayList<>(lanes.size());
        for (List<Ready> lane : lanes.values()) {
            all.add(sendInOrder(bus, lane, 0, sent, failures, inFlight, over));
        }
        try {
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]))
                    .get(config.publishTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // recorded per row below
        }
        synchronized (failures) {
            over.set(true);
            for (Row r : inFlight) {
                failures.putIfAbsent(r, new TimeoutException("no confirm within the relay's publishTimeout ("
                        + config.publishTimeout + ")"));
            }
        }
    }

    private CompletableFuture<Void> sendInOrder(MessageBus bus, List<Ready> lane, int i, List<Long> sent,
                                                Map<Row, Throwable> failures, Set<Row> inFlight, AtomicBoolean over) {
        if (i == lane.size() || over.get()) {
            return CompletableFuture.completedFuture(null);
        }
        Ready r = lane.get(i);
        inFlight.add(r.row);
        CompletableFuture<Void> f;
        try {
            f = bus.sendPrepared(PreparedMessage.of(r.to, r.headers, r.row.body));
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((x, e) -> {
            synchronized (failures) {
                if (over.get()) {
                    return CompletableFuture.<Void>completedFuture(null); // too late: this batch is being recorded
                }
                inFlight.remove(r.row);
                if (e != null) {
                    failures.put(r.row, e);
                    return CompletableFuture.<Void>completedFuture(null);
                }
                synchronized (sent) {
                    sent.add(r.row.id);
                }
            }
            return sendInOrder(bus, lane, i + 1, sent, failures, inFlight, over);
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
        if (markSentArray != null) {
            try (PreparedStatement ps = c.prepareStatement(markSentArray)) {
                ps.setArray(1, c.createArrayOf("bigint", ids.toArray()));
                ps.executeUpdate();
            }
            return;
        }
        try (PreparedStatement ps = c.prepareStatement(markSentPrefix + Jdbc.params(ids.size()) + ")")) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setLong(i + 1, ids.get(i));
            }
            ps.executeUpdate();
        }
    }

    /**
     * Records the failure on the row: a retry time, or the failed state when retrying cannot help
     * or the attempts are used up. Returns a description for the WARN line, or null when it gave up.
     */
    private String markFailed(Connection c, Row row, Throwable error) throws SQLException {
        Throwable cause = error;
        while (cause.getCause() != null && cause instanceof CompletionException) {
            cause = cause.getCause();
        }
        String text = storable(cause.getClass().getSimpleName() + ": " + cause.getMessage());
        int attempt = row.attempts + 1;
        boolean hopeless = cause instanceof NonRetryableException || cause instanceof dev.courier.LimitExceededException
                || cause instanceof dev.courier.CodecException;
        if (hopeless || attempt >= config.maxAttempts) {
            try (PreparedStatement ps = c.prepareStatement(markGaveUp)) {
                ps.setString(1, text);
                ps.setLong(2, row.id);
                ps.executeUpdate();
            }
            OutboxRelay.log.error("outbox {}: {} failed for good after {} attempt(s){}: {}. It stays in the table"
                            + " (failed_at set) until outbox.retry({}) or discard({}); the rows behind it in its key are"
                            + " published without it", outbox.table(), row.describe(), attempt,
                    hopeless ? " (retrying cannot help)" : "", text, row.id, row.id);
            return null;
        }
        long delay = backoff.delayMillis(attempt);
        try (PreparedStatement ps = c.prepareStatement(markRetry)) {
            ps.setString(1, text);
            ps.setLong(2, delay);
            ps.setLong(3, row.id);
            ps.executeUpdate();
        }
        String what = row.describe() + " (attempt " + attempt + " of " + config.maxAttempts + ") to " + row.kind + ":"
                + row.name + ", retried in " + delay + " ms: " + text;
        OutboxRelay.log.debug("outbox {}: {}", outbox.table(), what);
        return what;
    }

    /** At most 1000 characters both databases store as they are (no NUL, no unpaired surrogate). */
    static String storable(String text) {
        StringBuilder b = new StringBuilder(Math.min(text.length(), 1000));
        for (int i = 0; i < text.length() && b.length() < 1000; i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                if (b.length() + 2 > 1000) {
                    break;
                }
                b.append(c).append(text.charAt(++i));
            } else {
                b.append(c == 0 || Character.isSurrogate(c) ? '?' : c);
            }
        }
        return b.toString();
    }
}
