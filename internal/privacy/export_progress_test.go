package privacy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// Export progress is told about every row, once, under its section's name,
// and telling it changes nothing in the document: from one snapshot and
// one clock, the bytes with and without progress are identical.
func TestExportProgressCountsRowsAndKeepsTheBytes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, email := e.newUser("progress")
	e.populate(id, email)
	// One export through the API, so the audit_events section has rows too.
	if err := e.privacy.WriteExport(ctx, io.Discard, id, "api", ""); err != nil {
		t.Fatal(err)
	}
	fixed := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	svc, err := privacy.New(privacy.Options{DB: e.db, Keys: e.keys, Audit: e.auditLog, Now: func() time.Time { return fixed }})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := e.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if err := postgres.SetUser(ctx, tx, id); err != nil {
		t.Fatal(err)
	}
	var plain, withProgress bytes.Buffer
	if err := privacy.WriteExportDocument(ctx, svc, tx, &plain, id, nil); err != nil {
		t.Fatal(err)
	}
	told := map[string]int64{}
	if err := privacy.WriteExportDocument(ctx, svc, tx, &withProgress, id, func(section string, n int64) {
		if n != 1 {
			t.Errorf("progress told %d rows at once for %s, want one at a time", n, section)
		}
		told[section] += n
	}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain.Bytes(), withProgress.Bytes()) {
		t.Fatalf("the export differs with progress:\nwithout %s\nwith    %s", plain.Bytes(), withProgress.Bytes())
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(plain.Bytes(), &doc); err != nil {
		t.Fatalf("export is not JSON: %v", err)
	}
	for _, section := range privacy.ExportSectionTables() {
		var rows []json.RawMessage
		if err := json.Unmarshal(doc[section], &rows); err != nil {
			t.Fatalf("section %s: %v", section, err)
		}
		if told[section] != int64(len(rows)) {
			t.Errorf("progress counted %d rows of %s, the document has %d", told[section], section, len(rows))
		}
	}
	for _, section := range []string{"tasks", "audit_events"} {
		if told[section] == 0 {
			t.Errorf("no %s rows were counted; the fixture should have some", section)
		}
	}
}

// failAfter accepts n bytes, then fails every write: a client that goes
// away in the middle of a download.
type failAfter struct{ n int }

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, io.ErrClosedPipe
	}
	f.n -= len(p)
	return len(p), nil
}

// An export that fails after it began is audited twice: once as begun
// (before any byte went out) and once as incomplete, so the trail tells a
// complete download from a partial one (L4, D5).
func TestFailedExportIsAuditedAsIncomplete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id, email := e.newUser("partial")
	e.populate(id, email)
	outcomes := func() []string {
		rows, err := e.admin().Query(ctx, `SELECT outcome FROM audit_events WHERE event_type = 'privacy.export' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	before := len(outcomes())
	if err := e.privacy.WriteExport(ctx, &failAfter{n: 100}, id, "api", ""); err == nil {
		t.Fatal("an export into a failing writer reported success")
	}
	got := outcomes()[before:]
	if len(got) != 2 || got[0] != "success" || got[1] != "error" {
		t.Fatalf("privacy.export outcomes of a failed export: %v, want [success error]", got)
	}
	if err := e.privacy.WriteExport(ctx, io.Discard, id, "api", ""); err != nil {
		t.Fatal(err)
	}
	if got := outcomes()[before+2:]; len(got) != 1 || got[0] != "success" {
		t.Fatalf("a complete export recorded %v, want [success]", got)
	}
}
