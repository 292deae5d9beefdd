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
)

// MinRetention is the floor audit_age_out enforces: no cutoff is accepted
// that would remove events younger than this.
const MinRetention = 30 * 24 * time.Hour

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
func Verify(ctx context.Context, store ChainStore, keys *Keys, anchor *Anchor) (Report, error) {
	var rep Report
	err := store.InSnapshot(ctx, func(tx ChainSnapshot) error {
		_, err := newVerifier(keys, &rep).run(ctx, tx, nil, math.MaxInt64, anchor)
		return err
	})
	return rep, err
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
	checkpoints map[int64][]Checkpoint // seq -> checkpoints with a valid MAC
	now         time.Time
	maxCheck    int64
	pos         position // hash nil until the walk has a starting point
}

func newVerifier(keys *Keys, rep *Report) *verifier {
	return &verifier{keys: keys, rep: rep, checkpoints: map[int64][]Checkpoint{}}
}

// valid reports whether the checkpoint's MAC verifies under a configured
// key.
func (c Checkpoint) valid(keys *Keys) bool {
	key, ok := keys.chain[c.KeyID]
	return ok && hmac.Equal(checkpointMAC(key, c.Seq, c.Head, c.At), c.MAC)
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
func (v *verifier) run(ctx context.Context, tx ChainSnapshot, from *position, limit int64, anchor *Anchor) (done bool, err error) {
	var first, head int64
	if v.now, first, head, err = tx.Extent(ctx); err != nil {
		return false, err
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
func (v *verifier) loadCheckpoints(ctx context.Context, tx ChainSnapshot, lo, hi int64) error {
	cs, err := tx.Checkpoints(ctx, lo, hi)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if !v.checkpointValid(c) {
			continue
		}
		v.checkpoints[c.Seq] = append(v.checkpoints[c.Seq], c)
		v.maxCheck = max(v.maxCheck, c.Seq)
		v.rep.Checkpoints++
	}
	return nil
}

// checkpointValid reports a checkpoint whose key is missing or whose MAC
// does not verify.
func (v *verifier) checkpointValid(c Checkpoint) bool {
	if _, ok := v.keys.chain[c.KeyID]; !ok {
		v.problem(Problem{Seq: c.Seq, Kind: "key", Detail: fmt.Sprintf("checkpoint %d was signed with key %q, which is not configured", c.ID, c.KeyID)})
		return false
	}
	if !c.valid(v.keys) {
		v.problem(Problem{Seq: c.Seq, Kind: "checkpoint", Detail: fmt.Sprintf("checkpoint %d does not verify: altered, forged, or a different audit key", c.ID)})
		return false
	}
	return true
}

func (v *verifier) walk(ctx context.Context, tx ChainSnapshot, lo, hi int64, anchor *Anchor) error {
	err := tx.WalkSeals(ctx, lo, hi, func(se SealedEvent) error {
		seq, eventID, keyID, stored, r := se.Seq, se.EventID, se.KeyID, se.Hash, se.Event
		present := r != nil
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
			got = link(key, seq, prev, r)
			if !hmac.Equal(got, stored) {
				v.problem(Problem{Seq: seq, EventID: eventID, Kind: "edited", Detail: "the event or its seal differs from what was sealed (or the audit key is wrong)"})
				// Resynchronise on the stored value, so one edit is
				// reported once and later damage is still found.
				got = stored
			}
		}
		at := v.pos.at
		if present {
			if p, bad := outOfTimeOrder(seq, v.pos.at, r); bad {
				v.problem(p)
			}
			at = r.OccurredAt
		}
		for _, c := range v.checkpoints[seq] {
			if !hmac.Equal(c.Head, got) {
				v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: "the chain no longer matches the checkpoint at this position"})
			}
		}
		if anchor != nil && anchor.Seq == seq && !hmac.Equal(anchor.Hash, got) {
			v.problem(Problem{Seq: seq, Kind: "checkpoint", Detail: "the chain does not match the external anchor"})
		}
		v.pos = position{seq: seq, eventID: eventID, hash: got, at: at, through: seq}
		return nil
	})
	if err != nil {
		return err
	}
	v.rep.HeadSeq, v.rep.HeadHash = v.pos.seq, v.pos.hash
	return nil
}

// checkEnd runs once a walk has reached the head: no valid checkpoint or
// anchor may lie beyond it, and a checkpoint must cover it.
func (v *verifier) checkEnd(ctx context.Context, tx ChainSnapshot, head int64, anchor *Anchor) error {
	cs, err := tx.CheckpointsAfter(ctx, head, maxProblems)
	if err != nil {
		return err
	}
	beyond := int64(0)
	for _, c := range cs {
		if v.checkpointValid(c) {
			beyond = max(beyond, c.Seq)
		}
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
	v.rep.Unsealed, err = tx.CountEventsAfter(ctx, v.pos.eventID)
	return err
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
		if age := v.now.Sub(cs[0].At); age < MinRetention {
			v.problem(Problem{Seq: seq, Kind: "deleted", Detail: fmt.Sprintf("the chain starts at seq %d, but its anchor checkpoint is only %s old: events younger than the minimum retention were removed", seq, age.Round(time.Second))})
		}
		return cs[0].Head
	}
	v.problem(Problem{Seq: seq, Kind: "deleted", Detail: fmt.Sprintf("the chain starts at seq %d and no checkpoint anchors seq %d", seq, seq-1)})
	return genesis()
}

// findStrayEvents reports events in the walked range (after event
// afterEvent, up to the last event walked) that no seal covers: inserted
// afterwards.
func (v *verifier) findStrayEvents(ctx context.Context, tx ChainSnapshot, afterEvent int64) error {
	ids, err := tx.UnsealedEvents(ctx, afterEvent, v.pos.eventID, maxProblems)
	if err != nil {
		return err
	}
	for _, id := range ids {
		v.problem(Problem{EventID: id, Kind: "inserted", Detail: "an event inside the sealed range has no seal"})
	}
	return nil
}
