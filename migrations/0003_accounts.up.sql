-- Accounts (A7, C3): password credentials, server-side sessions, consent
-- records and the login throttle.
--
-- credentials, sessions and consents are user-owned: forced row-level
-- security keyed on app_current_user_id(), like users and tasks. The two
-- lookups that must run before the user is known (the login form's "who has
-- this email" and the session cookie's "whose session is this") go through
-- SECURITY DEFINER functions that take exactly the key they need and return
-- only what the caller needs.

CREATE TABLE credentials (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- argon2id PHC string ($argon2id$v=19$m=...,t=...,p=...$salt$key): the
    -- parameters travel with the hash, so changed parameters are detected
    -- and the hash upgraded at the next login.
    password_hash text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT credentials_argon2id CHECK (password_hash LIKE '$argon2id$%'),
    CONSTRAINT credentials_hash_length CHECK (char_length(password_hash) <= 256)
);

CREATE TABLE sessions (
    -- SHA-256 of the 256-bit random cookie value. The raw value exists only
    -- in the browser, so a read of this table cannot be replayed as a cookie.
    id           bytea PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    -- A coarse label ("Firefox on Linux") so a user can recognise a session;
    -- never the raw User-Agent string.
    user_agent   text NOT NULL DEFAULT '',
    -- Key of this session's CSRF tokens (HMAC), new with every session.
    csrf_secret  bytea NOT NULL,
    CONSTRAINT sessions_id_sha256 CHECK (octet_length(id) = 32),
    CONSTRAINT sessions_csrf_secret_size CHECK (octet_length(csrf_secret) = 32),
    CONSTRAINT sessions_user_agent_length CHECK (char_length(user_agent) <= 64),
    CONSTRAINT sessions_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Proof of consent to the privacy policy (C3): which version, when.
CREATE TABLE consents (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    document    text NOT NULL,
    version     text NOT NULL,
    accepted_at timestamptz NOT NULL,
    CONSTRAINT consents_document_known CHECK (document IN ('privacy_policy')),
    CONSTRAINT consents_version_length CHECK (char_length(version) BETWEEN 1 AND 64)
);
CREATE INDEX consents_user ON consents (user_id, accepted_at);

-- Failed-login counters per account and per client IP, shared by every
-- replica (A7). subject is SHA-256 of the normalised email or the canonical
-- IP: the table is keyed the same way whether or not an account exists, so
-- a lockout says nothing about which emails are registered. Rows are
-- pseudonymous and short-lived (purged a day after the last failure).
CREATE TABLE login_throttle (
    scope           text NOT NULL,
    subject         bytea NOT NULL,
    failures        integer NOT NULL,
    last_failure_at timestamptz NOT NULL,
    locked_until    timestamptz,
    PRIMARY KEY (scope, subject),
    CONSTRAINT login_throttle_scope_valid CHECK (scope IN ('account', 'ip')),
    CONSTRAINT login_throttle_subject_sha256 CHECK (octet_length(subject) = 32),
    CONSTRAINT login_throttle_failures_positive CHECK (failures > 0)
);
CREATE INDEX login_throttle_last_failure ON login_throttle (last_failure_at);

ALTER TABLE credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE credentials FORCE ROW LEVEL SECURITY;
CREATE POLICY credentials_owner ON credentials
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_owner ON sessions
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

ALTER TABLE consents ENABLE ROW LEVEL SECURITY;
ALTER TABLE consents FORCE ROW LEVEL SECURITY;
CREATE POLICY consents_owner ON consents
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

-- FORCE makes the table owner subject to the policies too, and in
-- production the owner (the migration role) has no BYPASSRLS. The SECURITY
-- DEFINER functions below run as that owner, so the owner gets policies of
-- its own, limited to what those functions do. taskbridge_runtime is not a
-- member of the owner role, so these policies never apply to the server's
-- own queries; they only open the narrow doors the functions define.
DO $$
DECLARE
    owner name := (SELECT r.rolname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
                   WHERE c.oid = 'public.users'::regclass);
BEGIN
    EXECUTE format('CREATE POLICY users_definer_lookup ON users FOR SELECT TO %I USING (true)', owner);
    EXECUTE format('CREATE POLICY credentials_definer_lookup ON credentials FOR SELECT TO %I USING (true)', owner);
    EXECUTE format('CREATE POLICY sessions_definer_select ON sessions FOR SELECT TO %I USING (true)', owner);
    EXECUTE format('CREATE POLICY sessions_definer_update ON sessions FOR UPDATE TO %I USING (true) WITH CHECK (true)', owner);
    EXECUTE format('CREATE POLICY sessions_definer_delete ON sessions FOR DELETE TO %I USING (true)', owner);
END
$$;

-- The login form: the user id and password hash for one exact, normalised
-- email. Nothing else about the user is returned.
CREATE FUNCTION account_login_lookup(p_email text)
    RETURNS TABLE (user_id uuid, password_hash text)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
        SELECT u.id, c.password_hash
        FROM public.users u JOIN public.credentials c ON c.user_id = u.id
        WHERE u.email = p_email
    $$;

-- The session cookie: given the SHA-256 of a cookie value, delete the
-- session if it is past its absolute expiry or idle timeout, otherwise
-- record the activity and return its user and CSRF key. The clock is a
-- parameter so tests can move it; the server passes its own time.
CREATE FUNCTION account_session_resume(p_id bytea, p_now timestamptz, p_idle interval)
    RETURNS TABLE (user_id uuid, csrf_secret bytea, expires_at timestamptz)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, public
    AS $$
    #variable_conflict use_column
    BEGIN
        DELETE FROM public.sessions s
        WHERE s.id = p_id AND (s.expires_at <= p_now OR s.last_seen_at <= p_now - p_idle);
        RETURN QUERY
            UPDATE public.sessions s SET last_seen_at = greatest(s.last_seen_at, p_now)
            WHERE s.id = p_id
            RETURNING s.user_id, s.csrf_secret, s.expires_at;
    END
    $$;

-- Retention: removes every session past its expiry or idle timeout.
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

REVOKE ALL ON credentials, sessions, consents, login_throttle FROM PUBLIC;
REVOKE ALL ON FUNCTION account_login_lookup(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION account_session_resume(bytea, timestamptz, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION account_purge_expired_sessions(timestamptz, interval) FROM PUBLIC;

-- Only the DML the server uses (P2). Sessions are created and deleted
-- (login, logout) under the user's own identity; reading them by cookie is
-- the function's job. Nothing deletes credentials or consents except the
-- cascade from users.
GRANT SELECT, INSERT, UPDATE ON credentials TO taskbridge_runtime;
GRANT SELECT, INSERT, DELETE ON sessions TO taskbridge_runtime;
GRANT SELECT, INSERT ON consents TO taskbridge_runtime;
GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION account_login_lookup(text) TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION account_session_resume(bytea, timestamptz, interval) TO taskbridge_runtime;
GRANT EXECUTE ON FUNCTION account_purge_expired_sessions(timestamptz, interval) TO taskbridge_runtime;
