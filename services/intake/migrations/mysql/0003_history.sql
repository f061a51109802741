-- What happened to a request after it was received: the requester's timeline.
CREATE TABLE intake_history (
  pk BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  request_id CHAR(26) NOT NULL,
  at_ms BIGINT NOT NULL,
  status SMALLINT NOT NULL,
  description VARCHAR(400) NOT NULL,
  KEY ix_intake_history_request (request_id, pk)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
