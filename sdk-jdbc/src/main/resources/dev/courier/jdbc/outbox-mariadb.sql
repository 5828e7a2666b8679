-- Courier transactional outbox (dev.courier.jdbc.JdbcOutbox) for MariaDB 10.6 or later (InnoDB).
-- A row is written in the caller's transaction and published by an OutboxRelay after commit.
-- id gives the order: rows of one aggregate_key are published one after another in id order.
-- headers is the message's CloudEvents headers as a JSON object; body the encoded payload.
-- Pending rows: sent_at IS NULL AND failed_at IS NULL; a failed publish sets next_attempt_at and last_error.
-- A row that can never be published (too many attempts, unreadable, over a limit) gets failed_at: it is
-- kept, never retried by itself and never purged, and no longer holds back the rows behind it in its key.
-- Times are UTC.
-- Rename courier_outbox everywhere to use another table name.
CREATE TABLE IF NOT EXISTS courier_outbox (
    id              BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    aggregate_key   VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    message_id      VARCHAR(255) NOT NULL,
    message_type    VARCHAR(255) NOT NULL,
    address_kind    VARCHAR(16)  NOT NULL,
    address_name    VARCHAR(255) NOT NULL,
    address_group   VARCHAR(64),
    headers         MEDIUMTEXT   NOT NULL,
    body            LONGBLOB     NOT NULL,
    created_at      DATETIME(6)  NOT NULL,
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6),
    last_error      VARCHAR(1000),
    sent_at         DATETIME(6),
    failed_at       DATETIME(6),
    KEY courier_outbox_pending (sent_at, id),
    KEY courier_outbox_key (aggregate_key, sent_at, id)
) ENGINE = InnoDB;
-- tables created before failed_at existed
ALTER TABLE courier_outbox ADD COLUMN IF NOT EXISTS failed_at DATETIME(6);
