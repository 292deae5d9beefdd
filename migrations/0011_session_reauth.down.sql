REVOKE UPDATE (reauth_failures, reauth_locked_until) ON sessions FROM taskbridge_runtime;
ALTER TABLE sessions
    DROP CONSTRAINT sessions_reauth_failures_nonnegative,
    DROP COLUMN reauth_locked_until,
    DROP COLUMN reauth_failures;
