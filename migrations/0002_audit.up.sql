-- The audit trail (L4). The server may only append and read: no UPDATE,
-- DELETE or TRUNCATE is granted (P2), and a trigger refuses them even for
-- roles that hold the privilege, so an edit needs the owner to drop the
-- trigger first, which the hash chain then exposes (L5).
CREATE TABLE audit_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    event_type  text NOT NULL,
    outcome     text NOT NULL,
    -- Pseudonymous subject: the user's id while the account exists; erasure
    -- (D4) replaces it, so audit rows keep no identifying data afterwards.
    actor_id    uuid,
    client_id   text,
    request_id  text,
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT audit_event_type_length CHECK (char_length(event_type) BETWEEN 1 AND 64),
    CONSTRAINT audit_outcome_valid CHECK (outcome IN ('success', 'failure', 'denied', 'error', 'flagged')),
    CONSTRAINT audit_client_id_length CHECK (char_length(client_id) <= 512),
    CONSTRAINT audit_request_id_length CHECK (char_length(request_id) <= 128),
    CONSTRAINT audit_detail_size CHECK (octet_length(detail::text) <= 8192)
);
CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at) WHERE actor_id IS NOT NULL;
CREATE INDEX audit_events_occurred ON audit_events (occurred_at);

CREATE FUNCTION audit_events_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change();
CREATE TRIGGER audit_events_no_truncate
    BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change();

REVOKE ALL ON audit_events FROM PUBLIC;
GRANT SELECT, INSERT ON audit_events TO taskbridge_runtime;
