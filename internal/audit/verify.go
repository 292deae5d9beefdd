package audit

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier is the part of a pool or connection Verify needs.
type Querier interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// Anchor is a checkpoint kept outside the database (from the sealer's log
// lines or the head-seq metric): "seq:hexhash". Verify fails if the chain
// no longer reaches it, which catches a truncation that also removed the
// in-database checkpoints.
type Anchor struct {
	Seq  int64
	Hash []byte
}

// ParseAnchor reads "seq:hexhash" as the sealer logs it.
func ParseAnchor(s string) (Anchor, error) {
	seqText, hashText, ok := strings.Cut(s, ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if !ok || err != nil || seq < 1 {
		return Anchor{}, fmt.Errorf("anchor %q: want seq:hexhash", s)
	}
	hash, err := hex.DecodeString(hashText)
	if err != nil || len(hash) != 32 {
		return Anchor{}, fmt.Errorf("anchor %q: the hash must be 64 hex digits", s)
	}
	return Anchor{Seq: seq, Hash: hash}, nil
}

// Problem is one way the trail differs from what was sealed.
type Problem struct {
	Seq     int64  // the chain position, 0 when not tied to one
	EventID int64  // the event concerned, 0 when none
	Kind    string // edited, deleted, inserted, reordered, truncated, checkpoint, key
	Detail  string
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Kind)
	if p.Seq > 0 {
		fmt.Fprintf(&b, " at seq %d", p.Seq)
	}
	if p.EventID > 0 {
		fmt.Fprintf(&b, " (event %d)", p.EventID)
	}
	b.WriteString(": ")
	b.WriteString(p.Detail)
	return b.String()
}

// Report is the outcome of Verify. OK means no problem was found.
type Report struct {
	FirstSeq    int64 // first seal present (1 unless old events aged out)
	HeadSeq     int64 // last seal present
	HeadHash    []byte
	Checkpoints int   // valid checkpoints checked
	Unsealed    int64 // committed events after the head, not yet sealed
	Problems    []Problem
}

// OK reports whether the trail verified.
func (r Report) OK() bool { return len(r.Problems) == 0 }

// maxProblems bounds the report; the first problem is what matters.
const maxProblems = 100

// Verify recomputes the chain from the event rows themselves: every link
// h_n is computed from the verifier's own h_{n-1} and the row as it is now,
// and only then compared with the stored seal. It detects an edited,
// deleted, inserted or reordered event, a forged or removed seal, a chain
// cut short (a checkpoint or the anchor lies beyond the head) and a wrong
// key. It reads one consistent snapshot, so it can run while sealing goes on.
func Verify(ctx context.Context, db Querier, keys *Keys, anchor *Anchor) (Report, error) {
	var rep Report
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	v := &verifier{keys: keys, rep: &rep}
	if err := v.loadCheckpoints(ctx, tx); err != nil {
		return rep, err
	}
	if err := v.walk(ctx, tx, anchor); err != nil {
		return rep, err
	}
	if err := v.findStrayEvents(ctx, tx); err != nil {
		return rep, err
	}
	return rep, nil
}

type verifier struct {
	keys        *Keys
	rep         *Report
	checkpoints map[int64][]checkpointRow // seq -> checkpoints with a valid MAC
	now         time.Time
	maxCheck    int64
	lastEvent   int64
}

type checkpointRow struct {
	head []byte
	at   time.Time
}

func (v *verifier) problem(p Problem) {
	if len(v.rep.Problems) < maxProblems {
		v.rep.Problems = append(v.rep.Problems, p)
	}
}

