-- Back to 0002's table-wide INSERT. Revoking INSERT on the table also
-- revokes the column-level INSERT grants of 0007.
REVOKE INSERT ON audit_events FROM taskbridge_runtime;
GRANT INSERT ON audit_events TO taskbridge_runtime;
