package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
	"github.com/taskbridge/taskbridge/internal/task"
)

//go:embed templates/*.html
var templateFS embed.FS

// TaskPath is the route of the task page; chi fills {id}.
const TaskPath = "/tasks/{id}"

// Sessions tells who is signed in; *account.Service is one. The route must
// also be wrapped in account.RequireLogin, which sends everyone else to the
// login page.
type Sessions interface {
	CurrentUser(r *http.Request) (account.User, bool)
}

// UserTx runs fn in a transaction as userID (postgres.DB.InUserTx).
type UserTx func(ctx context.Context, userID uuid.UUID, fn func(postgres.Querier) error) error

// TaskReader reads one task of the transaction's user (*postgres.Tasks).
type TaskReader interface {
	Get(ctx context.Context, tx postgres.Querier, id uuid.UUID) (task.Task, error)
}

// TaskPage serves /tasks/{id}.
type TaskPage struct {
	sessions Sessions
	inUserTx UserTx
	tasks    TaskReader
	log      *slog.Logger
	tmpl     *template.Template
}

// NewTaskPage builds the page handler.
func NewTaskPage(sessions Sessions, inUserTx UserTx, tasks TaskReader, log *slog.Logger) (*TaskPage, error) {
	tmpl, err := template.ParseFS(templateFS, "templates/task.html")
	if err != nil {
		return nil, fmt.Errorf("parse task page: %w", err)
	}
	return &TaskPage{sessions: sessions, inUserTx: inUserTx, tasks: tasks, log: log, tmpl: tmpl}, nil
}

// taskView is what the template sees.
type taskView struct {
	Title         string
	StylesheetURL string
	Found         bool
	RequestID     string

	Status, Priority, Due string
	NoteLines             []string // the notes, one entry per line (the page CSP allows no inline style)
	Tags                  []string
	InTrash               bool
	Created, Updated      string
}

// ServeHTTP renders the signed-in user's task, or a 404 page when the id is
// malformed, unknown or another user's (indistinguishable on purpose).
func (p *TaskPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	user, ok := p.sessions.CurrentUser(r)
	if !ok {
		// RequireLogin runs first; without it, fail closed.
		http.Redirect(w, r, account.LoginURL(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	view := taskView{Title: "Task not found", StylesheetURL: account.StylesheetPath, RequestID: logging.RequestID(r.Context())}
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		p.render(w, r, http.StatusNotFound, view)
		return
	}
	var t task.Task
	err = p.inUserTx(r.Context(), user.ID, func(tx postgres.Querier) error {
		var err error
		t, err = p.tasks.Get(r.Context(), tx, id)
		return err
	})
	switch {
	case errors.Is(err, task.ErrNotFound):
		p.render(w, r, http.StatusNotFound, view)
		return
	case err != nil:
		p.log.ErrorContext(r.Context(), "read task for page", "err", err)
		view.Title = "Something went wrong"
		p.render(w, r, http.StatusInternalServerError, view)
		return
	}
	view.Title, view.Found = t.Title, true
	view.Status, view.Priority, view.Tags = string(t.Status), string(t.Priority), t.Tags
	if t.Notes != "" {
		view.NoteLines = strings.Split(t.Notes, "\n")
	}
	view.InTrash = t.InTrash()
	if t.DueDate != nil {
		view.Due = t.DueDate.String()
	}
	view.Created, view.Updated = formatTime(t.CreatedAt), formatTime(t.UpdatedAt)
	p.render(w, r, http.StatusOK, view)
}

// render writes the page with the page CSP (no script) and no caching; it
// renders into a buffer first so a template error is a clean 500.
func (p *TaskPage) render(w http.ResponseWriter, r *http.Request, status int, v taskView) {
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, "task.html", v); err != nil {
		p.log.ErrorContext(r.Context(), "render task page", "err", err)
		buf.Reset()
		buf.WriteString("<!doctype html><title>Error</title><p>Something went wrong.</p>")
		status = http.StatusInternalServerError
	}
	httpx.HTMLPage(w)
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }
