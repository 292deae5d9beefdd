package audit

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"fmt"
	"math"
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
// deleted, inserted or reordered event, an event dated before the one
// sealed ahead of it (MaxBackdating), a forged or removed seal, a chain
// cut short (a checkpoint or the anchor lies beyond the head) and a wrong
// key. It reads one consistent snapshot, so it can run while sealing goes
// on. Its work grows with the chain; serve's Sweeper does the same checks
// in bounded passes.
func Verify(ctx context.Context, db Querier, keys *Keys, anchor *Anchor) (Report, error) {
	var rep Report
	err := inSnapshot(ctx, db, func(tx pgx.Tx) error {
		_, err := newVerifier(keys, &rep).run(ctx, tx, nil, math.MaxInt64, anchor)
		return err
	})
	return rep, err
}

// inSnapshot runs fn in one REPEATABLE READ, READ ONLY transaction.
func inSnapshot(ctx context.Context, db Querier, fn func(pgx.Tx) error) error {
	tx, err := db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("audit verify: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	return fn(tx)
}

// position is where a walk stands: the last seal it verified, with the
// hash it computed there and its event's id and time, and the seq up to
// which it has looked (past seq when seals are missing there).
type position struct {
	seq     int64
	eventID int64
	hash    []byte
	at      time.Time
	through int64
}

type verifier struct {
	keys        *Keys
	rep         *Report
	checkpoints map[int64][]checkpointRow // seq -> checkpoints with a valid MAC
	now         time.Time
	maxCheck    int64
	pos         position // hash nil until the walk has a starting point
}

func newVerifier(keys *Keys, rep *Report) *verifier {
	return &verifier{keys: keys, rep: rep, checkpoints: map[int64][]checkpointRow{}}
}

type checkpointRow struct {
	head  []byte
	at    time.Time
	keyID string
	mac   []byte
}

// valid reports whether the checkpoint's MAC verifies at seq under a
// configured key.
func (c checkpointRow) valid(keys *Keys, seq int64) bool {
	key, ok := keys.chain[c.keyID]
	return ok && hmac.Equal(checkpointMAC(key, seq, c.head, c.at), c.mac)
}

func (v *verifier) problem(p Problem) {
	if len(v.rep.Problems) < maxProblems {
		v.rep.Problems = append(v.rep.Problems, p)
	}
}

// run verifies the seals after from (nil: from the first seal present) up
// to at most limit positions further, in tx's snapshot. When the walk
// reaches the head it also checks the end of the chain and counts the
// unsealed events, and returns done.
func (v *verifier) run(ctx context.Context, tx pgx.Tx, from *position, limit int64, anchor *Anchor) (done bool, err error) {
	var first, head int64
	if err := tx.QueryRow(ctx, `SELECT now(), COALESCE(min(seq), 1), COALESCE(max(seq), 0) FROM audit_seals`).Scan(&v.now, &first, &head); err != nil {
		return false, fmt.Errorf("read the chain's extent: %w", err)
	}
	lo := first - 1
	if from != nil {
		v.pos, lo = *from, from.through
	}
	hi := head
	if limit < head-lo {
		hi = lo + limit
	}
	if err := v.loadCheckpoints(ctx, tx, lo, hi); err != nil {
		return false, err
	}
	startEvent := v.pos.eventID
	if err := v.walk(ctx, tx, lo, hi, anchor); err != nil {
		return false, err
	}
	if err := v.findStrayEvents(ctx, tx, startEvent); err != nil {
		return false, err
	}
	if hi < head {
		v.pos.through = hi
		return false, nil
	}
	return true, v.checkEnd(ctx, tx, head, anchor)
}

// loadCheckpoints reads the checkpoints at seq lo..hi and keeps those whose
// MAC verifies.
func (v *verifier) loadCheckpoints(ctx context.Context, tx pgx.Tx, lo, hi int64) error {
	rows, err := tx.Query(ctx, `SELECT id, seq, head_hash, created_at, key_id, mac FROM audit_checkpoints
		WHERE seq BETWEEN $1 AND $2 ORDER BY seq, id`, lo, hi)
	if err != nil {
		return fmt.Errorf("read checkpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, seq int64
			c       checkpointRow
		)
		if err := rows.Scan(&id, &seq, &c.head, &c.at, &c.keyID, &c.mac); err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		if !v.checkpointValid(id, seq, c) {
			continue
		}
		v.checkpoints[seq] = append(v.checkpoints[seq], c)
		v.maxCheck = max(v.maxCheck, seq)
		v.rep.Checkpoints++
	}
	return rows.Err()
}

// checkpointValid reports a checkpoint whose key is missing or whose MAC
// does not verify.
func (v *verifier) checkpointValid(id, seq int64, c checkpointRow) bool {
	if _, ok := v.keys.chain[c.keyID]; !ok {
		v.problem(Problem{Seq: seq, Kind: "key", Detail: fmt.Sprintf("checkpoint %d was signed with key %q, which is not configured", id, c.keyID)})
		return false
	}
	if !c.valid(v.keys, seq) {
		v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: fmt.Sprintf("checkpoint %d does not verify: altered, forged, or a different audit key", id)})
		return false
	}
	return true
}

