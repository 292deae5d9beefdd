-- Back to 0003's session purge: one statement, no argument checks.
DROP FUNCTION account_purge_expired_sessions(timestamptz, interval, integer);

CREATE FUNCTION account_purge_expired_sessions(p_now timestamptz, p_idle interval)
    RETURNS bigint
    LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        WITH gone AS (
            DELETE FROM public.sessions s
            WHERE s.expires_at <= p_now OR s.last_seen_at <= p_now - p_idle
            RETURNING 1)
        SELECT count(*) FROM gone
    $$;

REVOKE ALL ON FUNCTION account_purge_expired_sessions(timestamptz, interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION account_purge_expired_sessions(timestamptz, interval) TO taskbridge_runtime;
