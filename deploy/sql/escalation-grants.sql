-- Grants for escalation's runtime database user: everything it needs, but INSERT and SELECT only
-- on the case log, so that no one using the service's credentials can edit or delete an entry.
-- Run as an administrator after the migrations (the migration Job uses a separate, owning user).
-- Replace `escalation` (the database) and 'escalation_app'@'%' (the user) as deployed:
--   sed -e 's/`escalation`/`mydb`/g' -e "s/'escalation_app'@'%'/'me'@'10.%'/" escalation-grants.sql
GRANT SELECT, INSERT, UPDATE, DELETE ON `escalation`.`escalation_orders` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON `escalation`.`escalation_timers` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, UPDATE ON `escalation`.`escalation_lights` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, UPDATE ON `escalation`.`escalation_cases` TO 'escalation_app'@'%';
GRANT SELECT, INSERT ON `escalation`.`escalation_case_log` TO 'escalation_app'@'%';
GRANT SELECT, UPDATE ON `escalation`.`escalation_chain_head` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, DELETE ON `escalation`.`escalation_idempotency` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, UPDATE ON `escalation`.`jiban_events` TO 'escalation_app'@'%';
GRANT SELECT, UPDATE ON `escalation`.`jiban_event_sequencer` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, UPDATE ON `escalation`.`jiban_consumer_cursors` TO 'escalation_app'@'%';
GRANT SELECT ON `escalation`.`jiban_schema_migrations` TO 'escalation_app'@'%';
GRANT SELECT, INSERT, UPDATE ON `escalation`.`jiban_sequences` TO 'escalation_app'@'%';
