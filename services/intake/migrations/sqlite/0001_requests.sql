-- Requests as received; see the MySQL migration of the same number.
CREATE TABLE intake_requests (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tracking_number TEXT NOT NULL UNIQUE,
  client_request_id TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  channel INTEGER NOT NULL,
  nature INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  district_code TEXT NOT NULL,
  town_code TEXT NOT NULL,
  latitude REAL NULL,
  longitude REAL NULL,
  status INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
