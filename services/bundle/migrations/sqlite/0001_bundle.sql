-- The bundle service's data. Times are epoch milliseconds (UTC).

-- Catalogue versions (serialized jiban.bundle.v1.Catalogue, version field cleared), never deleted.
CREATE TABLE bundle_catalogues (
  version INTEGER NOT NULL PRIMARY KEY,
  body BLOB NOT NULL,
  actor TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

-- Applications: the searchable columns, and the whole application (parts included) as a
-- serialized jiban.bundle.v1.Application without personal data. `pending` counts the parts not
-- yet dispatched, so the dispatcher reads only what it has to send.
CREATE TABLE bundle_applications (
  id TEXT NOT NULL PRIMARY KEY,
  tracking_number TEXT NOT NULL,
  bundle_id TEXT NOT NULL,
  state INTEGER NOT NULL,
  pending INTEGER NOT NULL,
  body BLOB NOT NULL,
  version INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE UNIQUE INDEX bundle_applications_tracking ON bundle_applications (tracking_number);
CREATE INDEX bundle_applications_pending ON bundle_applications (pending, id);
CREATE INDEX bundle_applications_bundle ON bundle_applications (bundle_id, id);
CREATE INDEX bundle_applications_state ON bundle_applications (state, id);

-- The application's form, sealed (AES-256-GCM bound to the application id).
CREATE TABLE bundle_forms (
  application_id TEXT NOT NULL PRIMARY KEY,
  form_sealed BLOB NOT NULL
);

-- Idempotency keys of SubmitApplication: the body's fingerprint and the application it made.
CREATE TABLE bundle_keys (
  idempotency_key TEXT NOT NULL PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  application_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);

-- Who read which sealed form, when.
CREATE TABLE bundle_audit (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  application_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  time_ms INTEGER NOT NULL
);
CREATE INDEX bundle_audit_application ON bundle_audit (application_id, id);
