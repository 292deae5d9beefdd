package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/google/uuid"
)

// Subject is the pseudonym the trail stores for userID under the active
// key: HMAC-SHA256 of the user id, base64url. Without the key and the user
// id it links to no one, so erasing the user row (D4) leaves the trail
// intact and anonymous at once.
func (k *Keys) Subject(userID uuid.UUID) string {
	return subject(k.subject[k.active], userID)
}

// Subjects is userID's pseudonym under every key, newest first: what an
// export or an erasure report looks up (`WHERE actor = ANY($1)`).
func (k *Keys) Subjects(userID uuid.UUID) []string {
	out := make([]string, 0, len(k.order))
	for _, id := range k.order {
		out = append(out, subject(k.subject[id], userID))
	}
	return out
}

func subject(key []byte, userID uuid.UUID) string {
	m := hmac.New(sha256.New, key)
	m.Write(userID[:])
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
