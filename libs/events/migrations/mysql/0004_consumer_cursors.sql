-- Where each consumer of another service's log has got to, updated in the same transaction as
-- the consumer's effect.
CREATE TABLE jiban_consumer_cursors (
  consumer VARCHAR(128) NOT NULL PRIMARY KEY,
  last_sequence BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
