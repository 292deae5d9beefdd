-- The database keeps the chain's shape (L5, issue 13 item 4). The runtime
-- role may INSERT seals and checkpoints (the sealer runs as that role), and
-- before this migration it could insert any row: one fake head with a huge
-- seq and event id made every later sealer pass start after it, so nothing
-- was sealed again and the seal lag, measured after the head, stayed zero.
-- The MACs need the audit key, which the database never holds, so the
-- database cannot check a hash; what it can check is order:
--   * a seal extends the head by exactly one position and names an existing
--     event younger than the head's event;
--   * a checkpoint vouches for the current head, by seq and hash, and comes
--     after every other checkpoint.
-- A caller without the key can then only seal real events in order with
-- hashes that do not verify: the sealer refuses to extend such a head
-- (internal/audit sealer.go checkHead) and the verifier reports it.
CREATE FUNCTION audit_seals_check_order() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    head_seq   bigint;
    head_event bigint;
BEGIN
    -- Rows inserted earlier by the same statement are visible here, so a
    -- batch is checked row by row against the head it has built so far.
    SELECT seq, event_id INTO head_seq, head_event FROM audit_seals ORDER BY seq DESC LIMIT 1;
    IF head_seq IS NULL THEN
        -- Nothing is sealed: the chain starts at 1 (ageing out never removes the head).
        head_seq := 0;
        head_event := 0;
    END IF;
    IF NEW.seq <> head_seq + 1 THEN
        RAISE EXCEPTION 'audit seal % does not extend the chain head %', NEW.seq, head_seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NEW.event_id <= head_event OR NOT EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.event_id) THEN
        RAISE EXCEPTION 'audit seal % names event %, which is not an unsealed event after %', NEW.seq, NEW.event_id, head_event
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    NEW.sealed_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_seals_in_order
    BEFORE INSERT ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_seals_check_order();

CREATE FUNCTION audit_checkpoints_check_head() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_seals s
                   WHERE s.seq = NEW.seq AND s.hash = NEW.head_hash
                     AND s.seq = (SELECT max(seq) FROM audit_seals)) THEN
        RAISE EXCEPTION 'audit checkpoint at seq % does not match the chain head', NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq >= NEW.seq) THEN
        RAISE EXCEPTION 'audit checkpoint at seq % is not after the last checkpoint', NEW.seq
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER audit_checkpoints_at_head
    BEFORE INSERT ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_check_head();

-- Ageing out (0005) let a DELETE through whenever the owner had set
-- taskbridge.audit_age_out, so the owner could delete any row by setting the
-- flag by hand. The trigger now also requires what audit_age_out itself
-- guarantees, row by row: an event older than the 30-day floor whose seal
-- is not the head and lies at or before a checkpoint that is not the head's;
-- a seal whose event is already gone, below the head, covered by such a
-- checkpoint; a checkpoint that no seal reaches any more and a later one
-- replaces. Cutting the tail or recent events therefore needs the triggers
-- switched off (ALTER TABLE, DDL): see SECURE.md "Audit trail" for what an
-- owner can still do and what the chain then shows.
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('taskbridge.audit_age_out', true) = 'on'
       AND app_is_table_owner(TG_RELID) AND audit_row_aged_out(TG_TABLE_NAME, to_jsonb(OLD)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE FUNCTION audit_row_aged_out(tbl text, old jsonb) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    head_seq bigint := (SELECT max(seq) FROM audit_seals);
    row_seq  bigint;
BEGIN
    CASE tbl
    WHEN 'audit_events' THEN
        SELECT s.seq INTO row_seq FROM audit_seals s WHERE s.event_id = (old->>'id')::bigint;
        RETURN (old->>'occurred_at')::timestamptz < now() - interval '30 days'
            AND row_seq < head_seq
            AND EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.seq >= row_seq AND c.seq < head_seq);
    WHEN 'audit_seals' THEN
        row_seq := (old->>'seq')::bigint;
        RETURN row_seq < head_seq
            AND NOT EXISTS (SELECT 1 FROM audit_events WHERE id = (old->>'event_id')::bigint)
            AND EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.seq >= row_seq AND c.seq < head_seq);
    WHEN 'audit_checkpoints' THEN
        row_seq := (old->>'seq')::bigint;
        RETURN NOT EXISTS (SELECT 1 FROM audit_seals WHERE seq <= row_seq)
            AND EXISTS (SELECT 1 FROM audit_checkpoints c WHERE c.seq > row_seq);
    ELSE
        RETURN false;
    END CASE;
END
$$;
REVOKE ALL ON FUNCTION audit_row_aged_out(text, jsonb) FROM PUBLIC;

-- occurred_at is the moment the event row is written (clock_timestamp()),
-- no longer the start of the writing transaction (now()): event ids are
-- taken at the same moment, so along the chain time now goes backwards
-- only by scheduling jitter, not by the length of a transaction, and the
-- sealer and verifier can refuse an event dated before the one sealed ahead
-- of it (audit.MaxBackdating).
ALTER TABLE audit_events ALTER COLUMN occurred_at SET DEFAULT clock_timestamp();
