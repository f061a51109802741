-- The request's district on orders, lights and cases: dashboards count and list by district.
ALTER TABLE escalation_orders ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
ALTER TABLE escalation_lights ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
ALTER TABLE escalation_cases ADD COLUMN district_code TEXT NOT NULL DEFAULT '';
CREATE INDEX escalation_lights_district ON escalation_lights (district_code, id);
CREATE INDEX escalation_cases_district ON escalation_cases (district_code, id);
