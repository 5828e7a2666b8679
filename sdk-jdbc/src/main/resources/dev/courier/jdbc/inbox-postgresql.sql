-- Courier durable inbox (dev.courier.jdbc.JdbcInbox) for PostgreSQL 9.5 or later.
-- One row per (service, message id): 'claimed' while a handler is on it (until lease_until),
-- 'done' once handled. updated_at is when the row last changed; purging deletes done rows
-- (and claims whose lease ran out long ago) older than the retention, in bounded batches.
-- message_id holds the id as it arrived, or sha256~<hex> for one longer than 255 characters or with
-- characters the column cannot keep exactly (see docs/jdbc.md).
-- Rename courier_inbox everywhere to use another table name.
CREATE TABLE IF NOT EXISTS courier_inbox (
    service     VARCHAR(64)  NOT NULL,
    message_id  VARCHAR(255) NOT NULL,
    state       VARCHAR(8)   NOT NULL,
    owner       VARCHAR(36),
    lease_until TIMESTAMPTZ,
    updated_at  TIMESTAMPTZ  NOT NULL,
    PRIMARY KEY (service, message_id)
);
CREATE INDEX IF NOT EXISTS courier_inbox_updated ON courier_inbox (updated_at);
