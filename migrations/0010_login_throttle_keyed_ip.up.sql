-- Failed-login counters per client IP were named by a plain SHA-256 of the
-- address, which is reversed by hashing every IPv4 address (seconds). They
-- are now named by an HMAC under the server's keyring (internal/account
-- ipSubject). The old rows would never match again and would keep the
-- recoverable hashes until the retention purge: remove them now. This
-- forgets at most an hour of per-IP counts (DefaultIPThrottle); per-account
-- counters are unchanged.
DELETE FROM login_throttle WHERE scope = 'ip';

-- Subjects are SHA-256 (accounts) or HMAC-SHA256 (IPs): both 32 bytes.
ALTER TABLE login_throttle RENAME CONSTRAINT login_throttle_subject_sha256 TO login_throttle_subject_size;
