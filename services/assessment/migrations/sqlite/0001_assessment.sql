-- Assessment's facts: one row per work order (from routing's events), per evaluated request (from
-- intake's), per light and per supervision case (from escalation's). Times are epoch milliseconds
-- (UTC); a NULL time is something that has not happened.
CREATE TABLE assessment_orders (
  order_id TEXT NOT NULL PRIMARY KEY,
  request_id TEXT NOT NULL,
  tracking_number TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  lead_unit INTEGER NOT NULL,
  dispatch_ms INTEGER NOT NULL,
  sign_for_deadline_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  sign_ms INTEGER NULL,
  return_ms INTEGER NULL,
  reply_ms INTEGER NULL,
  close_ms INTEGER NULL,
  extension_ms INTEGER NULL,
  cancelled INTEGER NOT NULL,
  rehandle_count INTEGER NOT NULL,
  version INTEGER NOT NULL
);
CREATE INDEX assessment_orders_dispatch ON assessment_orders (dispatch_ms);
CREATE INDEX assessment_orders_unit ON assessment_orders (unit_id, dispatch_ms);

-- Each unit's latest name and class as its orders report them.
CREATE TABLE assessment_units (
  unit_id TEXT NOT NULL PRIMARY KEY,
  name TEXT NOT NULL,
  unit_class INTEGER NOT NULL
);

-- The latest evaluation of each request.
CREATE TABLE assessment_evaluations (
  request_id TEXT NOT NULL PRIMARY KEY,
  dissatisfied INTEGER NOT NULL,
  resolved INTEGER NOT NULL,
  time_ms INTEGER NOT NULL
);

CREATE TABLE assessment_lights (
  light_id TEXT NOT NULL PRIMARY KEY,
  order_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  red INTEGER NOT NULL,
  raised_ms INTEGER NOT NULL
);
CREATE INDEX assessment_lights_raised ON assessment_lights (raised_ms);

CREATE TABLE assessment_cases (
  case_id TEXT NOT NULL PRIMARY KEY,
  order_id TEXT NOT NULL,
  unit_id TEXT NOT NULL,
  opened_ms INTEGER NOT NULL,
  deadline_ms INTEGER NOT NULL,
  rectified_ms INTEGER NULL
);
CREATE INDEX assessment_cases_opened ON assessment_cases (opened_ms);
