package privacy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/audit"
	"github.com/taskbridge/taskbridge/internal/logging"
	"github.com/taskbridge/taskbridge/internal/postgres"
)

// ExportFormat names the layout of an export document.
const ExportFormat = "taskbridge.export.v1"

// TasksExportFormat names the layout of the export an app gets with its
// token (GET /api/export): the tasks only, which is all that tasks.read
// ("See your tasks") covers. The account, sessions, other apps, consent
// records and audit events are in the account page's export only.
const TasksExportFormat = "taskbridge.tasks-export.v1"

// exportContents is what one export document holds.
type exportContents int

const (
	wholeAccount exportContents = iota // the account page and the CLI
	tasksOnly                          // an app's bearer token
)

// exportHead is the document's first members; the sections follow.
type exportHead struct {
	Format     string                    `json:"format"`
	ExportedAt string                    `json:"exported_at"`
	Account    *postgres.ExportedAccount `json:"account,omitempty"` // the whole account's export only
}

// WriteExport writes all of userID's data as one JSON document to w (D5),
// row by row as the queries return them, so memory does not grow with the
// data. Everything is read in one REPEATABLE READ transaction: the document
// is a consistent snapshot. The export is audited before the first byte
// goes out (via: account_page, api or cli): its success outcome means the
// export began. An export that then fails is audited a second time, with
// outcome error, so the trail tells a complete export from a partial one.
// An error after writing began leaves w with a truncated, invalid document,
// never a complete-looking partial one; HTTP callers abort the response.
func (s *Service) WriteExport(ctx context.Context, w io.Writer, userID uuid.UUID, via, clientID string) error {
	return s.WriteExportProgress(ctx, w, userID, via, clientID, nil)
}

// WriteTasksExport is WriteExport for an app (via api): the same snapshot
// and audit, but only the tasks (TasksExportFormat).
func (s *Service) WriteTasksExport(ctx context.Context, w io.Writer, userID uuid.UUID, clientID string) error {
	return s.writeExport(ctx, w, userID, "api", clientID, tasksOnly, nil)
}

// WriteExportProgress is WriteExport that tells progress, when not nil,
// about each row as it goes into the document: the section's name and 1
// (for the CLI's progress bar). The document's bytes are the same either
// way.
func (s *Service) WriteExportProgress(ctx context.Context, w io.Writer, userID uuid.UUID, via, clientID string, progress func(section string, rows int64)) error {
	return s.writeExport(ctx, w, userID, via, clientID, wholeAccount, progress)
}

func (s *Service) writeExport(ctx context.Context, w io.Writer, userID uuid.UUID, via, clientID string, contents exportContents, progress func(string, int64)) error {
	detail := map[string]any{"via": via}
	if contents == tasksOnly {
		detail["contents"] = "tasks"
	}
	record := func(ctx context.Context, outcome audit.Outcome, detail map[string]any) error {
		return s.db.InUserTx(ctx, userID, func(tx postgres.Querier) error {
			return s.audit.Append(ctx, tx, audit.Event{
				Type: eventExport, Outcome: outcome, ActorID: userID, ClientID: clientID,
				RequestID: logging.RequestID(ctx), Detail: detail,
			})
		})
	}
	if err := record(ctx, audit.OutcomeSuccess, detail); err != nil {
		return err
	}
	if err := s.writeSnapshot(ctx, w, userID, contents, progress); err != nil {
		if errors.Is(err, ErrNoAccount) {
			return err
		}
		// The client went away or the database failed midway: record that
		// this export is incomplete (best effort, even if ctx has ended).
		detail["stage"] = "incomplete"
		if aerr := record(context.WithoutCancel(ctx), audit.OutcomeError, detail); aerr != nil {
			return errors.Join(err, aerr)
		}
		return err
	}
	return nil
}

// writeSnapshot writes the document from one REPEATABLE READ, read-only
// transaction as userID.
func (s *Service) writeSnapshot(ctx context.Context, w io.Writer, userID uuid.UUID, contents exportContents, progress func(string, int64)) error {
	bw := bufio.NewWriterSize(w, 32<<10)
	return s.db.InUserSnapshot(ctx, userID, func(tx postgres.Querier) error {
		if err := s.writeDocument(ctx, tx, bw, userID, contents, progress); err != nil {
			return err
		}
		return bw.Flush()
	})
}

func (s *Service) writeDocument(ctx context.Context, tx postgres.Querier, w *bufio.Writer, userID uuid.UUID, contents exportContents, progress func(string, int64)) error {
	account, err := postgres.ExportAccount(ctx, tx, userID)
	if errors.Is(err, postgres.ErrNotFound) {
		return ErrNoAccount
	}
	if err != nil {
		return err
	}
	head := exportHead{Format: ExportFormat, ExportedAt: s.now().UTC().Format(time.RFC3339Nano), Account: &account}
	sections := postgres.ExportSections()
	if contents == tasksOnly {
		head.Format, head.Account = TasksExportFormat, nil
		sections = slices.DeleteFunc(sections, func(sec postgres.ExportSection) bool { return sec.Name != "tasks" })
	}
	b, err := json.Marshal(head)
	if err != nil {
		return err
	}
	// The header object, left open so the sections follow as its members.
	put(w, b[:len(b)-1])
	subjects := s.audit.Subjects(userID)
	for _, sec := range sections {
		if err := s.writeSection(ctx, tx, w, sec, userID, subjects, progress); err != nil {
			return err
		}
	}
	_, err = w.WriteString("}\n")
	return err
}

func (s *Service) writeSection(ctx context.Context, tx postgres.Querier, w *bufio.Writer, sec postgres.ExportSection, userID uuid.UUID, subjects []string, progress func(string, int64)) error {
	name, _ := json.Marshal(sec.Name)
	put(w, []byte{','}, name, []byte(":["))
	first := true
	err := s.export.EachRow(ctx, tx, sec, userID, subjects, func(row any) error {
		b, err := json.Marshal(row)
		if err != nil {
			return fmt.Errorf("export %s: %w", sec.Name, err)
		}
		if !first {
			put(w, []byte{','})
		}
		first = false
		put(w, b)
		if progress != nil {
			progress(sec.Name, 1)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = w.WriteString("]")
	return err
}

// put writes to a bufio.Writer, whose first error is sticky and returned
// by Flush at the end of the document, so single writes need no check.
func put(w *bufio.Writer, parts ...[]byte) {
	for _, p := range parts {
		_, _ = w.Write(p)
	}
}
