package browsertest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/identity"
	"github.com/taskbridge/taskbridge/internal/keyring"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/mcpapi"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
	"github.com/taskbridge/taskbridge/web/widget"
)

// backend is the real MCP surface (internal/mcpapi over PostgreSQL, with
// the board registered exactly as `taskbridge serve` does) for one user
// created by the test.
type backend struct {
	db    *postgres.DB
	store *postgres.Tasks
	user  uuid.UUID
	mcp   http.Handler
}

func newBackend(t *testing.T) *backend {
	t.Helper()
	ctx := t.Context()
	db, err := postgres.Open(ctx, tdb.AppURL, postgres.PoolOptions{MaxConns: 8})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	spec, err := keyring.Generate("browser")
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	stateKey, err := mcpapi.EphemeralStateKey()
	if err != nil {
		t.Fatal(err)
	}
	auditKeys, err := audit.EphemeralKeys()
	if err != nil {
		t.Fatal(err)
	}
	b := &backend{db: db, store: postgres.NewTasks(keys), user: uuid.New()}
	err = db.InUserTx(ctx, b.user, func(tx postgres.Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, email) VALUES ($1, $2)`, b.user, "board-"+b.user.String()[:8]+"@example.test")
		return err
	})
	if err != nil {
		t.Fatalf("create the test user: %v", err)
	}
	h, err := mcpapi.NewHandler(mcpapi.Deps{
		DB: db, Tasks: b.store, StateKey: stateKey, Audit: postgres.NewAuditLog(auditKeys),
		Log:         logging.New(testLog{t}, logging.Options{}),
		ResourceURL: "http://127.0.0.1/mcp", PublicURL: "http://127.0.0.1",
		ResourceMetadataURL: "http://127.0.0.1/.well-known/oauth-protected-resource/mcp",
		Widget:              &mcpapi.Widget{URI: widget.URI(), Register: widget.Register("")},
	})
	if err != nil {
		t.Fatal(err)
	}
	b.mcp = b.asUser(h)
	return b
}

// asUser stands in for the OAuth bearer middleware, which is not what this
// test is about: every request is the test user with both task scopes.
func (b *backend) asUser(next http.Handler) http.Handler {
	p := identity.Principal{UserID: b.user, ClientID: "browser-test-host", GrantID: uuid.New(),
		Scopes: []identity.Scope{identity.ScopeTasksRead, identity.ScopeTasksWrite}}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := logging.WithRequestID(identity.WithPrincipal(r.Context(), p), "req-"+uuid.NewString()[:8])
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// seedStore writes fixture tasks through the store in the user's
// transaction (RLS applies) and returns their ids by title.
func (b *backend) seedStore(t *testing.T, fixture []fixtureTask) map[string]uuid.UUID {
	t.Helper()
	ctx := t.Context()
	ids := map[string]uuid.UUID{}
	err := b.db.InUserTx(ctx, b.user, func(tx postgres.Querier) error {
		for _, f := range fixture {
			n := task.NewTask{Title: f.Title, Notes: f.Notes, Priority: task.Priority(f.Prio), Tags: f.Tags}
			if f.DueDate != "" {
				d, err := task.ParseDate(f.DueDate)
				if err != nil {
					return err
				}
				n.DueDate = &d
			}
			created, err := b.store.Create(ctx, tx, n)
			if err != nil {
				return fmt.Errorf("create %q: %w", f.Title, err)
			}
			if f.Done {
				if _, err := b.store.SetStatus(ctx, tx, created.ID, task.StatusDone); err != nil {
					return err
				}
			}
			if f.InTrash {
				if _, err := b.store.Trash(ctx, tx, created.ID); err != nil {
					return err
				}
			}
			ids[f.Title] = created.ID
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed the store: %v", err)
	}
	return ids
}

// createThroughTool stores each fixture task with the create_task tool, as
// a model would, through the go-sdk client and the real HTTP endpoint.
func createThroughTool(t *testing.T, mcpURL string, fixture []fixtureTask) {
	t.Helper()
	cs := connect(t.Context(), t, mcpURL)
	for _, f := range fixture {
		args := map[string]any{"title": f.Title}
		if f.Notes != "" {
			args["notes"] = f.Notes
		}
		if f.Prio != "" {
			args["priority"] = f.Prio
		}
		res, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "create_task", Arguments: args})
		if err != nil {
			t.Fatalf("create_task %q: %v", f.Title, err)
		}
		if res.IsError {
			t.Fatalf("create_task %q: tool error %v", f.Title, res.Content)
		}
	}
}

func connect(ctx context.Context, t *testing.T, mcpURL string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "taskbridge-browser-test", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: mcpURL, DisableStandaloneSSE: true, MaxRetries: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// storedTask is what PostgreSQL holds for one title, as the browser test
// reads it after each action.
type storedTask struct {
	Present bool   `json:"present"`
	ID      string `json:"id,omitempty"`
	Title   string `json:"title,omitempty"`
	Notes   string `json:"notes,omitempty"`
	Status  string `json:"status,omitempty"`
	InTrash bool   `json:"in_trash"`
}

// byTitle reads the user's task with this exact title (live or in the
// trash) in the user's transaction: the row the board's action changed.
func (b *backend) byTitle(ctx context.Context, title string) (storedTask, error) {
	var out storedTask
	err := b.db.InUserTx(ctx, b.user, func(tx postgres.Querier) error {
		rows, err := tx.Query(ctx, `SELECT id FROM tasks WHERE title = $1`, title)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
		if err != nil {
			return err
		}
		switch len(ids) {
		case 0:
			return nil
		case 1:
			t, err := b.store.Get(ctx, tx, ids[0])
			if err != nil {
				return err
			}
			out = storedTask{Present: true, ID: t.ID.String(), Title: t.Title, Notes: t.Notes, Status: string(t.Status), InTrash: t.InTrash()}
			return nil
		default:
			return fmt.Errorf("%d tasks are titled %q", len(ids), title)
		}
	})
	return out, err
}

// byID reads one task by id in the user's transaction.
func (b *backend) byID(ctx context.Context, id uuid.UUID) (storedTask, error) {
	var out storedTask
	err := b.db.InUserTx(ctx, b.user, func(tx postgres.Querier) error {
		t, err := b.store.Get(ctx, tx, id)
		if errors.Is(err, task.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		out = storedTask{Present: true, ID: t.ID.String(), Title: t.Title, Notes: t.Notes, Status: string(t.Status), InTrash: t.InTrash()}
		return nil
	})
	return out, err
}

// stateHandler answers GET /task?title=... with the stored row as JSON, so
// the browser test can check the database right after each click. It is
// served on its own loopback origin that the board never sees.
func (b *backend) stateHandler(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /task", func(w http.ResponseWriter, r *http.Request) {
		st, err := b.byTitle(r.Context(), r.URL.Query().Get("title"))
		if err != nil {
			t.Errorf("state: %v", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(st)
	})
	// GET /counts: the user's open, done and trashed totals, which the
	// board's header must show whatever page it has loaded.
	mux.HandleFunc("GET /counts", func(w http.ResponseWriter, r *http.Request) {
		var c postgres.TaskCounts
		err := b.db.InUserTx(r.Context(), b.user, func(tx postgres.Querier) error {
			var err error
			c, err = b.store.Counts(r.Context(), tx)
			return err
		})
		if err != nil {
			t.Errorf("counts: %v", err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(c)
	})
	return mux
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
