DROP FUNCTION IF EXISTS audit_age_out(timestamptz, integer);
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP POLICY IF EXISTS tasks_key_rotation_write ON tasks;
DROP POLICY IF EXISTS tasks_key_rotation_read ON tasks;
DROP FUNCTION IF EXISTS app_is_table_owner(regclass);
DROP TABLE IF EXISTS audit_checkpoints;
DROP TABLE IF EXISTS audit_seals;
ALTER TABLE audit_events ALTER COLUMN id DROP DEFAULT;
DROP FUNCTION IF EXISTS audit_next_event_id();
DROP SEQUENCE IF EXISTS audit_events_id_seq;
ALTER TABLE audit_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('audit_events', 'id'), COALESCE((SELECT max(id) FROM audit_events), 0) + 1, false);
DROP INDEX IF EXISTS audit_events_actor;
ALTER TABLE audit_events DROP CONSTRAINT IF EXISTS audit_actor_length;
ALTER TABLE audit_events DROP COLUMN IF EXISTS actor;
ALTER TABLE audit_events ADD COLUMN actor_id uuid;
CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at) WHERE actor_id IS NOT NULL;