func (v *verifier) walk(ctx context.Context, tx pgx.Tx, lo, hi int64, anchor *Anchor) error {
	// The COALESCEs only make a missing event scannable; present says
	// whether it exists.
	rows, err := tx.Query(ctx, `SELECT s.seq, s.event_id, s.key_id, s.hash, e.id IS NOT NULL,
		COALESCE(e.id, 0), COALESCE(e.occurred_at, 'epoch'), COALESCE(e.event_type, ''), COALESCE(e.outcome, ''),
		e.actor, e.client_id, e.request_id, COALESCE(e.detail::text, '')
		FROM audit_seals s LEFT JOIN audit_events e ON e.id = s.event_id
		WHERE s.seq > $1 AND s.seq <= $2 ORDER BY s.seq`, lo, hi)
	if err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	defer rows.Close()
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
		prev := v.pos.hash
		switch {
		case prev == nil:
			prev = v.start(seq)
		case seq != v.pos.seq+1:
			v.problem(Problem{Seq: v.pos.seq + 1, Kind: "deleted", Detail: fmt.Sprintf("seals %d to %d are missing", v.pos.seq+1, seq-1)})
		}
		if v.rep.FirstSeq == 0 {
			v.rep.FirstSeq = seq
		}
		if eventID <= v.pos.eventID {
			v.problem(Problem{Seq: seq, EventID: eventID, Kind: "reordered", Detail: fmt.Sprintf("event %d is sealed after event %d", eventID, v.pos.eventID)})
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
		at := v.pos.at
		if present {
			if p, bad := outOfTimeOrder(seq, v.pos.at, &r); bad {
				v.problem(p)
			}
			at = r.OccurredAt
		}
		for _, c := range v.checkpoints[seq] {
			if !hmac.Equal(c.head, got) {
				v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: "the chain no longer matches the checkpoint at this position"})
			}
		}
		if anchor != nil && anchor.Seq == seq && !hmac.Equal(anchor.Hash, got) {
			v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: "the chain does not match the external anchor"})
		}
		v.pos = position{seq: seq, eventID: eventID, hash: got, at: at, through: seq}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read seals: %w", err)
	}
	v.rep.HeadSeq, v.rep.HeadHash = v.pos.seq, v.pos.hash
	return nil
}

// checkEnd runs once a walk has reached the head: no valid checkpoint or
// anchor may lie beyond it, and a checkpoint must cover it.
func (v *verifier) checkEnd(ctx context.Context, tx pgx.Tx, head int64, anchor *Anchor) error {
	rows, err := tx.Query(ctx, `SELECT id, seq, head_hash, created_at, key_id, mac FROM audit_checkpoints
		WHERE seq > $1 ORDER BY seq DESC, id LIMIT $2`, head, maxProblems)
	if err != nil {
		return fmt.Errorf("read checkpoints beyond the head: %w", err)
	}
	beyond := int64(0)
	for rows.Next() {
		var (
			id, seq int64
			c       checkpointRow
		)
		if err := rows.Scan(&id, &seq, &c.head, &c.at, &c.keyID, &c.mac); err != nil {
			rows.Close()
			return fmt.Errorf("read checkpoint: %w", err)
		}
		if v.checkpointValid(id, seq, c) {
			beyond = max(beyond, seq)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read checkpoints beyond the head: %w", err)
	}
	switch {
	case beyond > head:
		v.problem(Problem{Seq: head + 1, Kind: "truncated", Detail: fmt.Sprintf("a checkpoint vouches for %d sealed events but the chain ends at %d", beyond, head)})
	case head > 0 && len(v.checkpoints[head]) == 0:
		v.problem(Problem{Seq: head, Kind: "checkpoint", Detail: fmt.Sprintf("the head (seq %d) is not covered by a checkpoint (the last is at %d): a checkpoint was removed", head, v.maxCheck)})
	}
	if anchor != nil && anchor.Seq > head {
		v.problem(Problem{Seq: head + 1, Kind: "truncated", Detail: fmt.Sprintf("the external anchor is at seq %d but the chain ends at %d", anchor.Seq, head)})
	}
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE id > $1`, v.pos.eventID).Scan(&v.rep.Unsealed); err != nil {
		return fmt.Errorf("count unsealed events: %w", err)
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

// findStrayEvents reports events in the walked range (after event
// afterEvent, up to the last event walked) that no seal covers: inserted
// afterwards.
func (v *verifier) findStrayEvents(ctx context.Context, tx pgx.Tx, afterEvent int64) error {
	rows, err := tx.Query(ctx, `SELECT e.id FROM audit_events e
		WHERE e.id > $1 AND e.id <= $2 AND NOT EXISTS (SELECT 1 FROM audit_seals s WHERE s.event_id = e.id)
		ORDER BY e.id LIMIT $3`, afterEvent, v.pos.eventID, maxProblems)
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
	return nil
}
