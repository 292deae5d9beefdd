package oauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Prefixes make a leaked secret recognisable to secret scanners and to the
// log redactor, and say what kind of secret it is.
const (
	prefixAccessToken   = "tbat_"
	prefixRefreshToken  = "tbrt_"
	prefixCode          = "tbac_"
	prefixClientSecret  = "tbcs_"
	prefixClientID      = "tbc_"
	prefixConsentHandle = "tbcf_"
)

// newSecret returns a fresh 256-bit random secret and the SHA-256 hash that
// is the only thing stored (A5). A plain hash is enough: the input has 256
// bits of entropy, so there is nothing to brute-force, and a lookup by hash
// costs one index probe per request (argon2id is for low-entropy secrets).
func newSecret(prefix string) (plain string, hash []byte) {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	plain = prefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plain, hashSecret(plain)
}

// wellFormedSecret reports whether s has the shape newSecret gives: the
// prefix, then 32 bytes in unpadded base64url. Nothing else can be a secret
// this server issued, so it is refused without a database lookup.
func wellFormedSecret(s, prefix string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(32) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// hashSecret is the lookup key of a code, token or consent handle.
func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// newClientID returns a public, unguessable client identifier.
func newClientID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return prefixClientID + base64.RawURLEncoding.EncodeToString(b[:])
}
