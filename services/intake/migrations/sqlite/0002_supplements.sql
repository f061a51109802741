CREATE TABLE intake_supplements (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  client_request_id TEXT NOT NULL UNIQUE,
  body TEXT NOT NULL,
  attachments TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX ix_intake_supplements_request ON intake_supplements (request_id, pk);
