-- Requests as received; see the MySQL migration of the same number.
CREATE TABLE intake_requests (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  tracking_number TEXT NOT NULL UNIQUE,
  client_request_id TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  channel INTEGER NOT NULL,
  nature INTEGER NOT NULL,
  status INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  district_code TEXT NOT NULL,
  town_code TEXT NOT NULL,
  address_sealed BLOB NULL,
  address_index TEXT NULL,
  latitude REAL NULL,
  longitude REAL NULL,
  requester_kind INTEGER NOT NULL,
  name_sealed BLOB NULL,
  phone_sealed BLOB NULL,
  phone_index TEXT NULL,
  id_number_sealed BLOB NULL,
  id_number_index TEXT NULL,
  enterprise_name TEXT NULL,
  credit_code TEXT NULL,
  confidential INTEGER NOT NULL,
  attachments TEXT NOT NULL,
  answer TEXT NULL,
  guide_entry_id TEXT NULL,
  helper_post_id TEXT NULL,
  help_actions TEXT NULL,
  master_id TEXT NULL,
  satisfaction INTEGER NULL,
  resolution INTEGER NULL,
  evaluation_comment TEXT NULL,
  evaluated_at_ms INTEGER NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL
);
CREATE INDEX ix_intake_requests_created ON intake_requests (created_at_ms, id);
CREATE INDEX ix_intake_requests_district ON intake_requests (district_code, created_at_ms);
CREATE INDEX ix_intake_requests_phone ON intake_requests (phone_index);
CREATE INDEX ix_intake_requests_master ON intake_requests (master_id);
