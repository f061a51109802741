-- Who submitted each request when the caller was a requester (the gateway's authenticated
-- subject): a requester sees only its own requests. Empty for requests taken by staff or
-- received before this column.
ALTER TABLE intake_requests ADD COLUMN submitter VARCHAR(128) NOT NULL DEFAULT '';
CREATE INDEX intake_requests_submitter ON intake_requests (submitter, id);
