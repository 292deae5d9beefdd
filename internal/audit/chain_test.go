package audit_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

func TestVerifyPassesOnAnUntouchedChain(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 25)
	f.sealAll(t)
	f.appendEvents(t, 5) // unsealed tail: pending, not a problem
	rep := f.verify(t, f.keys, nil)
	if !rep.OK() || rep.HeadSeq != 25 || rep.Unsealed != 5 || rep.Checkpoints == 0 {
		t.Fatalf("report %+v", rep)
	}
	f.sealAll(t)
	if rep := f.verify(t, f.keys, &audit.Anchor{Seq: rep.HeadSeq, Hash: rep.HeadHash}); !rep.OK() || rep.HeadSeq != 30 {
		t.Fatalf("after sealing the tail, with the earlier head as anchor: %+v", rep)
	}
}

func TestVerifyDetectsAnEditedEvent(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 10)
	f.sealAll(t)
	tamper(t, `UPDATE audit_events SET outcome = 'denied' WHERE id = 4`)
	rep := f.verify(t, f.keys, nil)
	wantProblem(t, rep, "edited", 4)
	if len(rep.Problems) != 1 {
		t.Fatalf("one edit should be reported once: %v", rep.Problems)
	}
}

func TestVerifyDetectsADeletedEventInTheMiddle(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 10)
	f.sealAll(t)
	tamper(t, `DELETE FROM audit_events WHERE id = 5`)
	wantProblem(t, f.verify(t, f.keys, nil), "deleted", 5)

	// Removing the seal as well leaves a gap in the sequence numbers.
	tamper(t, `DELETE FROM audit_seals WHERE event_id = 5`)
	wantProblem(t, f.verify(t, f.keys, nil), "deleted", 5)

	// Renumbering the later seals to close the gap breaks their MACs.
	tamper(t, `UPDATE audit_seals SET seq = seq - 1 WHERE seq > 5`)
	wantProblem(t, f.verify(t, f.keys, nil), "edited", 5)
}

func TestVerifyDetectsAnInsertedEvent(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 3)
	// A rolled-back transaction leaves event id 4 unused.
	_ = f.db.InSystemTx(context.Background(), func(tx postgres.Querier) error {
		if err := f.log.Append(context.Background(), tx, audit.Event{Type: "test.rolled_back", Outcome: audit.OutcomeSuccess}); err != nil {
			t.Fatal(err)
		}
		return fmt.Errorf("roll back")
	})
	f.appendEvents(t, 3)
	f.sealAll(t)
	if rep := f.verify(t, f.keys, nil); !rep.OK() || rep.HeadSeq != 6 {
		t.Fatalf("a gap from a rollback is not a problem: %+v", rep)
	}
	tamper(t, `INSERT INTO audit_events (id, event_type, outcome) VALUES (4, 'auth.login', 'success')`)
	wantProblem(t, f.verify(t, f.keys, nil), "inserted", 0)
}

func TestVerifyDetectsReorderedEvents(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 6)
	f.sealAll(t)
	tamper(t,
		`UPDATE audit_seals SET event_id = -event_id WHERE seq IN (2, 3)`,
		`UPDATE audit_seals SET event_id = CASE event_id WHEN -2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)`)
	rep := f.verify(t, f.keys, nil)
	wantProblem(t, rep, "reordered", 3)
	wantProblem(t, rep, "edited", 2)

	// Swapping the rows' contents instead is an edit of both.
	f = newFixture(t)
	f.appendEvents(t, 6)
	f.sealAll(t)
	tamper(t, `UPDATE audit_events SET request_id = CASE id WHEN 2 THEN 'req-2' ELSE 'req-1' END WHERE id IN (2, 3)`)
	rep = f.verify(t, f.keys, nil)
	wantProblem(t, rep, "edited", 2)
	wantProblem(t, rep, "edited", 3)
}

