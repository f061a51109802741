-- Every scheme version (protobuf encoding); a period uses the highest version effective on its
-- first day.
CREATE TABLE assessment_schemes (
  version INTEGER NOT NULL PRIMARY KEY,
  effective_from TEXT NOT NULL,
  body BLOB NOT NULL,
  actor TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX assessment_schemes_effective ON assessment_schemes (effective_from, version);

-- Published (frozen) periods and their scores (each a jiban.assessment.v1.UnitScore).
CREATE TABLE assessment_periods (
  period TEXT NOT NULL PRIMARY KEY,
  scheme_version INTEGER NOT NULL,
  published_ms INTEGER NOT NULL
);

CREATE TABLE assessment_scores (
  period TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  body BLOB NOT NULL,
  PRIMARY KEY (period, unit_id)
);

-- Exclusions (认定) and appeals (申诉复核). kind: 1 exclusion, 2 appeal; state: 1 pending,
-- 2 approved, 3 refused, 4 reversed.
CREATE TABLE assessment_objections (
  id TEXT NOT NULL PRIMARY KEY,
  kind INTEGER NOT NULL,
  order_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  reason INTEGER NOT NULL,
  note TEXT NOT NULL,
  state INTEGER NOT NULL,
  decision_note TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE INDEX assessment_objections_unit ON assessment_objections (unit_id, id);
CREATE INDEX assessment_objections_order ON assessment_objections (order_id);

CREATE TABLE assessment_idempotency (
  idempotency_key TEXT NOT NULL PRIMARY KEY,
  object_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

-- The audit trail: scheme versions, publications, objections and decisions. Insert-only.
CREATE TABLE assessment_audit (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  object_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  note TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX assessment_audit_object ON assessment_audit (object_id, id);
