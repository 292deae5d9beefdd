DROP FUNCTION IF EXISTS account_purge_expired_sessions(timestamptz, interval);
DROP FUNCTION IF EXISTS account_session_resume(bytea, timestamptz, interval);
DROP FUNCTION IF EXISTS account_login_lookup(text);
DROP POLICY IF EXISTS users_definer_lookup ON users;
DROP TABLE IF EXISTS login_throttle;
DROP TABLE IF EXISTS consents;
DROP TABLE IF EXISTS sessions;
DROP TABLE IF EXISTS credentials;
