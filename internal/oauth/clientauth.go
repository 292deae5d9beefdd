package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"

	"github.com/alexedwards/argon2id"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// clientSecretParams pins argon2id's cost for client secrets (S3) instead of
// the library default, whose parallelism follows the host's CPU count.
// The secret is 256 random bits, so the hash guards the database copy, not
// a guessable value; OWASP's minimum profile is enough.
var clientSecretParams = argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newClientSecret() (plain, hash string, err error) {
	plain, _ = newSecret(prefixClientSecret)
	hash, err = argon2id.CreateHash(plain, &clientSecretParams)
	return plain, hash, err
}

// authenticateClient identifies the client of a token or revocation request
// (RFC 6749 §2.3). Public clients send only client_id; confidential ones
// must present their secret by client_secret_basic or client_secret_post
// (either is accepted; both at once is refused). Credentials in the URL
// query are ignored: only the body and the Authorization header count.
// When authentication fails it also returns the id of the registered
// client the request named (a wrong or missing secret), or "" when it
// named none: an id the caller made up is never returned, so it cannot
// reach the audit trail.
func (s *Server) authenticateClient(ctx context.Context, r *http.Request, form url.Values) (*postgres.OAuthClient, string, error) {
	id, secret := form.Get("client_id"), form.Get("client_secret")
	basicID, basicSecret, hasBasic := r.BasicAuth()
	if hasBasic {
		if secret != "" {
			return nil, "", errInvalidRequest("use one client authentication method")
		}
		var err1, err2 error
		basicID, err1 = url.QueryUnescape(basicID)
		basicSecret, err2 = url.QueryUnescape(basicSecret)
		if err1 != nil || err2 != nil || (id != "" && id != basicID) {
			return nil, "", errInvalidClient
		}
		id, secret = basicID, basicSecret
	}
	if id == "" {
		return nil, "", errInvalidClient
	}
	client, err := s.clientByID(ctx, id)
	if errors.Is(err, ErrNotFound) || errors.Is(err, errClientUnavailable) {
		return nil, "", errInvalidClient
	}
	if err != nil {
		return nil, "", err
	}
	if publicClient(client) {
		if secret != "" {
			return nil, client.ID, errInvalidClient
		}
		return client, "", nil
	}
	if secret == "" {
		return nil, client.ID, errInvalidClient
	}
	ok, err := argon2id.ComparePasswordAndHash(secret, client.SecretHash)
	if err != nil || !ok {
		return nil, client.ID, errInvalidClient
	}
	return client, "", nil
}

// equalString compares secrets-derived values in constant time.
func equalString(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
