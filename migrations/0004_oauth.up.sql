-- The OAuth 2.1 authorization server: clients, pending authorization
-- requests, grants and their consent history, codes and tokens.
--
-- Two kinds of table:
--  * user-owned (grants and consent records):
--    FORCE ROW LEVEL SECURITY keyed on app_current_user_id(), like tasks (A8);
--  * system tables looked up before the user is known (clients by id, codes,
--    tokens and pending consent requests by the SHA-256 of a secret). They hold no user-authored data
--    and no usable secret: a code or token is stored only as its hash, a
--    client secret only as an argon2id hash (A5, S3). Once such a lookup has
--    found the user, the server sets app.user_id and reads the grant under
--    row-level security.

CREATE TABLE oauth_clients (
    client_id      text PRIMARY KEY,
    -- 'dcr': registered through RFC 7591; 'cimd': client_id is the https URL
    -- of a client ID metadata document, fetched and cached here.
    kind           text NOT NULL,
    client_name    text NOT NULL DEFAULT '',
    redirect_uris  text[] NOT NULL,
    grant_types    text[] NOT NULL,
    token_endpoint_auth_method text NOT NULL,
    secret_hash    text,
    -- Scopes the client may ask for (empty: every scope).
    allowed_scopes text[] NOT NULL DEFAULT '{}',
    application_type text NOT NULL DEFAULT 'web',
    created_at     timestamptz NOT NULL,
    -- Registrations that never complete a grant expire (A2); the first grant
    -- clears this, so used registrations persist.
    expires_at     timestamptz,
    -- When a metadata document was last fetched (cimd only).
    fetched_at     timestamptz,
    CONSTRAINT oauth_clients_kind CHECK (kind IN ('dcr', 'cimd')),
    CONSTRAINT oauth_clients_id_length CHECK (char_length(client_id) BETWEEN 8 AND 512),
    CONSTRAINT oauth_clients_name_length CHECK (char_length(client_name) <= 100),
    CONSTRAINT oauth_clients_redirects CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
    CONSTRAINT oauth_clients_auth_method CHECK (token_endpoint_auth_method IN ('none', 'client_secret_post', 'client_secret_basic')),
    CONSTRAINT oauth_clients_secret CHECK ((token_endpoint_auth_method = 'none') = (secret_hash IS NULL)),
    CONSTRAINT oauth_clients_app_type CHECK (application_type IN ('web', 'native'))
);
CREATE INDEX oauth_clients_expiry ON oauth_clients (expires_at) WHERE expires_at IS NOT NULL;

-- One grant per (user, client) at a time: the scopes the user consented to
-- and the consent text version shown (P4). Tokens belong to a grant, so
-- revoking it ends them on the next request (P7).
CREATE TABLE oauth_grants (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id       text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    scopes          text[] NOT NULL,
    consent_version text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    CONSTRAINT oauth_grants_scopes CHECK (cardinality(scopes) BETWEEN 1 AND 8)
);
CREATE UNIQUE INDEX oauth_grants_active ON oauth_grants (user_id, client_id) WHERE revoked_at IS NULL;

-- Every consent decision and revocation, kept so a grant can be proven
-- later and shown to the user (P4, C3). Append-only for the server.
CREATE TABLE oauth_consent_records (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    grant_id        uuid,
    client_id       text NOT NULL,
    client_name     text NOT NULL,
    action          text NOT NULL,
    scopes          text[] NOT NULL,
    consent_version text NOT NULL,
    occurred_at     timestamptz NOT NULL,
    CONSTRAINT oauth_consent_action CHECK (action IN ('grant', 'deny', 'revoke'))
);
CREATE INDEX oauth_consent_user ON oauth_consent_records (user_id, occurred_at);

-- A validated authorization request waiting for the user's decision on the
-- consent page. The consent form carries a random token whose hash is the
-- key: single-use (DELETE ... RETURNING), bound to this request and to the
-- signed-in user (the lookup requires user_id to match). It is transient
-- protocol state with nothing the user wrote, lives for minutes and is purged
-- across all users, so it is a system table like codes and tokens.
CREATE TABLE oauth_authorization_requests (
    token_hash     bytea PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id      text NOT NULL REFERENCES oauth_clients (client_id) ON DELETE CASCADE,
    redirect_uri   text NOT NULL,
    scopes         text[] NOT NULL,
    state          text NOT NULL,
    code_challenge text NOT NULL,
    resource       text NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX oauth_authz_requests_expiry ON oauth_authorization_requests (expires_at);

-- A refresh-token family: everything issued from one authorization code.
-- Rotation locks this row (SELECT ... FOR UPDATE), so concurrent refreshes
-- are serialised; reuse of a rotated token revokes the whole family (A5).
CREATE TABLE oauth_token_families (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    grant_id      uuid NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id     text NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoke_reason text,
    CONSTRAINT oauth_families_reason CHECK (revoke_reason IN ('reuse', 'code_replay', 'grant_revoked', 'client_revoked'))
);
CREATE INDEX oauth_families_grant ON oauth_token_families (grant_id);

CREATE TABLE oauth_codes (
    code_hash      bytea PRIMARY KEY,
    grant_id       uuid NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    user_id        uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id      text NOT NULL,
    redirect_uri   text NOT NULL,
    code_challenge text NOT NULL,
    resource       text NOT NULL,
    scopes         text[] NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    -- Set on redemption; the row is kept until expiry so a replay can be
    -- recognised and the family it issued revoked.
    used_at        timestamptz,
    family_id      uuid REFERENCES oauth_token_families (id) ON DELETE SET NULL
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

CREATE TABLE oauth_tokens (
    token_hash   bytea PRIMARY KEY,
    kind         text NOT NULL,
    family_id    uuid NOT NULL REFERENCES oauth_token_families (id) ON DELETE CASCADE,
    grant_id     uuid NOT NULL REFERENCES oauth_grants (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id    text NOT NULL,
    scopes       text[] NOT NULL,
    audience     text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    -- Refresh tokens only: when it was rotated, and its successor. The
    -- successor's plaintext is kept sealed with the keyring (AES-256-GCM,
    -- bound to this row's hash) for the idempotency grace window only, so a
    -- client retrying a refresh whose answer it lost gets the same refresh
    -- token; PurgeExpiredTokens erases it afterwards.
    rotated_at        timestamptz,
    successor_hash    bytea,
    successor_sealed  bytea,
    successor_key_id  text,
    CONSTRAINT oauth_tokens_kind CHECK (kind IN ('access', 'refresh')),
    CONSTRAINT oauth_tokens_sealed_with_key CHECK ((successor_sealed IS NULL) = (successor_key_id IS NULL))
);
CREATE INDEX oauth_tokens_family ON oauth_tokens (family_id);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (grant_id);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

ALTER TABLE oauth_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY oauth_grants_owner ON oauth_grants
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

ALTER TABLE oauth_consent_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_consent_records FORCE ROW LEVEL SECURITY;
CREATE POLICY oauth_consent_owner ON oauth_consent_records
    USING (user_id = app_current_user_id())
    WITH CHECK (user_id = app_current_user_id());

REVOKE ALL ON oauth_clients, oauth_grants, oauth_consent_records, oauth_authorization_requests,
    oauth_token_families, oauth_codes, oauth_tokens FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_clients, oauth_grants, oauth_authorization_requests,
    oauth_token_families, oauth_codes, oauth_tokens TO taskbridge_runtime;
-- Consent records are evidence: the server may add and read them, never
-- change them. They go with the user's account (ON DELETE CASCADE, D4).
GRANT SELECT, INSERT ON oauth_consent_records TO taskbridge_runtime;
