CREATE TABLE jiban_consumer_cursors (
  consumer TEXT NOT NULL PRIMARY KEY,
  last_sequence INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
