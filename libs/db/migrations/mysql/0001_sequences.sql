-- Named counters handed out in blocks (BlockSequence): one row per sequence.
CREATE TABLE jiban_sequences (
  name VARCHAR(64) NOT NULL PRIMARY KEY,
  next_value BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
