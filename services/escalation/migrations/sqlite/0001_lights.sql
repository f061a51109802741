-- What escalation keeps of each work order (from routing's events).
CREATE TABLE escalation_orders (
  order_id TEXT NOT NULL PRIMARY KEY,
  request_id TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  unit_name TEXT NOT NULL,
  person_name TEXT NOT NULL,
  person_post TEXT NOT NULL,
  lead_unit INTEGER NOT NULL,
  dispatch_ms INTEGER NOT NULL,
  clock_start_ms INTEGER NOT NULL,
  sign_for_deadline_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  signed_for INTEGER NOT NULL,
  paused INTEGER NOT NULL,
  replied INTEGER NOT NULL,
  open_order INTEGER NOT NULL
);

-- Durable timers: one per (order, kind); the scan walks due_ms, so it reads only what is due.
CREATE TABLE escalation_timers (
  order_id TEXT NOT NULL,
  kind INTEGER NOT NULL,
  due_ms INTEGER NOT NULL,
  PRIMARY KEY (order_id, kind)
);
CREATE INDEX escalation_timers_due ON escalation_timers (due_ms);

-- Lights, never deleted; unique per (order, cause, due instant) so a timer fires once.
CREATE TABLE escalation_lights (
  id TEXT NOT NULL PRIMARY KEY,
  order_id TEXT NOT NULL,
  request_id TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  unit_name TEXT NOT NULL,
  person_name TEXT NOT NULL,
  person_post TEXT NOT NULL,
  colour INTEGER NOT NULL,
  cause INTEGER NOT NULL,
  due_ms INTEGER NOT NULL,
  raised_ms INTEGER NOT NULL,
  active INTEGER NOT NULL,
  cleared_ms INTEGER NULL,
  clear_reason TEXT NOT NULL
);
CREATE UNIQUE INDEX escalation_lights_once ON escalation_lights (order_id, cause, due_ms);
CREATE INDEX escalation_lights_unit ON escalation_lights (unit_id, id);
CREATE INDEX escalation_lights_active ON escalation_lights (active, id);
