-- The session purge of 0003 deleted every expired session in one statement
-- and trusted its arguments: the server role could pass a clock far ahead
-- or an idle period of zero and sign everyone out. Like the purges of 0006
-- it now refuses a clock ahead of the database's, an idle period under one
-- minute (the configuration's minimum) and batches outside 1-10000
-- (privacy_check_purge), and deletes at most p_limit sessions per call.
-- The condition is repeated on the DELETE so a session used while the
-- batch runs (last_seen_at moved) is re-checked and kept.
DROP FUNCTION account_purge_expired_sessions(timestamptz, interval);

CREATE FUNCTION account_purge_expired_sessions(p_now timestamptz, p_idle interval, p_limit integer)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
DECLARE
    removed bigint;
BEGIN
    PERFORM privacy_check_purge(p_now, p_idle, interval '1 minute', p_limit);
    DELETE FROM sessions WHERE id IN (
            SELECT s.id FROM sessions s
            WHERE s.expires_at <= p_now OR s.last_seen_at <= p_now - p_idle
            LIMIT p_limit)
        AND (expires_at <= p_now OR last_seen_at <= p_now - p_idle);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

REVOKE ALL ON FUNCTION account_purge_expired_sessions(timestamptz, interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION account_purge_expired_sessions(timestamptz, interval, integer) TO taskbridge_runtime;
