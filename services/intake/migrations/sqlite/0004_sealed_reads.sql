-- Who was shown the sealed details of a confidential request (a discipline-commission role), when,
-- and in which call. Insert-only: triggers refuse updates and deletes.
CREATE TABLE intake_sealed_reads (
  id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  reader TEXT NOT NULL,
  call_request_id TEXT NOT NULL,
  trace_id TEXT NOT NULL,
  at_ms INTEGER NOT NULL
);
CREATE INDEX intake_sealed_reads_request ON intake_sealed_reads (request_id, id);
CREATE TRIGGER intake_sealed_reads_no_update BEFORE UPDATE ON intake_sealed_reads
BEGIN SELECT RAISE(ABORT, 'intake_sealed_reads is insert-only'); END;
CREATE TRIGGER intake_sealed_reads_no_delete BEFORE DELETE ON intake_sealed_reads
BEGIN SELECT RAISE(ABORT, 'intake_sealed_reads is insert-only'); END;
