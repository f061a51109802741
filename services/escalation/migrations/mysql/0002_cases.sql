-- Supervision cases (督办) and their hash-chained log. The log is insert-only: the service's
-- database user is granted INSERT and SELECT on it and nothing else (deploy/sql/escalation-grants.sql);
-- the chain head row serialises appends.
CREATE TABLE escalation_cases (
  id CHAR(26) NOT NULL PRIMARY KEY,
  order_id CHAR(26) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  tracking_number VARCHAR(32) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  unit_name VARCHAR(200) NOT NULL,
  person_name VARCHAR(100) NOT NULL,
  person_post VARCHAR(100) NOT NULL,
  kind SMALLINT NOT NULL,
  state SMALLINT NOT NULL,
  light_id VARCHAR(26) NOT NULL,
  opened_by VARCHAR(64) NOT NULL,
  deadline_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  KEY escalation_cases_order (order_id, state),
  KEY escalation_cases_unit (unit_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE escalation_case_log (
  seq BIGINT NOT NULL PRIMARY KEY,
  case_id CHAR(26) NOT NULL,
  kind SMALLINT NOT NULL,
  actor VARCHAR(64) NOT NULL,
  note VARCHAR(2000) NOT NULL,
  at_ms BIGINT NOT NULL,
  previous_hash CHAR(64) NOT NULL,
  hash CHAR(64) NOT NULL,
  KEY escalation_case_log_case (case_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE escalation_chain_head (
  id SMALLINT NOT NULL PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash CHAR(64) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

INSERT INTO escalation_chain_head (id, seq, hash) VALUES (1, 0, '');

CREATE TABLE escalation_idempotency (
  idempotency_key VARCHAR(64) NOT NULL PRIMARY KEY,
  object_id VARCHAR(64) NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