func (v *verifier) loadCheckpoints(ctx context.Context, tx pgx.Tx) error {
	if err := tx.QueryRow(ctx, `SELECT now()`).Scan(&v.now); err != nil {
		return fmt.Errorf("read the database clock: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT id, seq, head_hash, created_at, key_id, mac FROM audit_checkpoints ORDER BY seq, id`)
	if err != nil {
		return fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	v.checkpoints = map[int64][]checkpointRow{}
	for rows.Next() {
		var (
			id, seq   int64
			head, mac []byte
			at        time.Time
			keyID     string
		)
		if err := rows.Scan(&id, &seq, &head, &at, &keyID, &mac); err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		key, ok := v.keys.chain[keyID]
		if !ok {
			v.problem(Problem{Seq: seq, Kind: "key", Detail: fmt.Sprintf("checkpoint %d was signed with key %q, which is not configured", id, keyID)})
			continue
		}
		if !hmac.Equal(checkpointMAC(key, seq, head, at), mac) {
			v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: fmt.Sprintf("checkpoint %d does not verify: altered, forged, or a different audit key", id)})
			continue
		}
		v.checkpoints[seq] = append(v.checkpoints[seq], checkpointRow{head: head, at: at})
		v.maxCheck = max(v.maxCheck, seq)
		v.rep.Checkpoints++
	}
	return rows.Err()
}

func (v *verifier) walk(ctx context.Context, tx pgx.Tx, anchor *Anchor) error {
	// The COALESCEs only make a missing event scannable; present says
	// whether it exists.
	rows, err := tx.Query(ctx, `SELECT s.seq, s.event_id, s.key_id, s.hash, e.id IS NOT NULL,
		COALESCE(e.id, 0), COALESCE(e.occurred_at, 'epoch'), COALESCE(e.event_type, ''), COALESCE(e.outcome, ''),
		e.actor, e.client_id, e.request_id, COALESCE(e.detail::text, '')
		FROM audit_seals s LEFT JOIN audit_events e ON e.id = s.event_id ORDER BY s.seq`)
	if err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	defer rows.Close()
	var prev []byte
	var prevSeq, prevEvent int64
	for rows.Next() {
		var (
			seq, eventID int64
			keyID        string
			stored       []byte
			present      bool
			r            record
		)
		targets := append([]any{&seq, &eventID, &keyID, &stored, &present}, r.scanTargets()...)
		if err := rows.Scan(targets...); err != nil {
			return fmt.Errorf("read seal: %w", err)
		}
		switch {
		case prev == nil:
			v.rep.FirstSeq = seq
			prev = v.start(seq)
		case seq != prevSeq+1:
			v.problem(Problem{Seq: prevSeq + 1, Kind: "deleted", Detail: fmt.Sprintf("seals %d to %d are missing", prevSeq+1, seq-1)})
		}
		if eventID <= prevEvent {
			v.problem(Problem{Seq: seq, EventID: eventID, Kind: "reordered", Detail: fmt.Sprintf("event %d is sealed after event %d", eventID, prevEvent)})
		}
		got := stored
		key, known := v.keys.chain[keyID]
		switch {
		case !known:
			v.problem(Problem{Seq: seq, EventID: eventID, Kind: "key", Detail: fmt.Sprintf("sealed with key %q, which is not configured", keyID)})
		case !present:
			v.problem(Problem{Seq: seq, EventID: eventID, Kind: "deleted", Detail: "the sealed event is missing"})
		default:
			got = link(key, seq, prev, &r)
			if !hmac.Equal(got, stored) {
				v.problem(Problem{Seq: seq, EventID: eventID, Kind: "edited", Detail: "the event or its seal differs from what was sealed (or the audit key is wrong)"})
				// Resynchronise on the stored value, so one edit is
				// reported once and later damage is still found.
				got = stored
			}
		}
		for _, c := range v.checkpoints[seq] {
			if !hmac.Equal(c.head, got) {
				v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: "the chain no longer matches the checkpoint at this position"})
			}
		}
		if anchor != nil && anchor.Seq == seq && !hmac.Equal(anchor.Hash, got) {
			v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: "the chain does not match the external anchor"})
		}
		prev, prevSeq, prevEvent = got, seq, eventID
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	v.rep.HeadSeq, v.rep.HeadHash, v.lastEvent = prevSeq, prev, prevEvent
	if v.maxCheck > prevSeq {
		v.problem(Problem{Seq: prevSeq + 1, Kind: "truncated", Detail: fmt.Sprintf("a checkpoint vouches for %d sealed events but the chain ends at %d", v.maxCheck, prevSeq)})
	} else if prevSeq > 0 && v.maxCheck < prevSeq {
		v.problem(Problem{Seq: prevSeq, Kind: "checkpoint", Detail: fmt.Sprintf("the head (seq %d) is not covered by a checkpoint (the last is at %d): a checkpoint was removed", prevSeq, v.maxCheck)})
	}
	if anchor != nil && anchor.Seq > prevSeq {
		v.problem(Problem{Seq: prevSeq + 1, Kind: "truncated", Detail: fmt.Sprintf("the external anchor is at seq %d but the chain ends at %d", anchor.Seq, prevSeq)})
	}
	return nil
}

// start returns h_{seq-1} for the first seal present: genesis for seq 1, or
// the head hash of a valid checkpoint at seq-1 when older events have aged
// out. Without such an anchor the beginning of the chain was removed.
func (v *verifier) start(seq int64) []byte {
	if seq == 1 {
		return genesis()
	}
	if cs := v.checkpoints[seq-1]; len(cs) > 0 {
		// Ageing out removes only events past MinRetention, and the anchor
		// was written when its events were sealed: a younger anchor means
		// recent events were cut from the start.
		if age := v.now.Sub(cs[0].at); age < MinRetention {
			v.problem(Problem{Seq: seq, Kind: "deleted", Detail: fmt.Sprintf("the chain starts at seq %d, but its anchor checkpoint is only %s old: events younger than the minimum retention were removed", seq, age.Round(time.Second))})
		}
		return cs[0].head
	}
	v.problem(Problem{Seq: seq, Kind: "deleted", Detail: fmt.Sprintf("the chain starts at seq %d and no checkpoint anchors seq %d", seq, seq-1)})
	return genesis()
}

// findStrayEvents reports events inside the sealed range that no seal
// covers (inserted afterwards) and counts the unsealed tail.
func (v *verifier) findStrayEvents(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT e.id FROM audit_events e
		WHERE e.id <= $1 AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id)
		ORDER BY e.id LIMIT $2`, v.lastEvent, maxProblems)
	if err != nil {
		return fmt.Errorf("find unsealed events: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return fmt.Errorf("find unsealed events: %w", err)
	}
	for _, id := range ids {
		v.problem(Problem{EventID: id, Kind: "inserted", Detail: "an event inside the sealed range has no seal"})
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE id > $1`, v.lastEvent).Scan(&v.rep.Unsealed); err != nil {
		return fmt.Errorf("count unsealed events: %w", err)
	}
	return nil
}
