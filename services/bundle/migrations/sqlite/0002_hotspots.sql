-- What the hot-spot miner reads: one row per request received by intake (no personal data: a
-- MinHash signature of the text, a masked label, blind keys) with routing's category once known.
CREATE TABLE bundle_signals (
  request_id TEXT NOT NULL PRIMARY KEY,
  time_ms INTEGER NOT NULL,
  category TEXT NOT NULL,
  place TEXT NOT NULL,
  place_key TEXT NOT NULL,
  person_key TEXT NOT NULL,
  consultation INTEGER NOT NULL,
  signature BLOB NOT NULL,
  label TEXT NOT NULL
);
CREATE INDEX bundle_signals_time ON bundle_signals (time_ms);

-- Decisions on hot spots (未诉先办), with what the hot spot was when decided, so that its effect
-- (did such requests fall afterwards?) can be measured.
CREATE TABLE bundle_hotspot_decisions (
  hotspot_key TEXT NOT NULL PRIMARY KEY,
  id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  action INTEGER NOT NULL,
  note TEXT NOT NULL,
  actor TEXT NOT NULL,
  decided_at_ms INTEGER NOT NULL,
  window_ms INTEGER NOT NULL,
  category TEXT NOT NULL,
  place TEXT NOT NULL,
  match_key TEXT NOT NULL,
  signature BLOB NOT NULL,
  count_at_decision INTEGER NOT NULL,
  label TEXT NOT NULL
);
CREATE UNIQUE INDEX bundle_hotspot_decisions_id ON bundle_hotspot_decisions (id);
