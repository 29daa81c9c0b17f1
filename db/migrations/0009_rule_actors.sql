-- Who created and who last changed an alert rule: {"kind": "user" | "key", "id": …} as
-- silences.created_by. Null for rules written before people could act (and by the system).
ALTER TABLE alert_rules ADD COLUMN created_by jsonb;
ALTER TABLE alert_rules ADD COLUMN updated_by jsonb;
