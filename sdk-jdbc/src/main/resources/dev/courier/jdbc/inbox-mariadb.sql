-- Courier durable inbox (dev.courier.jdbc.JdbcInbox) for MariaDB 10.6 or later (InnoDB).
-- One row per (service, message id): 'claimed' while a handler is on it (until lease_until),
-- 'done' once handled. updated_at is when the row last changed (UTC); purging deletes done rows
-- (and claims whose lease ran out long ago) older than the retention, in bounded batches.
-- Ids compare byte for byte (utf8mb4_bin): 'A' and 'a' are different messages. utf8mb4_bin ignores trailing
-- spaces, so JdbcInbox stores an id ending in a space (like every id it cannot keep exactly) as sha256~<hex>.
-- message_id holds the id as it arrived, or sha256~<hex> for one longer than 255 characters or with
-- characters the column cannot keep exactly (see docs/jdbc.md).
-- Rename courier_inbox everywhere to use another table name.
CREATE TABLE IF NOT EXISTS courier_inbox (
    service     VARCHAR(64)  CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    message_id  VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    state       VARCHAR(8)   NOT NULL,
    owner       VARCHAR(36),
    lease_until DATETIME(6),
    updated_at  DATETIME(6)  NOT NULL,
    PRIMARY KEY (service, message_id),
    KEY courier_inbox_updated (updated_at)
) ENGINE = InnoDB;
