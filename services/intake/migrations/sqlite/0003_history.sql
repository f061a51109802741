CREATE TABLE intake_history (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  status INTEGER NOT NULL,
  description TEXT NOT NULL
);
CREATE INDEX ix_intake_history_request ON intake_history (request_id, pk);
