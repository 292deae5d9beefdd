package e2e_test

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// The events a newcomer's journey must leave in the trail (L4), by the
// component that records each.
var journeyEvents = []string{
	"auth.signup",         // account: the sign-up form
	"auth.login",          // account: the login during linking
	"oauth.consent.grant", // oauth: the consent decision
	"oauth.token.issue",   // oauth: the code exchanged for tokens
	"tool.call",           // mcpapi: create_task, list_tasks
	"oauth.grant.revoke",  // oauth, through the account page's Disconnect
}

func TestAuditTrailOfTheFlowVerifies(t *testing.T) {
	srv := startServer(t)
	j := newcomerJourney(t, srv)

	// The operator's commands, with the server's own role and audit key.
	seal := sealThrough(t)
	if !regexp.MustCompile(`^sealed \d+ events; chain head at seq \d+`).MatchString(seal.out) {
		t.Fatalf("audit seal printed %q", seal.out)
	}
	verify := runAudit(t, auditKey, "verify")
	if verify.err != nil {
		t.Fatalf("audit verify of the journey's trail: %v\n%s", verify.err, verify.out)
	}
	m := regexp.MustCompile(`audit trail OK: seals (\d+)\.\.(\d+) verified`).FindStringSubmatch(verify.out)
	if m == nil {
		t.Fatalf("audit verify printed %q", verify.out)
	}
	verifiedHead, _ := strconv.ParseInt(m[2], 10, 64)

	// The seals are keyed: the same trail does not verify under another key,
	// so passing above means something.
	if other := runAudit(t, randomKey(t), "verify"); other.err == nil || !strings.Contains(other.err.Error(), "does NOT verify") {
		t.Fatalf("audit verify with a key the server never had: %v\n%s", other.err, other.out)
	}

	// Every event of the journey is in the trail under the user's pseudonym,
	// sealed within the verified range.
	ctx := context.Background()
	conn := tdb.Admin(t)
	var userID uuid.UUID
	if err := conn.QueryRow(ctx, `SELECT user_id FROM account_login_lookup($1)`, j.Person.Email).Scan(&userID); err != nil {
		t.Fatalf("find the newcomer: %v", err)
	}
	keys, err := audit.ParseKeys(auditKey)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(ctx, `
		SELECT e.event_type, e.outcome, s.seq
		FROM audit_events e LEFT JOIN audit_seals s ON s.event_id = e.id
		WHERE e.actor = $1 ORDER BY e.id`, postgres.NewAuditLog(keys).Subject(userID))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for rows.Next() {
		var typ, outcome string
		var seq *int64
		if err := rows.Scan(&typ, &outcome, &seq); err != nil {
			t.Fatal(err)
		}
		if seq == nil || *seq > verifiedHead {
			t.Errorf("the journey's %s event is not in the verified chain (seq %v, verified up to %d)", typ, seq, verifiedHead)
		}
		if outcome == string(audit.OutcomeSuccess) {
			seen[typ]++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, typ := range journeyEvents {
		if seen[typ] == 0 {
			t.Errorf("no successful %s event of the newcomer in the trail (saw %v)", typ, seen)
		}
	}
	if seen["tool.call"] < 2 {
		t.Errorf("%d successful tool.call events, want one each for create_task and list_tasks", seen["tool.call"])
	}

	// No row of the whole trail holds the user's email, password, task
	// title or token (L3): the actor is a keyed pseudonym, details are ids
	// and counts.
	var leaks []string
	dump, err := conn.Query(ctx, `SELECT lower(row_to_json(e)::text) FROM audit_events e`)
	if err != nil {
		t.Fatal(err)
	}
	defer dump.Close()
	secrets := map[string]string{
		"email": j.Person.Email, "email local part": strings.Split(j.Person.Email, "@")[0], "user id": userID.String(),
		"password": j.Person.Password, "task title": j.TaskTitle, "access token": j.Token,
	}
	for dump.Next() {
		var row string
		if err := dump.Scan(&row); err != nil {
			t.Fatal(err)
		}
		for what, s := range secrets {
			if strings.Contains(row, strings.ToLower(s)) {
				leaks = append(leaks, what+" in "+row)
			}
		}
	}
	if err := dump.Err(); err != nil {
		t.Fatal(err)
	}
	if len(leaks) > 0 {
		t.Fatalf("the audit trail holds what it must not:\n%s", strings.Join(leaks, "\n"))
	}
}

type commandResult struct {
	out string
	err error
}

// runAudit runs `taskbridge audit <sub>` as an operator would: the server's
// database role and the given audit key.
func runAudit(t *testing.T, key, sub string) commandResult {
	t.Helper()
	env := map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": tdb.AppURL, "TASKBRIDGE_AUDIT_KEY": key}
	var out, errOut capture.Buffer
	err := cli.Run(context.Background(), cli.Env{Args: []string{"audit", sub}, Getenv: func(k string) string { return env[k] },
		Stdout: &out, Stderr: &errOut})
	return commandResult{out: out.String() + errOut.String(), err: err}
}

// sealThrough runs `audit seal` until the chain covers every event
// recorded before it was called, and returns the last run's result. One
// run may seal less: the sealer never seals past a transaction still open
// anywhere in the cluster, and the other test packages share the cluster.
func sealThrough(t *testing.T) commandResult {
	t.Helper()
	ctx := context.Background()
	conn := tdb.Admin(t)
	var target int64
	if err := conn.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM audit_events`).Scan(&target); err != nil {
		t.Fatal(err)
	}
	for {
		res := runAudit(t, auditKey, "seal")
		if res.err != nil {
			t.Fatalf("audit seal: %v\n%s", res.err, res.out)
		}
		var head int64
		if err := conn.QueryRow(ctx, `SELECT COALESCE(max(event_id), 0) FROM audit_seals`).Scan(&head); err != nil {
			t.Fatal(err)
		}
		if head >= target {
			return res
		}
	}
}
