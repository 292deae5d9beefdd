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
// host hands to the widget and never to the model. purge_task is visible
// only to the app (_meta.ui.visibility ["app"]) and requires that token:
//
//	token = base64url(HMAC-SHA256(key, "purge" | user | task | expiry) || expiry)
//
// bound to the user, the task and a ten-minute expiry. A model that calls
// purge_task (if a host ever let it) has no token and cannot compute one.
// The HMAC alone is the guarantee; the widget-provenance check in
// purgeTask is an extra refusal for hosts that mark widget calls.

const purgeTTL = 10 * time.Minute

var errBadConfirmation = errors.New("permanent deletion needs the confirmation the task board shows to the user; it is missing, invalid or expired. Ask the user to delete the task permanently from the task board")

type purgeCodec struct {
	key []byte
	now func() time.Time
}

func (c purgeCodec) issue(user, taskID uuid.UUID) string {
	exp := make([]byte, 8)
	binary.BigEndian.PutUint64(exp, uint64(c.now().Add(purgeTTL).Unix()))
	return base64.RawURLEncoding.EncodeToString(append(c.mac(user, taskID, exp), exp...))
}

func (c purgeCodec) verify(user, taskID uuid.UUID, token string) error {
	if token == "" || len(token) > 128 {
		return errBadConfirmation
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token) // one spelling per token
	if err != nil || len(raw) != macLen+8 {
		return errBadConfirmation
	}
	sum, exp := raw[:macLen], raw[macLen:]
	// Constant-time comparison first, expiry second: both must hold.
	if !hmac.Equal(sum, c.mac(user, taskID, exp)) {
		return errBadConfirmation
	}
	if c.now().Unix() > int64(binary.BigEndian.Uint64(exp)) {
		return errBadConfirmation
	}
	return nil
}

func (c purgeCodec) mac(user, taskID uuid.UUID, exp []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("purge"))
	m.Write(user[:])
	m.Write(taskID[:])
	m.Write(exp)
	return m.Sum(nil)
}
