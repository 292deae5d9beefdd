ALTER TABLE audit_events ALTER COLUMN occurred_at SET DEFAULT now();
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('taskbridge.audit_age_out', true) = 'on'
       AND app_is_table_owner(TG_RELID) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
DROP FUNCTION IF EXISTS audit_row_aged_out(text, jsonb);
DROP TRIGGER IF EXISTS audit_checkpoints_at_head ON audit_checkpoints;
DROP FUNCTION IF EXISTS audit_checkpoints_check_head();
DROP TRIGGER IF EXISTS audit_seals_in_order ON audit_seals;
DROP FUNCTION IF EXISTS audit_seals_check_order();
