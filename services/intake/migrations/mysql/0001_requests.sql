-- Requests as received. `client_request_id` is the caller's idempotency key; `fingerprint` the
-- SHA-256 of what they sent, so a reused key with a different body can be refused.
CREATE TABLE intake_requests (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  id CHAR(26) NOT NULL,
  tracking_number VARCHAR(32) NOT NULL,
  client_request_id VARCHAR(64) NOT NULL,
  fingerprint CHAR(64) NOT NULL,
  channel SMALLINT NOT NULL,
  nature SMALLINT NOT NULL,
  title VARCHAR(400) NOT NULL,
  body TEXT NOT NULL,
  district_code VARCHAR(12) NOT NULL,
  town_code VARCHAR(12) NOT NULL,
  latitude DOUBLE NULL,
  longitude DOUBLE NULL,
  status SMALLINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  UNIQUE KEY uq_intake_requests_id (id),
  UNIQUE KEY uq_intake_requests_tracking (tracking_number),
  UNIQUE KEY uq_intake_requests_client_request_id (client_request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
