// Package keyring encrypts sensitive payloads at rest with AES-256-GCM (D7).
// Each ciphertext is stored with the id of its key, so a new key can become
// active while rows sealed under older keys still open; a rotation job
// re-seals old rows in the background, and then the old key is removed (S2).
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

// ErrUnknownKey means a row was sealed under a key this keyring does not hold.
var ErrUnknownKey = errors.New("unknown encryption key id")

// ErrOpen means a ciphertext failed authentication: it was altered, moved to
// another row, or sealed under a different key with the same id.
var ErrOpen = errors.New("ciphertext failed authentication")

// Keyring holds the active key and any older keys still needed to open rows.
type Keyring struct {
	active  string
	order   []string
	aeads   map[string]cipher.AEAD
	macKeys map[string][]byte // derived from each key for MAC, never used to encrypt
}

// Parse reads "kid:base64key[,kid:base64key...]"; the first key is active.
// Key ids are short names (letters, digits, '-', '_'), keys are 32 bytes of
// standard or URL-safe base64.
func Parse(spec string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}, macKeys: map[string][]byte{}}
	for i, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		id, b64, ok := strings.Cut(part, ":")
		if !ok || id == "" || b64 == "" {
			return nil, fmt.Errorf("key %d: want kid:base64key", i+1)
		}
		if !ValidKeyID(id) {
			return nil, fmt.Errorf("key %d: id %q must be 1-32 letters, digits, '-' or '_'", i+1, id)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("key %d: id %q appears twice", i+1, id)
		}
		raw, err := DecodeKey(b64)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		aead, err := newAEAD(raw)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", id, err)
		}
		k.aeads[id] = aead
		k.macKeys[id] = deriveMACKey(raw)
		k.order = append(k.order, id)
	}
	k.active = k.order[0]
	return k, nil
}

// Generate returns a keyring spec with one fresh random key.
func Generate(id string) (string, error) {
	if !ValidKeyID(id) {
		return "", fmt.Errorf("key id %q must be 1-32 letters, digits, '-' or '_'", id)
	}
	raw := make([]byte, KeySize)
	if _, err := rand.Read(raw); err != nil {
		return "", fmt.Errorf("generate key: %w", err)
	}
	return id + ":" + base64.StdEncoding.EncodeToString(raw), nil
}

// ActiveKeyID names the key new data is sealed under.
func (k *Keyring) ActiveKeyID() string { return k.active }

// KeyIDs lists every key id, the active one first.
func (k *Keyring) KeyIDs() []string { return append([]string(nil), k.order...) }

// Seal encrypts plaintext under the active key. aad binds the ciphertext to
// its context (for example the row id), so it cannot be moved elsewhere.
func (k *Keyring) Seal(plaintext, aad []byte) (sealed []byte, keyID string, err error) {
	aead := k.aeads[k.active]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, "", fmt.Errorf("seal: %w", err)
	}
	return aead.Seal(nonce, nonce, plaintext, aad), k.active, nil
}

// Open decrypts a ciphertext sealed under keyID with the same aad.
func (k *Keyring) Open(sealed []byte, keyID string, aad []byte) ([]byte, error) {
	aead, ok := k.aeads[keyID]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, keyID)
	}
	ns := aead.NonceSize()
	if len(sealed) < ns+aead.Overhead() {
		return nil, ErrOpen
	}
	pt, err := aead.Open(nil, sealed[:ns], sealed[ns:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// MAC is a keyed hash (HMAC-SHA256) of data under the active key, for a
// lookup key that must not be recomputable from the database alone: an
// unkeyed hash of something with few possible values (an IPv4 address)
// is reversed by trying them all. purpose keeps different uses apart.
func (k *Keyring) MAC(purpose string, data []byte) []byte {
	return k.mac(k.active, purpose, data)
}

// MACs is MAC under every key, the active one first: what a lookup tries
// while rows keyed before a rotation remain.
func (k *Keyring) MACs(purpose string, data []byte) [][]byte {
	out := make([][]byte, 0, len(k.order))
	for _, id := range k.order {
		out = append(out, k.mac(id, purpose, data))
	}
	return out
}

func (k *Keyring) mac(id, purpose string, data []byte) []byte {
	m := hmac.New(sha256.New, k.macKeys[id])
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(data)
	return m.Sum(nil)
}

// deriveMACKey separates the MAC key from the AES key it comes from.
func deriveMACKey(raw []byte) []byte {
	m := hmac.New(sha256.New, raw)
	m.Write([]byte("taskbridge/keyring/mac/v1"))
	return m.Sum(nil)
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return cipher.NewGCM(block)
}

// DecodeKey reads a 32-byte key written in standard or URL-safe base64,
// padded or not.
func DecodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			if len(raw) != KeySize {
				return nil, fmt.Errorf("key is %d bytes; want %d", len(raw), KeySize)
			}
			return raw, nil
		}
	}
	return nil, errors.New("key is not base64")
}

// ValidKeyID reports whether id is a usable key id: 1-32 letters, digits,
// '-' or '_'.
func ValidKeyID(id string) bool {
	if len(id) == 0 || len(id) > 32 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
