-- Back to one active grant per (user, client): the newest connection of
-- each stays, older ones end as if disconnected (their tokens stop at the
-- next request, since every token check requires an active grant). The
-- owner reads every user's grants here, so row-level security is lifted
-- for the owner inside this migration's transaction only.
ALTER TABLE oauth_grants NO FORCE ROW LEVEL SECURITY;
UPDATE oauth_grants g SET revoked_at = now(), updated_at = now()
WHERE g.revoked_at IS NULL AND EXISTS (
    SELECT 1 FROM oauth_grants n
    WHERE n.user_id = g.user_id AND n.client_id = g.client_id AND n.revoked_at IS NULL
      AND (n.created_at, n.id) > (g.created_at, g.id));
ALTER TABLE oauth_grants FORCE ROW LEVEL SECURITY;
DROP INDEX oauth_grants_user_client;
CREATE UNIQUE INDEX oauth_grants_active ON oauth_grants (user_id, client_id) WHERE revoked_at IS NULL;
