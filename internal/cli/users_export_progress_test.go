package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/dev/capture"
	"github.com/taskbridge/taskbridge/internal/cli"
	"github.com/taskbridge/taskbridge/internal/keyring"
)

// TestUsersExportShowsProgressOnATerminalAndIsQuietInLogs: `users export`
// counts the rows it writes on stderr. On a terminal (with the document
// redirected to a file) it redraws one status line and replaces it with
// the summary; outside one stderr gets only the summary line. The document
// is the same either way, and progress never gets into it; printed on the
// terminal itself, the document is not garbled by redraws.
func TestUsersExportShowsProgressOnATerminalAndIsQuietInLogs(t *testing.T) {
	ctx := context.Background()
	db := tdb.NewMigrated(t)
	admin := db.Admin(t)
	user := uuid.New()
	const email = "export-progress@example.test"
	if _, err := admin.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, $2)`, user, email); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `INSERT INTO tasks (owner_id, title) SELECT $1, 'task ' || i FROM generate_series(1, 3) i`, user); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, `INSERT INTO consents (user_id, document, version, accepted_at) VALUES ($1, 'privacy_policy', '1', now())`, user); err != nil {
		t.Fatal(err)
	}
	encKeys, err := keyring.Generate("e1")
	if err != nil {
		t.Fatal(err)
	}
	auditKey, err := keyring.Generate("a1")
	if err != nil {
		t.Fatal(err)
	}
	// Explicit keys: without them the command warns on stderr about
	// ephemeral ones, and stderr here is what the test reads.
	env := envFrom(map[string]string{"TASKBRIDGE_ENV": "test", "DATABASE_URL": db.AppURL, "TASKBRIDGE_MIGRATE_DATABASE_URL": db.AdminURL,
		"TASKBRIDGE_ENCRYPTION_KEYS": encKeys, "TASKBRIDGE_AUDIT_KEY": auditKey})
	export := func(stdout, stderr io.Writer) error {
		return cli.Run(ctx, cli.Env{Args: []string{"users", "export", "--email", email}, Getenv: env, Stdout: stdout, Stderr: stderr})
	}

	// Not a terminal: the document on stdout, one summary line on stderr.
	var quietOut, quietErr capture.Buffer
	if err := export(&quietOut, &quietErr); err != nil {
		t.Fatalf("users export: %v\n%s", err, quietErr.String())
	}
	quiet := parseExport(t, quietOut.String())
	if want := fmt.Sprintf("users export: %d rows written\n", quiet.rows); quietErr.String() != want {
		t.Errorf("stderr %q, want only the summary line %q", quietErr.String(), want)
	}

	// A terminal on stderr, the document redirected to a file.
	tty, output := openTerminal(t)
	file, err := os.Create(t.TempDir() + "/export.json")
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := export(file, tty); err != nil {
		t.Fatalf("users export: %v\n%s", err, output())
	}
	got := output()
	written, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	shown := parseExport(t, string(written))
	status := regexp.MustCompile(`^\r\x1b\[2Kusers export: [0-9]+(, [0-9.]+/s)?`)
	if !status.MatchString(got) {
		t.Errorf("terminal %q: want a status line drawn in place first", got)
	}
	if want := fmt.Sprintf("\r\x1b[2Kusers export: %d rows written\n", shown.rows); !strings.HasSuffix(got, want) {
		t.Errorf("terminal %q: want it to end with the summary replacing the status line, %q", got, want)
	}
	if lines := strings.Count(got, "\n"); lines != 1 {
		t.Errorf("terminal %q: %d lines, want the status redrawn on one line and the summary", got, lines)
	}
	quiet.sameDocument(t, shown)

	// The document printed on the terminal itself: no redraws over it, the
	// summary line after it.
	both, output := openTerminal(t)
	if err := export(both, both); err != nil {
		t.Fatalf("users export: %v\n%s", err, output())
	}
	got = output()
	doc, summary, ok := strings.Cut(got, "}\n")
	if !ok || strings.ContainsAny(got, "\r\x1b") {
		t.Fatalf("terminal %q: want the document and the summary line, nothing redrawn", got)
	}
	printed := parseExport(t, doc+"}\n")
	if want := fmt.Sprintf("users export: %d rows written\n", printed.rows); summary != want {
		t.Errorf("after the document %q, want only the summary line %q", summary, want)
	}
	shown.sameDocument(t, printed)
}

// exportDoc is an export's members as written, and its row count.
type exportDoc struct {
	members map[string]json.RawMessage
	rows    int
}

func parseExport(t *testing.T, s string) exportDoc {
	t.Helper()
	if !strings.HasPrefix(s, `{"format":`) || !strings.HasSuffix(s, "}\n") || strings.ContainsAny(s, "\r\x1b") {
		t.Fatalf("not a bare export document: %q", s)
	}
	d := exportDoc{}
	if err := json.Unmarshal([]byte(s), &d.members); err != nil {
		t.Fatalf("export is not JSON: %v\n%s", err, s)
	}
	for name, raw := range d.members {
		if raw[0] != '[' {
			continue
		}
		var rows []json.RawMessage
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatalf("section %s: %v", name, err)
		}
		d.rows += len(rows)
	}
	return d
}

// sameDocument checks that later, an export of the same data made after
// d, has d's bytes in every member but the two that each export changes:
// exported_at, and audit_events, which gains the later export's own event
// and keeps d's events byte for byte.
func (d exportDoc) sameDocument(t *testing.T, later exportDoc) {
	t.Helper()
	names := func(m map[string]json.RawMessage) []string {
		out := make([]string, 0, len(m))
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if a, b := names(d.members), names(later.members); !slices.Equal(a, b) {
		t.Fatalf("members %v, then %v", a, b)
	}
	for name, raw := range d.members {
		switch name {
		case "exported_at":
		case "audit_events":
			var before, after []json.RawMessage
			_ = json.Unmarshal(raw, &before)
			_ = json.Unmarshal(later.members[name], &after)
			if len(after) != len(before)+1 || !slices.EqualFunc(before, after[:len(before)], func(a, b json.RawMessage) bool { return bytes.Equal(a, b) }) {
				t.Errorf("audit_events %s, then %s: want the same events and the later export's", raw, later.members[name])
			}
		default:
			if !bytes.Equal(raw, later.members[name]) {
				t.Errorf("%s differs: %s, then %s", name, raw, later.members[name])
			}
		}
	}
}
