package web

import (
	"context"
	"embed"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/account"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/page"
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
	pages    *page.Pages
	log      *slog.Logger
}

// NewTaskPage builds the page handler.
func NewTaskPage(sessions Sessions, inUserTx UserTx, tasks TaskReader, log *slog.Logger) (*TaskPage, error) {
	pages, err := page.Parse(templateFS, log, "task")
	if err != nil {
		return nil, err
	}
	return &TaskPage{sessions: sessions, inUserTx: inUserTx, tasks: tasks, pages: pages, log: log}, nil
}

// taskView is what the template sees.
type taskView struct {
	page.Frame
	Found     bool
	RequestID string

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
	view := taskView{Frame: page.Frame{Title: "Task not found", Nav: page.NavAccountLink}, RequestID: logging.RequestID(r.Context())}
	id, err := uuid.Parse(chi.URLParam(r, "id"))
	if err != nil {
		p.pages.Render(w, r, http.StatusNotFound, "task", &view)
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
		p.pages.Render(w, r, http.StatusNotFound, "task", &view)
		return
	case err != nil:
		p.log.ErrorContext(r.Context(), "read task for page", "err", err)
		view.Title = "Something went wrong"
		p.pages.Render(w, r, http.StatusInternalServerError, "task", &view)
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
	p.pages.Render(w, r, http.StatusOK, "task", &view)
}

func formatTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }
