-- The transactional outbox; see the MySQL migration of the same number.
CREATE TABLE jiban_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  seq INTEGER NULL UNIQUE,
  event_id TEXT NOT NULL,
  type_url TEXT NOT NULL,
  payload BLOB NOT NULL,
  aggregate_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  occurred_at_ms INTEGER NOT NULL
);
