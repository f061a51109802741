-- Information added after submission; client_request_id makes a retried supplement a no-op.
CREATE TABLE intake_supplements (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id CHAR(26) NOT NULL,
  client_request_id VARCHAR(64) NOT NULL,
  body TEXT NOT NULL,
  attachments TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  UNIQUE KEY uq_intake_supplements_client_request_id (client_request_id),
  KEY ix_intake_supplements_request (request_id, pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
