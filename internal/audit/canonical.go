package audit

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"time"
)

// Record is an audit_events row as the chain covers it.
type Record struct {
	ID         int64
	OccurredAt time.Time
	Type       string
	Outcome    string
	Actor      *string
	ClientID   *string
	RequestID  *string
	Detail     string // jsonb's own text form, which PostgreSQL normalises (key order, spacing)
}

// canonical encodes every column unambiguously: each field is length
// prefixed and NULL differs from "", so no two different rows encode alike.
func (r *Record) canonical() []byte {
	b := make([]byte, 0, 128+len(r.Detail))
	b = binary.BigEndian.AppendUint64(b, uint64(r.ID))
	b = binary.BigEndian.AppendUint64(b, uint64(r.OccurredAt.UnixMicro()))
	b = appendField(b, &r.Type)
	b = appendField(b, &r.Outcome)
	b = appendField(b, r.Actor)
	b = appendField(b, r.ClientID)
	b = appendField(b, r.RequestID)
	b = appendField(b, &r.Detail)
	return b
}

func appendField(b []byte, s *string) []byte {
	if s == nil {
		return binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(*s)))
	return append(b, *s...)
}

// link is h_seq = HMAC(key, "seal" || seq || h_{seq-1} || canonical(row)).
// The sequence number is inside the MAC, so seals cannot be renumbered.
func link(key []byte, seq int64, prev []byte, r *Record) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("taskbridge/audit/seal/v1"))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(seq)))
	m.Write(prev)
	m.Write(r.canonical())
	return m.Sum(nil)
}

// checkpointMAC vouches for the head (seq, hash) at a time.
func checkpointMAC(key []byte, seq int64, head []byte, at time.Time) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("taskbridge/audit/checkpoint/v1"))
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(seq)))
	m.Write(head)
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(at.UnixMicro())))
	return m.Sum(nil)
}

// genesis is h_0, the value the first seal links to.
func genesis() []byte { return make([]byte, sha256.Size) }
