-- Scoring reads one unit's facts at a time (memory bounded by the largest unit, not the period):
-- lights and cases by unit and time, as orders already are.
CREATE INDEX assessment_lights_unit ON assessment_lights (unit_id, raised_ms);
CREATE INDEX assessment_cases_unit ON assessment_cases (unit_id, opened_ms);
