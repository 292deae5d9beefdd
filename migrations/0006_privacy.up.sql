-- Privacy (D3, D4): pending account-deletion requests, and the narrow doors
-- the retention job needs.
--
-- Retention runs with no user: row-level security (forced, A8) hides every
-- user's rows from it, and the server role must never be BYPASSRLS. So each
-- purge is a SECURITY DEFINER function owned by the migration owner, with
-- the search path pinned, executable by taskbridge_runtime, that deletes
-- only rows past a period the caller names -- and refuses periods shorter
-- than a floor and clocks ahead of the database's, so even a compromised
-- server cannot use it to delete live data. Because FORCE applies to the
-- owner as well, the owner gets policies of its own below, active only
-- while one of these functions has set taskbridge.retention = 'on' in its
-- transaction; taskbridge_runtime is not the owner, so these policies never
-- widen the server's own queries.

-- A deletion started where no password can be asked (the API with a bearer
-- token, the MCP tool): the human confirms on the account page (P6). One
-- pending request per user; it expires on its own.
CREATE TABLE account_deletion_requests (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    requested_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    via          text NOT NULL,
    client_id    text,
    CONSTRAINT account_deletion_via CHECK (via IN ('api', 'mcp')),
    CONSTRAINT account_deletion_client_length CHECK (char_length(client_id) <= 512),
    CONSTRAINT account_deletion_expiry CHECK (expires_at > requested_at)
);
CREATE INDEX account_deletion_requests_expiry ON account_deletion_requests (expires_at);

ALTER TABLE account_deletion_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_deletion_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY account_deletion_owner ON account_deletion_requests
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

REVOKE ALL ON account_deletion_requests FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON account_deletion_requests TO taskbridge_runtime;

-- Indexes the retention scans use across all users.
CREATE INDEX tasks_trashed_at ON tasks (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX tasks_completed_at ON tasks (completed_at) WHERE status = 'done';

DO $$
DECLARE
    owner name := (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                   WHERE c.oid = 'public.tasks'::regclass);
BEGIN
    EXECUTE format($f$CREATE POLICY tasks_retention_select ON tasks FOR SELECT TO %I
        USING (current_setting('taskbridge.retention', true) = 'on')$f$, owner);
    EXECUTE format($f$CREATE POLICY tasks_retention_delete ON tasks FOR DELETE TO %I
        USING (current_setting('taskbridge.retention', true) = 'on')$f$, owner);
    EXECUTE format($f$CREATE POLICY account_deletion_retention_select ON account_deletion_requests FOR SELECT TO %I
        USING (current_setting('taskbridge.retention', true) = 'on')$f$, owner);
    EXECUTE format($f$CREATE POLICY account_deletion_retention_delete ON account_deletion_requests FOR DELETE TO %I
        USING (current_setting('taskbridge.retention', true) = 'on')$f$, owner);
END
$$;

-- The checks every purge function makes before deleting: the clock is the
-- caller's (so tests can move it) but may not run ahead of the database's
-- by more than a few minutes, the period may not be shorter than the floor,
-- and a batch is 1 to 10000 rows.
CREATE FUNCTION privacy_check_purge(p_now timestamptz, p_period interval, p_floor interval, p_limit integer)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, public
    AS $$
BEGIN
    IF p_now IS NULL OR p_now > now() + interval '5 minutes' THEN
        RAISE EXCEPTION 'retention clock is ahead of the database clock' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_period IS NULL OR p_period < p_floor THEN
        RAISE EXCEPTION 'retention period % is shorter than %', p_period, p_floor USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 10000 THEN
        RAISE EXCEPTION 'batch size must be 1 to 10000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
END
$$;

-- Tasks in the trash longer than p_period (at least a day), oldest first, at
-- most p_limit of them. The condition is repeated on the DELETE itself: if
-- the user restores a task while the batch runs, PostgreSQL re-checks the
-- DELETE's WHERE on the new row version and leaves the task alone (the IN
-- subquery alone would not be re-checked). No FOR UPDATE in the subquery:
-- under row-level security that would need an UPDATE policy, a door the
-- owner does not need.
CREATE FUNCTION privacy_purge_trashed_tasks(p_now timestamptz, p_period interval, p_limit integer)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM privacy_check_purge(p_now, p_period, interval '1 day', p_limit);
    PERFORM set_config('taskbridge.retention', 'on', true);
    DELETE FROM tasks WHERE id IN (
            SELECT t.id FROM tasks t
            WHERE t.deleted_at IS NOT NULL AND t.deleted_at <= p_now - p_period
            ORDER BY t.deleted_at LIMIT p_limit)
        AND deleted_at IS NOT NULL AND deleted_at <= p_now - p_period;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('taskbridge.retention', 'off', true);
    RETURN removed;
END
$$;

-- Tasks completed longer than p_period ago (at least a day); the job only
-- calls it when the operator turned this period on.
CREATE FUNCTION privacy_purge_completed_tasks(p_now timestamptz, p_period interval, p_limit integer)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM privacy_check_purge(p_now, p_period, interval '1 day', p_limit);
    PERFORM set_config('taskbridge.retention', 'on', true);
    DELETE FROM tasks WHERE id IN (
            SELECT t.id FROM tasks t
            WHERE t.status = 'done' AND t.completed_at <= p_now - p_period
            ORDER BY t.completed_at LIMIT p_limit)
        AND status = 'done' AND completed_at <= p_now - p_period;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('taskbridge.retention', 'off', true);
    RETURN removed;
END
$$;

-- Deletion requests past their expiry (nobody confirmed them).
CREATE FUNCTION privacy_purge_deletion_requests(p_now timestamptz, p_limit integer)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM privacy_check_purge(p_now, interval '0', interval '0', p_limit);
    PERFORM set_config('taskbridge.retention', 'on', true);
    DELETE FROM account_deletion_requests WHERE user_id IN (
            SELECT r.user_id FROM account_deletion_requests r
            WHERE r.expires_at <= p_now
            ORDER BY r.expires_at LIMIT p_limit)
        AND expires_at <= p_now;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('taskbridge.retention', 'off', true);
    RETURN removed;
END
$$;

REVOKE ALL ON FUNCTION privacy_check_purge(timestamptz, interval, interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy_purge_trashed_tasks(timestamptz, interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy_purge_completed_tasks(timestamptz, interval, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION privacy_purge_deletion_requests(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION privacy_purge_trashed_tasks(timestamptz, interval, integer) TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION privacy_purge_completed_tasks(timestamptz, interval, integer) TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION privacy_purge_deletion_requests(timestamptz, integer) TO taskbridge_runtime;