func TestVerifyDetectsTailTruncation(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 5)
	f.sealAll(t)
	anchor := f.verify(t, f.keys, nil)
	f.appendEvents(t, 5)
	f.sealAll(t)

	tamper(t, `DELETE FROM audit_seals WHERE seq > 7`, `DELETE FROM audit_events WHERE id > 7`)
	wantProblem(t, f.verify(t, f.keys, nil), "truncated", 8)

	// An attacker who also removes the in-database checkpoints past the cut
	// and the ones that vouch for the old head is caught by the copy kept
	// outside the database (the sealer's log line / head-seq metric).
	tamper(t, `DELETE FROM audit_checkpoints WHERE seq > 5`, `DELETE FROM audit_seals WHERE seq > 5`, `DELETE FROM audit_events WHERE id > 5`)
	if rep := f.verify(t, f.keys, nil); !rep.OK() {
		t.Fatalf("a cut back to a checkpoint looks quiet from inside the database: %v", rep.Problems)
	}
	outside := &audit.Anchor{Seq: 10, Hash: anchor.HeadHash}
	wantProblem(t, f.verify(t, f.keys, outside), "truncated", 6)
	// And the anchor at the real position still verifies.
	if rep := f.verify(t, f.keys, &audit.Anchor{Seq: anchor.HeadSeq, Hash: anchor.HeadHash}); !rep.OK() {
		t.Fatalf("anchor at seq %d: %v", anchor.HeadSeq, rep.Problems)
	}
}

func TestVerifyDetectsARemovedCheckpointAtTheHead(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 3)
	f.sealAll(t)
	tamper(t, `DELETE FROM audit_checkpoints`)
	wantProblem(t, f.verify(t, f.keys, nil), "checkpoint", 3)
}

func TestVerifyFailsWithTheWrongKey(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 3)
	f.sealAll(t)
	rep := f.verify(t, newKeys(t, "a1"), nil) // same id, different key
	wantProblem(t, rep, "edited", 1)
	wantProblem(t, rep, "checkpoint", 0)
	wantProblem(t, f.verify(t, newKeys(t, "b1"), nil), "key", 1)
}

func TestRotatedAuditKeyContinuesTheChain(t *testing.T) {
	f := newFixture(t)
	f.appendEvents(t, 3)
	f.sealAll(t)
	// Rotation: the new key first, the old one kept to verify what it sealed.
	rotated := parseKeys(t, keySpec(t, "a2")+","+f.spec)
	f.keys, f.log = rotated, postgres.NewAuditLog(rotated)
	f.appendEvents(t, 3)
	f.sealAll(t)
	if rep := f.verify(t, rotated, nil); !rep.OK() || rep.HeadSeq != 6 {
		t.Fatalf("after rotation: %+v", rep)
	}
	// Dropping the old key too early is reported, not silently accepted.
	wantProblem(t, f.verify(t, parseKeys(t, keySpec(t, "a2")), nil), "key", 1)
}

func TestAppendStoresOnlyAPseudonymOfTheActor(t *testing.T) {
	f := newFixture(t)
	user := uuid.New()
	err := f.db.InSystemTx(context.Background(), func(tx postgres.Querier) error {
		return f.log.Append(context.Background(), tx, audit.Event{Type: "auth.login", Outcome: audit.OutcomeSuccess, ActorID: user, ClientID: "c1"})
	})
	if err != nil {
		t.Fatal(err)
	}
	var row string
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT row_to_json(e)::text FROM audit_events e`).Scan(&row); err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{user.String(), hex.EncodeToString(user[:])} {
		if strings.Contains(row, form) {
			t.Fatalf("the raw user id is stored: %s", row)
		}
	}
	if !strings.Contains(row, f.log.Subject(user)) {
		t.Fatalf("the pseudonym is not stored: %s", row)
	}
	if subjects := f.log.Subjects(user); len(subjects) != 1 || subjects[0] != f.log.Subject(user) {
		t.Fatalf("subjects %v", subjects)
	}
	if other := postgres.NewAuditLog(newKeys(t, "a1")).Subject(user); other == f.log.Subject(user) {
		t.Fatal("the pseudonym does not depend on the key")
	}
	f.sealAll(t)
	if rep := f.verify(t, f.keys, nil); !rep.OK() {
		t.Fatal(rep.Problems)
	}
}
