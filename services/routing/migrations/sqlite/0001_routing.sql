-- Routing's record of each request it received from intake (no personal data: intake keeps it).
-- `state`: 1 dispatched, 2 waiting on the triage desk, 3 finished.
CREATE TABLE routing_requests (
  id TEXT NOT NULL PRIMARY KEY,
  tracking_number TEXT NOT NULL,
  nature INTEGER NOT NULL,
  title TEXT NOT NULL,
  district_code TEXT NOT NULL,
  town_code TEXT NOT NULL,
  enterprise INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  state INTEGER NOT NULL,
  triage_reason TEXT NOT NULL,
  category TEXT NOT NULL,
  confidence REAL NOT NULL,
  excluded_units TEXT NOT NULL,
  return_count INTEGER NOT NULL,
  clock_start_ms INTEGER NULL,
  paused_working_days INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);

-- Work orders: the searchable columns, and the whole order as its protobuf encoding (`body`).
-- `version` guards every update (compare-and-set).
CREATE TABLE routing_orders (
  id TEXT NOT NULL PRIMARY KEY,
  request_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  version INTEGER NOT NULL,
  body BLOB NOT NULL
);

-- Idempotency keys of order actions and triage assignments: a retried call finds its key.
CREATE TABLE routing_idempotency (
  idempotency_key TEXT NOT NULL PRIMARY KEY,
  object_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

-- The unit directory (each unit as its protobuf encoding).
CREATE TABLE routing_units (
  id TEXT NOT NULL PRIMARY KEY,
  body BLOB NOT NULL,
  updated_at_ms INTEGER NOT NULL
);

-- Every version of the dispatch list (protobuf encoding); the highest is in force.
CREATE TABLE routing_dispatch_lists (
  version INTEGER NOT NULL PRIMARY KEY,
  body BLOB NOT NULL,
  actor TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

-- Who changed the directory or the dispatch list, when, and to what.
CREATE TABLE routing_audit (
  id TEXT NOT NULL PRIMARY KEY,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object_id TEXT NOT NULL,
  body BLOB NOT NULL,
  created_at_ms INTEGER NOT NULL
);

CREATE INDEX routing_requests_state ON routing_requests (state, id);
CREATE INDEX routing_orders_request ON routing_orders (request_id);
CREATE INDEX routing_orders_unit ON routing_orders (unit_id, id);
CREATE INDEX routing_orders_state ON routing_orders (state, id);
