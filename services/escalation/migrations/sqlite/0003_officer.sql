-- The officer who opened a case or first acted on it (the gateway's x-jiban-subject): officers
-- list their own open cases.
ALTER TABLE escalation_cases ADD COLUMN officer TEXT NOT NULL DEFAULT '';
CREATE INDEX escalation_cases_officer ON escalation_cases (officer, id);
