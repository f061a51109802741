-- Assessment's facts: one row per work order (from routing's events), per evaluated request (from
-- intake's), per light and per supervision case (from escalation's). Times are epoch milliseconds
-- (UTC); a NULL time is something that has not happened.
CREATE TABLE assessment_orders (
  order_id VARCHAR(64) NOT NULL PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  tracking_number VARCHAR(32) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  lead_unit SMALLINT NOT NULL,
  dispatch_ms BIGINT NOT NULL,
  sign_for_deadline_ms BIGINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  sign_ms BIGINT NULL,
  return_ms BIGINT NULL,
  reply_ms BIGINT NULL,
  close_ms BIGINT NULL,
  extension_ms BIGINT NULL,
  cancelled SMALLINT NOT NULL,
  rehandle_count INT NOT NULL,
  version BIGINT NOT NULL,
  KEY assessment_orders_dispatch (dispatch_ms),
  KEY assessment_orders_unit (unit_id, dispatch_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Each unit's latest name and class as its orders report them.
CREATE TABLE assessment_units (
  unit_id VARCHAR(64) NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  unit_class SMALLINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The latest evaluation of each request.
CREATE TABLE assessment_evaluations (
  request_id VARCHAR(64) NOT NULL PRIMARY KEY,
  dissatisfied SMALLINT NOT NULL,
  resolved SMALLINT NOT NULL,
  time_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_lights (
  light_id VARCHAR(64) NOT NULL PRIMARY KEY,
  order_id VARCHAR(64) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  red SMALLINT NOT NULL,
  raised_ms BIGINT NOT NULL,
  KEY assessment_lights_raised (raised_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE assessment_cases (
  case_id VARCHAR(64) NOT NULL PRIMARY KEY,
  order_id VARCHAR(64) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  opened_ms BIGINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  rectified_ms BIGINT NULL,
  KEY assessment_cases_opened (opened_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
