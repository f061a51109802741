-- The transactional outbox: events appended in the producer's own transactions. `seq` stays NULL
-- until the sequencer numbers the committed event; readers only ever read numbered events.
CREATE TABLE jiban_events (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  seq BIGINT NULL,
  event_id CHAR(26) NOT NULL,
  type_url VARCHAR(255) NOT NULL,
  payload LONGBLOB NOT NULL,
  aggregate_id VARCHAR(64) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  trace_id VARCHAR(32) NOT NULL,
  occurred_at_ms BIGINT NOT NULL,
  UNIQUE KEY uq_jiban_events_seq (seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
