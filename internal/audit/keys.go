package audit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"

	"github.com/taskbridge/taskbridge/internal/keyring"
)

// KeySize is the length of an audit key in bytes.
const KeySize = keyring.KeySize

// Keys holds the audit keys: the active one seals new events and makes new
// pseudonyms; older ones still verify the part of the chain they sealed and
// still find a user's older events. The key is kept outside the database
// (TASKBRIDGE_AUDIT_KEY) so that write access to the tables is not enough to
// forge a seal.
type Keys struct {
	active  string
	order   []string
	chain   map[string][]byte // HMAC key of seals and checkpoints
	subject map[string][]byte // HMAC key of actor pseudonyms
	// ephemeral: a random key of this process only (EphemeralKeys).
	ephemeral bool
}

// ImplicitKeyID names a key given as bare base64 (`openssl rand -base64
// 32`), so that rotating it later reads "k2:new,k1:old".
const ImplicitKeyID = "k1"

// ParseKeys reads "kid:base64key[,kid:base64key...]", the first active (the
// format of TASKBRIDGE_ENCRYPTION_KEYS, so `taskbridge keys generate` makes
// one), or a single bare base64 key, which gets the id ImplicitKeyID.
func ParseKeys(spec string) (*Keys, error) {
	k := &Keys{chain: map[string][]byte{}, subject: map[string][]byte{}}
	if s := strings.TrimSpace(spec); s != "" && !strings.ContainsAny(s, ":,") {
		spec = ImplicitKeyID + ":" + s
	}
	for i, part := range strings.Split(spec, ",") {
		id, b64, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || id == "" || b64 == "" {
			return nil, fmt.Errorf("audit key %d: want kid:base64key", i+1)
		}
		if !keyring.ValidKeyID(id) {
			return nil, fmt.Errorf("audit key %d: id %q must be 1-32 letters, digits, '-' or '_'", i+1, id)
		}
		if _, dup := k.chain[id]; dup {
			return nil, fmt.Errorf("audit key %d: id %q appears twice", i+1, id)
		}
		raw, err := keyring.DecodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("audit key %q: %w", id, err)
		}
		k.add(id, raw)
	}
	return k, nil
}

// EphemeralKeys returns a random key for development and tests; a chain
// sealed with it cannot be verified after the process ends.
func EphemeralKeys() (*Keys, error) {
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate audit key: %w", err)
	}
	k := &Keys{chain: map[string][]byte{}, subject: map[string][]byte{}, ephemeral: true}
	k.add("ephemeral", raw)
	return k, nil
}

// Ephemeral reports whether the keys are EphemeralKeys: nothing sealed by
// an earlier process can be verified with them.
func (k *Keys) Ephemeral() bool { return k.ephemeral }

// ActiveID names the key that seals new events.
func (k *Keys) ActiveID() string { return k.active }

// add derives separate keys per purpose, so a pseudonym can never be
// replayed as a chain value or the other way round.
func (k *Keys) add(id string, raw []byte) {
	if k.active == "" {
		k.active = id
	}
	k.order = append(k.order, id)
	k.chain[id] = derive(raw, "taskbridge/audit/chain/v1")
	k.subject[id] = derive(raw, "taskbridge/audit/subject/v1")
}

func derive(raw []byte, purpose string) []byte {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
