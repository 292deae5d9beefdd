-- Re-authentication inside a session (D4, A7). The password that confirms
-- an account erasure used to count against the account's login throttle,
-- so five wrong passwords from anyone who knew the email also stopped the
-- signed-in owner from deleting the account. Its failures now count on the
-- session itself: someone else's failed logins cannot block it, and a
-- borrowed session still gets only a few guesses (doubling lockout). The
-- counter goes with the session (logout, expiry, erasure).
ALTER TABLE sessions
    ADD COLUMN reauth_failures integer NOT NULL DEFAULT 0,
    ADD COLUMN reauth_locked_until timestamptz,
    ADD CONSTRAINT sessions_reauth_failures_nonnegative CHECK (reauth_failures >= 0);

-- The server changes only these two columns of a session, as its owner.
GRANT UPDATE (reauth_failures, reauth_locked_until) ON sessions TO taskbridge_runtime;
