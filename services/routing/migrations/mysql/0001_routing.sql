-- Routing's record of each request it received from intake (no personal data: intake keeps it).
-- `state`: 1 dispatched, 2 waiting on the triage desk, 3 finished.
CREATE TABLE routing_requests (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  tracking_number VARCHAR(32) NOT NULL,
  nature SMALLINT NOT NULL,
  title VARCHAR(400) NOT NULL,
  district_code VARCHAR(12) NOT NULL,
  town_code VARCHAR(20) NOT NULL,
  enterprise SMALLINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  state SMALLINT NOT NULL,
  triage_reason VARCHAR(40) NOT NULL,
  category VARCHAR(64) NOT NULL,
  confidence DOUBLE NOT NULL,
  excluded_units TEXT NOT NULL,
  return_count INT NOT NULL,
  clock_start_ms BIGINT NULL,
  paused_working_days INT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  KEY routing_requests_state (state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Work orders: the searchable columns, and the whole order as its protobuf encoding (`body`).
-- `version` guards every update (compare-and-set).
CREATE TABLE routing_orders (
  id CHAR(26) NOT NULL PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  unit_id VARCHAR(64) NOT NULL,
  state SMALLINT NOT NULL,
  deadline_ms BIGINT NOT NULL,
  version BIGINT NOT NULL,
  body MEDIUMBLOB NOT NULL,
  KEY routing_orders_request (request_id),
  KEY routing_orders_unit (unit_id, id),
  KEY routing_orders_state (state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Idempotency keys of order actions and triage assignments: a retried call finds its key.
CREATE TABLE routing_idempotency (
  idempotency_key VARCHAR(64) NOT NULL PRIMARY KEY,
  object_id VARCHAR(64) NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The unit directory (each unit as its protobuf encoding).
CREATE TABLE routing_units (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  body BLOB NOT NULL,
  updated_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every version of the dispatch list (protobuf encoding); the highest is in force.
CREATE TABLE routing_dispatch_lists (
  version BIGINT NOT NULL PRIMARY KEY,
  body MEDIUMBLOB NOT NULL,
  actor VARCHAR(128) NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who changed the directory or the dispatch list, when, and to what.
CREATE TABLE routing_audit (
  id CHAR(26) NOT NULL PRIMARY KEY,
  actor VARCHAR(128) NOT NULL,
  action VARCHAR(40) NOT NULL,
  object_id VARCHAR(64) NOT NULL,
  body MEDIUMBLOB NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
