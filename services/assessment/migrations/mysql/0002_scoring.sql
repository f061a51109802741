-- Every scheme version (protobuf encoding); a period uses the highest version effective on its
-- first day.
CREATE TABLE assessment_schemes (
  version BIGINT NOT NULL PRIMARY KEY,
  effective_from CHAR(10) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  actor VARCHAR(128) NOT NULL,
  created_ms BIGINT NOT NULL,
  KEY assessment_schemes_effective (effective_from, version)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Published (frozen) periods and their scores (each a jiban.assessment.v1.UnitScore).
CREATE TABLE assessment_periods (
  period VARCHAR(8) NOT NULL PRIMARY KEY,
  scheme_version BIGINT NOT NULL,
  published_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_scores (
  period VARCHAR(8) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  PRIMARY KEY (period, unit_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Exclusions (认定) and appeals (申诉复核). kind: 1 exclusion, 2 appeal; state: 1 pending,
-- 2 approved, 3 refused, 4 reversed.
CREATE TABLE assessment_objections (
  id CHAR(26) NOT NULL PRIMARY KEY,
  kind SMALLINT NOT NULL,
  order_id VARCHAR(64) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  reason SMALLINT NOT NULL,
  note TEXT NOT NULL,
  state SMALLINT NOT NULL,
  decision_note TEXT NOT NULL,
  decided_by VARCHAR(128) NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  KEY assessment_objections_unit (unit_id, id),
  KEY assessment_objections_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_idempotency (
  idempotency_key VARCHAR(64) NOT NULL PRIMARY KEY,
  object_id VARCHAR(64) NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The audit trail: scheme versions, publications, objections and decisions. Insert-only.
CREATE TABLE assessment_audit (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  object_id VARCHAR(64) NOT NULL,
  action VARCHAR(32) NOT NULL,
  actor VARCHAR(128) NOT NULL,
  note TEXT NOT NULL,
  time_ms BIGINT NOT NULL,
  KEY assessment_audit_object (object_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
