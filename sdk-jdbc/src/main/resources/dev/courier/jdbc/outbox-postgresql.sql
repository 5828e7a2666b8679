-- Courier transactional outbox (dev.courier.jdbc.JdbcOutbox) for PostgreSQL 9.6 or later.
-- A row is written in the caller's transaction and published by an OutboxRelay after commit.
-- id gives the order: rows of one aggregate_key are published one after another in id order.
-- headers is the message's CloudEvents headers as a JSON object; body the encoded payload.
-- Pending rows: sent_at IS NULL AND failed_at IS NULL; a failed publish sets next_attempt_at and last_error.
-- A row that can never be published (too many attempts, unreadable, over a limit) gets failed_at: it is
-- kept, never retried by itself and never purged, and no longer holds back the rows behind it in its key.
-- Rename courier_outbox everywhere to use another table name.
CREATE TABLE IF NOT EXISTS courier_outbox (
    id              BIGSERIAL    PRIMARY KEY,
    aggregate_key   VARCHAR(255),
    message_id      VARCHAR(255) NOT NULL,
    message_type    VARCHAR(255) NOT NULL,
    address_kind    VARCHAR(16)  NOT NULL,
    address_name    VARCHAR(255) NOT NULL,
    address_group   VARCHAR(64),
    headers         TEXT         NOT NULL,
    body            BYTEA        NOT NULL,
    created_at      TIMESTAMPTZ  NOT NULL,
    attempts        INTEGER      NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    last_error      VARCHAR(1000),
    sent_at         TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ
);
-- tables created before failed_at existed (PostgreSQL 9.6+)
ALTER TABLE courier_outbox ADD COLUMN IF NOT EXISTS failed_at TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS courier_outbox_pending ON courier_outbox (id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS courier_outbox_key ON courier_outbox (aggregate_key, id) WHERE sent_at IS NULL;
CREATE INDEX IF NOT EXISTS courier_outbox_sent ON courier_outbox (sent_at) WHERE sent_at IS NOT NULL;
