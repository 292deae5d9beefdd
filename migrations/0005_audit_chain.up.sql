-- Tamper-evident audit trail (L5): a keyed hash chain assigned AFTER commit;
-- and, at the end, the owner-only path for encryption key rotation (S2).
--
-- Writers only INSERT into audit_events, so concurrent tool calls never wait
-- on a chain head. A sealer (internal/audit.Sealer, one at a time under an
-- advisory lock) later puts committed events in order: seal n links event
-- e_n to seal n-1 with h_n = HMAC(audit key, n || h_{n-1} || canonical(e_n)).
-- The key lives outside the database (TASKBRIDGE_AUDIT_KEY), so someone who
-- can write these tables still cannot forge a seal. Signed checkpoints of the
-- head make tail truncation visible. Seals and checkpoints are append-only
-- like the events; nothing is ever updated.

-- The actor is stored as a keyed pseudonym (HMAC of the user id under the
-- audit key), never as the raw user id: erasing a user (D4) then needs no
-- change to the trail at all, because once the user row is gone nothing in
-- the database links the pseudonym back to a person. The column replaces
-- 0002's actor_id (the pre-release trail had no way to pseudonymise old rows).
DROP INDEX IF EXISTS audit_events_actor;
ALTER TABLE audit_events DROP COLUMN actor_id;
ALTER TABLE audit_events ADD COLUMN actor text;
ALTER TABLE audit_events ADD CONSTRAINT audit_actor_length CHECK (char_length(actor) <= 64);
CREATE INDEX audit_events_actor ON audit_events (actor, occurred_at) WHERE actor IS NOT NULL;

-- Event ids come from audit_next_event_id(), which makes sure the inserting
-- transaction has a transaction id BEFORE it takes its event id. The sealer
-- relies on that order: once every transaction older than an observed
-- "next xid" has ended, every event id handed out before that observation
-- is final (committed or rolled back), so sealing up to it can never skip an
-- event that commits later. See internal/audit/sealer.go.
ALTER TABLE audit_events ALTER COLUMN id DROP IDENTITY;
CREATE SEQUENCE audit_events_id_seq AS bigint OWNED BY audit_events.id;
SELECT setval('audit_events_id_seq', COALESCE((SELECT max(id) FROM audit_events), 0) + 1, false);

CREATE FUNCTION audit_next_event_id() RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    PERFORM pg_current_xact_id();
    RETURN nextval('audit_events_id_seq');
END
$$;
ALTER TABLE audit_events ALTER COLUMN id SET DEFAULT audit_next_event_id();

-- One seal per event, in chain order. seq is contiguous from 1 and counts
-- every event ever sealed; key_id names the audit key that made hash.
CREATE TABLE audit_seals (
    seq       bigint PRIMARY KEY,
    event_id  bigint NOT NULL UNIQUE,
    key_id    text NOT NULL,
    hash      bytea NOT NULL,
    sealed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT audit_seals_seq_positive CHECK (seq > 0),
    CONSTRAINT audit_seals_hash_size CHECK (octet_length(hash) = 32),
    CONSTRAINT audit_seals_key_id_length CHECK (char_length(key_id) BETWEEN 1 AND 32)
);

-- A checkpoint vouches, under the key, for the chain head at a moment: its
-- seq (which is the number of events sealed so far), the head hash and the
-- time. The verifier checks that the chain still reaches every checkpoint;
-- the sealer also logs each one so a copy exists outside the database.
CREATE TABLE audit_checkpoints (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq        bigint NOT NULL,
    head_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    key_id     text NOT NULL,
    mac        bytea NOT NULL,
    CONSTRAINT audit_checkpoints_seq_positive CHECK (seq > 0),
    CONSTRAINT audit_checkpoints_hash_size CHECK (octet_length(head_hash) = 32 AND octet_length(mac) = 32),
    CONSTRAINT audit_checkpoints_key_id_length CHECK (char_length(key_id) BETWEEN 1 AND 32)
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq);

CREATE TRIGGER audit_seals_append_only
    BEFORE UPDATE OR DELETE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_seals_no_truncate
    BEFORE TRUNCATE ON audit_seals
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_checkpoints_append_only
    BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate
    BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

