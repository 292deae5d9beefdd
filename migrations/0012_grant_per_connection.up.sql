-- A grant per connection, not per (user, client) (P7, issue 15 item 5).
-- Every ChatGPT connection uses the same client ID metadata document URL
-- (and the same redirect URI), so one user's two connections (two
-- workspaces) shared one grant: the account page listed them as one app and
-- one Disconnect ended both. Each authorization now records its own grant,
-- which the refresh family its code starts belongs to, so each connection
-- is listed, limited and revoked on its own. The server takes over a grant
-- of the same client with nothing live under it rather than adding one.
DROP INDEX oauth_grants_active;
CREATE INDEX oauth_grants_user_client ON oauth_grants (user_id, client_id) WHERE revoked_at IS NULL;
