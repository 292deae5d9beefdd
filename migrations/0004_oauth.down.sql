DROP TABLE IF EXISTS oauth_tokens;
DROP TABLE IF EXISTS oauth_codes;
DROP TABLE IF EXISTS oauth_token_families;
DROP TABLE IF EXISTS oauth_authorization_requests;
DROP TABLE IF EXISTS oauth_consent_records;
DROP TABLE IF EXISTS oauth_grants;
DROP TABLE IF EXISTS oauth_clients;
