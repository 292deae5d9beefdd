package mcpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"
)

// Permanent deletion (P6) needs a human step the model can neither perform
// nor forge. The server puts a confirmation token for each trashed task only
// in the widget-only part of a result (_meta["taskbridge/board"]), which the
// host hands to the widget and not to the model. purge_task is visible
// only to the app (_meta.ui.visibility ["app"]) and requires that token:
//
//	token = base64url(HMAC-SHA256(key, "purge" | user | task | deleted_at | expiry) || expiry)
//
// bound to the user, the task, this trashing of it (deleted_at, to the
// microsecond the database stores) and a ten-minute expiry. deleted_at is in
// the MAC but not in the token: purge_task reads it from the row, locked, in
// the transaction that deletes, so a token issued before a restore and a
// second trashing no longer verifies, and the row cannot change between the
// check and the delete. A model that calls purge_task (if a host ever let
// it) has no token and cannot compute one. The HMAC alone is the guarantee;
// the widget-provenance check in purgeTask is an extra refusal for hosts
// that mark widget calls.
//
// The guarantee rests on the host keeping result _meta from the model, as
// the Apps SDK and MCP Apps specify. A host that showed _meta to the model
// would hand it live tokens: the model could then purge the trashed tasks it
// saw, within ten minutes, and nothing else (only trashed tasks, only the
// user's own, only that trashing). Deps.RequireWidgetProvenance narrows
// that further on a host that marks widget calls in a way the model cannot.

const purgeTTL = 10 * time.Minute

var errBadConfirmation = errors.New("permanent deletion needs the confirmation the task board shows to the user; it is missing, invalid or expired. Ask the user to delete the task permanently from the task board")

type purgeCodec struct {
	key []byte   // signs
	old [][]byte // previous keys: verify only, while the key rotates
	now func() time.Time
}

// purgeToken is a confirmation whose form and expiry have been checked but
// whose MAC has not: that needs the row's deleted_at.
type purgeToken struct {
	sum, exp []byte
}

func (c purgeCodec) issue(user, taskID uuid.UUID, deletedAt time.Time) string {
	exp := make([]byte, 8)
	binary.BigEndian.PutUint64(exp, uint64(c.now().Add(purgeTTL).Unix()))
	return base64.RawURLEncoding.EncodeToString(append(c.mac(user, taskID, deletedAt, exp), exp...))
}

// parse checks what can be checked without the database: the form (one
// spelling per token) and the expiry.
func (c purgeCodec) parse(token string) (purgeToken, error) {
	if token == "" || len(token) > 128 {
		return purgeToken{}, errBadConfirmation
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != macLen+8 {
		return purgeToken{}, errBadConfirmation
	}
	t := purgeToken{sum: raw[:macLen], exp: raw[macLen:]}
	if c.now().Unix() > int64(binary.BigEndian.Uint64(t.exp)) {
		return purgeToken{}, errBadConfirmation
	}
	return t, nil
}

// check verifies a parsed token's MAC for the user, the task and the
// deleted_at the row has now (constant-time comparison).
func (c purgeCodec) check(user, taskID uuid.UUID, deletedAt time.Time, t purgeToken) error {
	if !anyKeyMatches(t.sum, c.key, c.old, func(k []byte) []byte { return purgeMAC(k, user, taskID, deletedAt, t.exp) }) {
		return errBadConfirmation
	}
	return nil
}

// verify is parse and check in one: the token is well formed, unexpired and
// was issued for exactly this user, task and trashing.
func (c purgeCodec) verify(user, taskID uuid.UUID, deletedAt time.Time, token string) error {
	t, err := c.parse(token)
	if err != nil {
		return err
	}
	return c.check(user, taskID, deletedAt, t)
}

func (c purgeCodec) mac(user, taskID uuid.UUID, deletedAt time.Time, exp []byte) []byte {
	return purgeMAC(c.key, user, taskID, deletedAt, exp)
}

func purgeMAC(key []byte, user, taskID uuid.UUID, deletedAt time.Time, exp []byte) []byte {
	var at [8]byte
	binary.BigEndian.PutUint64(at[:], uint64(deletedAt.UnixMicro()))
	m := hmac.New(sha256.New, key)
	m.Write([]byte("purge"))
	m.Write(user[:])
	m.Write(taskID[:])
	m.Write(at[:])
	m.Write(exp)
	return m.Sum(nil)
}
