-- What the hot-spot miner reads: one row per request received by intake (no personal data: a
-- MinHash signature of the text, a masked label, blind keys) with routing's category once known.
CREATE TABLE bundle_signals (
  request_id VARCHAR(64) NOT NULL PRIMARY KEY,
  time_ms BIGINT NOT NULL,
  category VARCHAR(64) NOT NULL,
  place VARCHAR(12) NOT NULL,
  place_key VARCHAR(64) NOT NULL,
  person_key VARCHAR(64) NOT NULL,
  consultation SMALLINT NOT NULL,
  signature VARBINARY(128) NOT NULL,
  label VARCHAR(200) NOT NULL,
  KEY bundle_signals_time (time_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Decisions on hot spots (未诉先办), with what the hot spot was when decided, so that its effect
-- (did such requests fall afterwards?) can be measured.
CREATE TABLE bundle_hotspot_decisions (
  hotspot_key VARCHAR(200) NOT NULL PRIMARY KEY,
  id VARCHAR(64) NOT NULL,
  kind SMALLINT NOT NULL,
  action SMALLINT NOT NULL,
  note VARCHAR(2000) NOT NULL,
  actor VARCHAR(200) NOT NULL,
  decided_at_ms BIGINT NOT NULL,
  window_ms BIGINT NOT NULL,
  category VARCHAR(64) NOT NULL,
  place VARCHAR(12) NOT NULL,
  match_key VARCHAR(64) NOT NULL,
  signature VARBINARY(128) NOT NULL,
  count_at_decision INT NOT NULL,
  label VARCHAR(200) NOT NULL,
  UNIQUE KEY bundle_hotspot_decisions_id (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
