package audit

import (
	"context"
	"time"
)

// The Sealer, Verify and the Sweeper compute and check the chain; the rows
// they read and write are kept by a ChainStore (postgres.AuditChain), so
// this package holds no SQL.

// ChainStore is where the chain is kept.
type ChainStore interface {
	// InSealTx runs fn in one read-write transaction that holds the sealer
	// lock, which keeps the chain linear: one sealer pass at a time across
	// every replica and the CLI. With wait false it returns locked false at
	// once, without calling fn, when another pass holds the lock.
	InSealTx(ctx context.Context, wait bool, fn func(SealTx) error) (locked bool, err error)
	// NewTransactionID assigns a fresh transaction id in a short transaction
	// of its own: every transaction that got its id earlier has a smaller one.
	NewTransactionID(ctx context.Context) (int64, error)
	// InSnapshot runs fn in one consistent, read-only snapshot.
	InSnapshot(ctx context.Context, fn func(ChainSnapshot) error) error
}

// ChainSnapshot reads the chain in one snapshot.
type ChainSnapshot interface {
	// Extent is the database's time and the first and last seal present
	// (1 and 0 when there is none).
	Extent(ctx context.Context) (now time.Time, first, head int64, err error)
	// FirstSeq is the first seal present, 0 when there is none.
	FirstSeq(ctx context.Context) (int64, error)
	// SealHash is the hash of the seal at seq; found is false without one.
	SealHash(ctx context.Context, seq int64) (hash []byte, found bool, err error)
	// Checkpoints are those at seq lo..hi, by seq and then as written.
	Checkpoints(ctx context.Context, lo, hi int64) ([]Checkpoint, error)
	// CheckpointsAfter are at most limit checkpoints beyond seq, newest first.
	CheckpointsAfter(ctx context.Context, seq int64, limit int) ([]Checkpoint, error)
	// WalkSeals calls fn for each seal after lo up to hi, in seq order, with
	// its event as stored now.
	WalkSeals(ctx context.Context, lo, hi int64, fn func(SealedEvent) error) error
	// UnsealedEvents are the ids of at most limit events after after, up to
	// upTo, that no seal covers.
	UnsealedEvents(ctx context.Context, after, upTo int64, limit int) ([]int64, error)
	// CountEventsAfter counts the events after id.
	CountEventsAfter(ctx context.Context, id int64) (int64, error)
}

// SealTx is a sealer pass's transaction.
type SealTx interface {
	ChainSnapshot
	// LastEventID is the last event id handed out (committed or not).
	LastEventID(ctx context.Context) (int64, error)
	// OldestRunningTransaction is the id of the oldest transaction still
	// running.
	OldestRunningTransaction(ctx context.Context) (int64, error)
	// Head is the last seal; found is false before the first.
	Head(ctx context.Context) (head Seal, found bool, err error)
	// Event is the event with that id as stored now.
	Event(ctx context.Context, id int64) (r Record, found bool, err error)
	// CheckpointedSeals are at most limit seals that a checkpoint at their
	// seq names with the same hash, newest first.
	CheckpointedSeals(ctx context.Context, limit int) ([]CheckpointedSeal, error)
	// EventsAfter are at most limit committed events after after, up to upTo,
	// in id order.
	EventsAfter(ctx context.Context, after, upTo int64, limit int) ([]Record, error)
	// Lag is the age of the oldest event after id.
	Lag(ctx context.Context, afterEventID int64) (time.Duration, error)
	InsertSeals(ctx context.Context, seals []Seal) error
	InsertCheckpoint(ctx context.Context, c Checkpoint) error
}

// Seal is one position of the chain: Hash links the event to the hash
// before it under the key KeyID.
type Seal struct {
	Seq     int64
	EventID int64
	KeyID   string
	Hash    []byte
}

// SealedEvent is a seal with its event; Event is nil when the event row is
// missing.
type SealedEvent struct {
	Seal
	Event *Record
}

// Checkpoint vouches, under the key KeyID, that the chain's head at Seq was
// Head at time At.
type Checkpoint struct {
	ID    int64
	Seq   int64
	Head  []byte
	At    time.Time
	KeyID string
	MAC   []byte
}

// CheckpointedSeal is a seal with a checkpoint at its seq that names its
// hash.
type CheckpointedSeal struct {
	EventID    int64
	Checkpoint Checkpoint
}
