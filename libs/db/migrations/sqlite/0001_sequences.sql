-- Named counters handed out in blocks (BlockSequence): one row per sequence.
CREATE TABLE jiban_sequences (
  name TEXT NOT NULL PRIMARY KEY,
  next_value INTEGER NOT NULL
);
