-- Who was shown the sealed details of a confidential request (a discipline-commission role), when,
-- and in which call. Insert-only: the service never updates or deletes these rows.
CREATE TABLE intake_sealed_reads (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  reader VARCHAR(200) NOT NULL,
  call_request_id VARCHAR(64) NOT NULL,
  trace_id VARCHAR(32) NOT NULL,
  at_ms BIGINT NOT NULL,
  KEY intake_sealed_reads_request (request_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
