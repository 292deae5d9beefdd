package mcpapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/task"
)

// Cursors are opaque to the model but carry no secret: the position of the
// last task of a page (its creation time and id) and an expiry. What makes
// them safe is the MAC, which also covers the caller's user id and a digest
// of the filter, neither of which is in the cursor itself (so no internal id
// reaches the model, D2). A cursor edited, replayed by another user, or used
// with a different filter fails verification instead of paging somewhere
// else (I1).

const (
	cursorVersion = 1
	cursorTTL     = time.Hour
	cursorBodyLen = 1 + 8 + 8 + 16 // version, expiry, created_at, task id
	macLen        = sha256.Size
	// maxCursorLen bounds what is decoded at all.
	maxCursorLen = 256
)

var errBadCursor = errors.New("cursor is invalid, expired or belongs to another query; list again without a cursor")

type cursorCodec struct {
	key []byte   // signs
	old [][]byte // previous keys: verify only, while the key rotates
	now func() time.Time
}

func (c cursorCodec) encode(user uuid.UUID, filterDigest [32]byte, pos task.Position) string {
	body := make([]byte, cursorBodyLen, cursorBodyLen+macLen)
	body[0] = cursorVersion
	binary.BigEndian.PutUint64(body[1:], uint64(c.now().Add(cursorTTL).Unix()))
	binary.BigEndian.PutUint64(body[9:], uint64(pos.CreatedAt.UnixNano()))
	copy(body[17:], pos.ID[:])
	return base64.RawURLEncoding.EncodeToString(append(body, c.mac(user, filterDigest, body)...))
}

func (c cursorCodec) decode(user uuid.UUID, filterDigest [32]byte, s string) (task.Position, error) {
	if len(s) > maxCursorLen {
		return task.Position{}, errBadCursor
	}
	// Strict: the unused low bits of the last character must be zero, so a
	// cursor has one spelling only (FuzzCursorDecode found the second).
	raw, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil || len(raw) != cursorBodyLen+macLen || raw[0] != cursorVersion {
		return task.Position{}, errBadCursor
	}
	body, sum := raw[:cursorBodyLen], raw[cursorBodyLen:]
	if !anyKeyMatches(sum, c.key, c.old, func(k []byte) []byte { return cursorMAC(k, user, filterDigest, body) }) {
		return task.Position{}, errBadCursor
	}
	if c.now().Unix() > int64(binary.BigEndian.Uint64(body[1:])) {
		return task.Position{}, errBadCursor
	}
	var pos task.Position
	pos.CreatedAt = time.Unix(0, int64(binary.BigEndian.Uint64(body[9:]))).UTC()
	copy(pos.ID[:], body[17:])
	return pos, nil
}

func (c cursorCodec) mac(user uuid.UUID, filterDigest [32]byte, body []byte) []byte {
	return cursorMAC(c.key, user, filterDigest, body)
}

func cursorMAC(key []byte, user uuid.UUID, filterDigest [32]byte, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("taskbridge/cursor/v1\x00"))
	m.Write(user[:])
	m.Write(filterDigest[:])
	m.Write(body)
	return m.Sum(nil)
}

// filterDigest identifies a normalized filter (without its page size, which
// may change between pages) so a cursor only continues the query it came
// from.
func filterDigest(f task.Filter) [32]byte {
	var b strings.Builder
	b.WriteString(string(f.Status))
	b.WriteByte(0)
	if f.DueBefore != nil {
		b.WriteString(f.DueBefore.String())
	}
	b.WriteByte(0)
	if f.DueAfter != nil {
		b.WriteString(f.DueAfter.String())
	}
	b.WriteByte(0)
	b.WriteString(f.Tag)
	b.WriteByte(0)
	b.WriteString(f.Query)
	b.WriteByte(0)
	b.WriteString(string(f.View))
	return sha256.Sum256([]byte(b.String()))
}

// anyKeyMatches reports whether sum is the MAC under the signing key or one
// of the previous keys (TASKBRIDGE_MCP_STATE_KEY "new,old": rotation without
// refusing what was signed just before). Each comparison is constant-time.
func anyKeyMatches(sum, key []byte, old [][]byte, mac func(key []byte) []byte) bool {
	if hmac.Equal(sum, mac(key)) {
		return true
	}
	for _, k := range old {
		if hmac.Equal(sum, mac(k)) {
			return true
		}
	}
	return false
}