REVOKE ALL ON audit_seals, audit_checkpoints, audit_events_id_seq FROM PUBLIC;
REVOKE ALL ON FUNCTION audit_next_event_id() FROM PUBLIC;
GRANT SELECT, INSERT ON audit_seals, audit_checkpoints TO taskbridge_runtime;
-- USAGE for nextval through the default; SELECT so the sealer can read how
-- far ids have been handed out (last_value).
GRANT USAGE, SELECT ON SEQUENCE audit_events_id_seq TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION audit_next_event_id() TO taskbridge_runtime;

-- Key rotation (S2, D7): `taskbridge keys rotate` re-encrypts task notes
-- sealed under older keys. It needs every user's rows, which forced RLS hides
-- even from the table owner. These policies open them to the owner -- and to
-- no one else -- while a transaction has set taskbridge.key_rotation = 'on'.
-- The owner could switch RLS off anyway; the runtime role is never the owner
-- (postgres.Open refuses that), so this grants the server nothing.
CREATE FUNCTION app_is_table_owner(tbl regclass) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path = pg_catalog
    AS $$ SELECT pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = tbl), 'USAGE') $$;
CREATE POLICY tasks_key_rotation_read ON tasks FOR SELECT
    USING (current_setting('taskbridge.key_rotation', true) = 'on' AND app_is_table_owner('tasks'));
CREATE POLICY tasks_key_rotation_write ON tasks FOR UPDATE
    USING (current_setting('taskbridge.key_rotation', true) = 'on' AND app_is_table_owner('tasks'))
    WITH CHECK (current_setting('taskbridge.key_rotation', true) = 'on' AND app_is_table_owner('tasks'));

-- Ageing out (D3): retention removes old events without breaking
-- verification. audit_age_out deletes whole chain prefixes only, up to a
-- checkpoint that it keeps: the verifier then starts from that checkpoint's
-- MACed head hash. It never removes the head, never an event younger than the
-- cutoff, and refuses cutoffs less than 30 days back, so even a compromised
-- server cannot erase recent history through it. The append-only trigger
-- lets a DELETE through only inside this function (owner + the flag it sets).
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

CREATE FUNCTION audit_age_out(cutoff timestamptz, max_events integer) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    first_seq bigint;
    head_seq  bigint;
    stop_seq  bigint;
    keep_seq  bigint;
    removed   bigint;
BEGIN
    IF cutoff > now() - interval '30 days' THEN
        RAISE EXCEPTION 'audit events are kept at least 30 days' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF max_events IS NULL OR max_events < 1 THEN
        RAISE EXCEPTION 'max_events must be positive' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The sealer's lock (internal/audit sealerLockKey): the chain holds still.
    PERFORM pg_advisory_xact_lock(8386110886174352489);
    SELECT min(seq), max(seq) INTO first_seq, head_seq FROM audit_seals;
    IF head_seq IS NULL THEN
        RETURN 0;
    END IF;
    SELECT min(s.seq) INTO stop_seq
        FROM audit_seals s JOIN audit_events e ON e.id = s.event_id
        WHERE e.occurred_at >= cutoff;
    stop_seq := LEAST(COALESCE(stop_seq, head_seq), head_seq, first_seq + max_events);
    SELECT max(seq) INTO keep_seq FROM audit_checkpoints WHERE seq >= first_seq AND seq < stop_seq;
    IF keep_seq IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM set_config('taskbridge.audit_age_out', 'on', true);
    DELETE FROM audit_events e USING audit_seals s WHERE s.event_id = e.id AND s.seq <= keep_seq;
    GET DIAGNOSTICS removed = ROW_COUNT;
    DELETE FROM audit_seals WHERE seq <= keep_seq;
    DELETE FROM audit_checkpoints WHERE seq < keep_seq;
    PERFORM set_config('taskbridge.audit_age_out', 'off', true);
    RETURN removed;
END
$$;
REVOKE ALL ON FUNCTION audit_age_out(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit_age_out(timestamptz, integer) TO taskbridge_runtime;
