-- Supervision cases (督办) and their hash-chained log. SQLite has no users: triggers refuse any
-- UPDATE or DELETE of log rows instead (MySQL: grants, deploy/sql/escalation-grants.sql).
CREATE TABLE escalation_cases (
  id TEXT NOT NULL PRIMARY KEY,
  order_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  unit_name TEXT NOT NULL,
  person_name TEXT NOT NULL,
  person_post TEXT NOT NULL,
  kind INTEGER NOT NULL,
  state INTEGER NOT NULL,
  light_id TEXT NOT NULL,
  opened_by TEXT NOT NULL,
  deadline_ms INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX escalation_cases_order ON escalation_cases (order_id, state);
CREATE INDEX escalation_cases_unit ON escalation_cases (unit_id, id);

CREATE TABLE escalation_case_log (
  seq INTEGER NOT NULL PRIMARY KEY,
  case_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  previous_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX escalation_case_log_case ON escalation_case_log (case_id, seq);
CREATE TRIGGER escalation_case_log_no_update BEFORE UPDATE ON escalation_case_log
BEGIN SELECT RAISE(ABORT, 'escalation_case_log is append-only'); END;
CREATE TRIGGER escalation_case_log_no_delete BEFORE DELETE ON escalation_case_log
BEGIN SELECT RAISE(ABORT, 'escalation_case_log is append-only'); END;

CREATE TABLE escalation_chain_head (
  id INTEGER NOT NULL PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO escalation_chain_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE escalation_idempotency (
  idempotency_key TEXT NOT NULL PRIMARY KEY,
  object_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
