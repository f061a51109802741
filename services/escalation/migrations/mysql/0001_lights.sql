-- What escalation keeps of each work order (from routing's events).
CREATE TABLE escalation_orders (
  order_id CHAR(26) NOT NULL PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  tracking_number VARCHAR(32) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  unit_name VARCHAR(200) NOT NULL,
  person_name VARCHAR(100) NOT NULL,
  person_post VARCHAR(100) NOT NULL,
  lead_unit SMALLINT NOT NULL,
  dispatch_ms BIGINT NOT NULL,
  clock_start_ms BIGINT NOT NULL,
  sign_for_deadline_ms BIGINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  signed_for SMALLINT NOT NULL,
  paused SMALLINT NOT NULL,
  replied SMALLINT NOT NULL,
  open_order SMALLINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Durable timers: one per (order, kind); the scan walks due_ms, so it reads only what is due.
CREATE TABLE escalation_timers (
  order_id CHAR(26) NOT NULL,
  kind SMALLINT NOT NULL,
  due_ms BIGINT NOT NULL,
  PRIMARY KEY (order_id, kind),
  KEY escalation_timers_due (due_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Lights, never deleted; unique per (order, cause, due instant) so a timer fires once.
CREATE TABLE escalation_lights (
  id CHAR(26) NOT NULL PRIMARY KEY,
  order_id CHAR(26) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  tracking_number VARCHAR(32) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  unit_name VARCHAR(200) NOT NULL,
  person_name VARCHAR(100) NOT NULL,
  person_post VARCHAR(100) NOT NULL,
  colour SMALLINT NOT NULL,
  cause SMALLINT NOT NULL,
  due_ms BIGINT NOT NULL,
  raised_ms BIGINT NOT NULL,
  active SMALLINT NOT NULL,
  cleared_ms BIGINT NULL,
  clear_reason VARCHAR(40) NOT NULL,
  UNIQUE KEY escalation_lights_once (order_id, cause, due_ms),
  KEY escalation_lights_unit (unit_id, id),
  KEY escalation_lights_active (active, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
