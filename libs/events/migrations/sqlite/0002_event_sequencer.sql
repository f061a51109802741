CREATE TABLE jiban_event_sequencer (
  id INTEGER NOT NULL PRIMARY KEY,
  next_seq INTEGER NOT NULL
);
