package mcpapi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// TestAuditInsertFailingAtCommitRollsBackTheEffect: the success audit row
// is deferred to the commit's pipeline, so it fails only there, after the
// effect ran. The effect must roll back with it (and the failure be
// recorded in a transaction of its own).
func TestAuditInsertFailingAtCommitRollsBackTheEffect(t *testing.T) {
	e := newEnv(t, func(d *mcpapi.Deps) {
		mcpapi.SetAuditAppender(d, func(ctx context.Context, q postgres.Execer, ev audit.Event) error {
			if ev.Type == "tool.call" && ev.Outcome == audit.OutcomeSuccess {
				// NOT NULL violation, reported by PostgreSQL at the commit.
				_, err := q.Exec(ctx, `INSERT INTO audit_events (event_type, outcome, detail) VALUES (NULL, 'success', '{}')`)
				return err
			}
			return testAudit.Append(ctx, q, ev)
		})
	})
	s := e.client(t, e.newUser(t), readWrite)
	msg := callErr(t, s, "create_task", map[string]any{"title": "must roll back"})
	if !strings.Contains(msg, "nothing was changed") {
		t.Fatalf("error %q", msg)
	}
	var n int
	if err := tdb.Admin(t).QueryRow(context.Background(), `SELECT count(*) FROM tasks`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d tasks exist although their audit row failed at commit", n)
	}
	rows := auditRows(t)
	if len(rows) != 1 || rows[0].Outcome != "error" {
		t.Fatalf("audit rows %+v, want one error row and no success row", rows)
	}
	// No connection is left checked out or in a transaction.
	if st := e.db.Pool.Stat(); st.AcquiredConns() != 0 {
		t.Fatalf("%d connections still acquired", st.AcquiredConns())
	}
	for _, c := range e.db.Pool.AcquireAllIdle(context.Background()) {
		if st := c.Conn().PgConn().TxStatus(); st != 'I' {
			t.Errorf("a pooled connection is in transaction state %q", st)
		}
		c.Release()
	}
}
