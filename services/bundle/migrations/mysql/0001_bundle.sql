-- The bundle service's data. Times are epoch milliseconds (UTC).

-- Catalogue versions (serialized jiban.bundle.v1.Catalogue, version field cleared), never deleted.
CREATE TABLE bundle_catalogues (
  version BIGINT NOT NULL PRIMARY KEY,
  body LONGBLOB NOT NULL,
  actor VARCHAR(200) NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Applications: the searchable columns, and the whole application (parts included) as a
-- serialized jiban.bundle.v1.Application without personal data. `pending` counts the parts not
-- yet dispatched, so the dispatcher reads only what it has to send.
CREATE TABLE bundle_applications (
  id VARCHAR(64) NOT NULL PRIMARY KEY,
  tracking_number VARCHAR(32) NOT NULL,
  bundle_id VARCHAR(64) NOT NULL,
  state SMALLINT NOT NULL,
  pending INT NOT NULL,
  body BLOB NOT NULL,
  version BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  UNIQUE KEY bundle_applications_tracking (tracking_number),
  KEY bundle_applications_pending (pending, id),
  KEY bundle_applications_bundle (bundle_id, id),
  KEY bundle_applications_state (state, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- The application's form, sealed (AES-256-GCM bound to the application id).
CREATE TABLE bundle_forms (
  application_id VARCHAR(64) NOT NULL PRIMARY KEY,
  form_sealed BLOB NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Idempotency keys of SubmitApplication: the body's fingerprint and the application it made.
CREATE TABLE bundle_keys (
  idempotency_key VARCHAR(64) NOT NULL PRIMARY KEY,
  fingerprint VARCHAR(64) NOT NULL,
  application_id VARCHAR(64) NOT NULL,
  created_at_ms BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Who read which sealed form, when.
CREATE TABLE bundle_audit (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  application_id VARCHAR(64) NOT NULL,
  action VARCHAR(64) NOT NULL,
  actor VARCHAR(200) NOT NULL,
  time_ms BIGINT NOT NULL,
  KEY bundle_audit_application (application_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
