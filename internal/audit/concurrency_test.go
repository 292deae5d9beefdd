package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

func TestConcurrentAppendersThenSealLosesNothing(t *testing.T) {
	f := newFixture(t)
	const writers, each = 8, 50
	ctx := context.Background()
	// A sealer runs throughout, as in the server.
	sealCtx, stopSealing := context.WithCancel(ctx)
	sealed := make(chan struct{})
	go func() {
		defer close(sealed)
		f.sealer(audit.SealerOptions{MaxWait: 200 * time.Millisecond, Batch: 37}).Run(sealCtx, 5*time.Millisecond)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := f.db.InSystemTx(ctx, func(tx postgres.Querier) error {
					return f.log.Append(ctx, tx, audit.Event{Type: "tool.call", Outcome: audit.OutcomeSuccess,
						RequestID: fmt.Sprintf("w%d-%d", w, i)})
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	stopSealing()
	<-sealed
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	f.sealAll(t)
	rep := f.verify(t, f.keys, nil)
	if !rep.OK() || rep.HeadSeq != writers*each || rep.Unsealed != 0 {
		t.Fatalf("want all %d events sealed and verified, got %+v", writers*each, rep)
	}
}

func TestSealerNeverSealsPastAnInFlightTransaction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The watermark is cluster-wide, so other databases' transactions (other
	// test packages run in parallel) can delay a pass: passes that must seal
	// wait until it is safe; the pass that must seal nothing gets a short wait.
	s := f.sealer(audit.SealerOptions{MaxWait: untilSafe})
	impatient := f.sealer(audit.SealerOptions{MaxWait: 100 * time.Millisecond})
	f.appendEvents(t, 1) // event 1
	if res, err := s.Seal(ctx); err != nil || res.Sealed != 1 {
		t.Fatalf("first pass: %+v %v", res, err)
	}

	// A transaction takes event id 2 and stays open ...
	open, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = open.Rollback(ctx) }()
	if err := f.log.Append(ctx, open, audit.Event{Type: "slow.action", Outcome: audit.OutcomeSuccess}); err != nil {
		t.Fatal(err)
	}
	// ... while event 3 commits.
	f.appendEvents(t, 1)

	res, err := impatient.Seal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sealed != 0 || res.HeadSeq != 1 {
		t.Fatalf("sealed past the open transaction: %+v", res)
	}
	if err := open.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	res, err = s.Seal(ctx)
	if err != nil || res.Sealed != 2 || res.HeadSeq != 3 {
		t.Fatalf("after commit: %+v %v", res, err)
	}
	if rep := f.verify(t, f.keys, nil); !rep.OK() || rep.HeadSeq != 3 {
		t.Fatalf("%+v", rep)
	}
}

func TestOnlyOneSealerRunsAtATime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.appendEvents(t, 2)
	hold, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = hold.Rollback(ctx) }()
	if _, err := hold.Exec(ctx, `SELECT pg_advisory_xact_lock(8386110886174352489)`); err != nil {
		t.Fatal(err)
	}
	res, err := f.sealer(audit.SealerOptions{}).Seal(ctx)
	if err != nil || !res.Busy || res.Sealed != 0 {
		t.Fatalf("a second sealer ran: %+v %v", res, err)
	}
}
