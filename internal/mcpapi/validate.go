package mcpapi

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/taskbridge/taskbridge/internal/task"
)

// Server-side validation of every argument (I1). The input schema already
// told the model the limits and the SDK checked the JSON against it; these
// checks do not rely on that: they run on the decoded values and produce
// errors the model can act on.

// toolError is a refusal the caller can act on; its text is safe to show.
type toolError struct{ msg string }

func (e *toolError) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &toolError{msg: fmt.Sprintf(format, args...)} }

func parseID(field, s string) (uuid.UUID, error) {
	if len(s) != maxIDLen {
		return uuid.Nil, refuse("%s must be a task id (a UUID like 0b5c1f0e-6f1a-4c1e-9d3a-2f6b8c7d9e10)", field)
	}
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil {
		return uuid.Nil, refuse("%s must be a task id (a UUID like 0b5c1f0e-6f1a-4c1e-9d3a-2f6b8c7d9e10)", field)
	}
	return id, nil
}

func parseOptionalDate(field, s string) (*task.Date, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > maxDateLen {
		return nil, refuse("%s must be a date in YYYY-MM-DD form", field)
	}
	d, err := task.ParseDate(s)
	if err != nil {
		return nil, refuse("%s: %v", field, err)
	}
	return &d, nil
}

func parseView(s string) (task.View, string, error) {
	switch s {
	case "", "live":
		return task.ViewLive, "live", nil
	case "trash":
		return task.ViewTrash, "trash", nil
	}
	return "", "", refuse("view must be live or trash")
}

func parseStatus(s string) (task.Status, error) {
	if s == "" {
		return "", nil
	}
	st, err := task.ParseStatus(s)
	if err != nil {
		return "", refuse("status must be open or done")
	}
	return st, nil
}

func parsePriority(s string) (task.Priority, error) {
	switch p := task.Priority(s); p {
	case task.PriorityLow, task.PriorityNormal, task.PriorityHigh:
		return p, nil
	}
	return "", refuse("priority must be low, normal or high")
}

func checkLen(field, s string, max int) error {
	if n := utf8.RuneCountInString(s); n > max {
		return refuse("%s is %d characters; the limit is %d", field, n, max)
	}
	return nil
}

// pageSize is list_tasks' limit argument: absent is the default page size
// (0 to task.Filter), and a given value must be 1 to task.MaxPageSize.
func pageSize(limit *int) (int, error) {
	if limit == nil {
		return 0, nil
	}
	if *limit < 1 || *limit > task.MaxPageSize {
		return 0, refuse("limit must be between 1 and %d", task.MaxPageSize)
	}
	return *limit, nil
}

// parseFilter validates list_tasks/show_task_board arguments into a
// normalized filter; limit 0 is the default page size.
func parseFilter(status, dueBefore, dueAfter, tag, query, view string, limit int) (task.Filter, string, error) {
	var f task.Filter
	var err error
	if f.Status, err = parseStatus(status); err != nil {
		return f, "", err
	}
	if f.DueBefore, err = parseOptionalDate("due_before", dueBefore); err != nil {
		return f, "", err
	}
	if f.DueAfter, err = parseOptionalDate("due_after", dueAfter); err != nil {
		return f, "", err
	}
	if err := checkLen("tag", tag, task.MaxTagLen); err != nil {
		return f, "", err
	}
	if err := checkLen("query", query, task.MaxQueryLen); err != nil {
		return f, "", err
	}
	f.Tag, f.Query = tag, query
	var viewName string
	if f.View, viewName, err = parseView(view); err != nil {
		return f, "", err
	}
	if limit < 0 || limit > task.MaxPageSize {
		return f, "", refuse("limit must be between 1 and %d", task.MaxPageSize)
	}
	f.Limit = limit
	if err := f.Normalize(); err != nil {
		return f, "", asToolError(err)
	}
	return f, viewName, nil
}

func parseNewTask(in createInput) (task.NewTask, error) {
	n := task.NewTask{Title: in.Title, Notes: in.Notes, Tags: in.Tags}
	if err := checkLen("title", in.Title, task.MaxTitleLen); err != nil {
		return n, err
	}
	if err := checkLen("notes", in.Notes, task.MaxNotesLen); err != nil {
		return n, err
	}
	if len(in.Tags) > task.MaxTags {
		return n, refuse("at most %d tags", task.MaxTags)
	}
	var err error
	if n.DueDate, err = parseOptionalDate("due_date", in.DueDate); err != nil {
		return n, err
	}
	if in.Priority != "" {
		if n.Priority, err = parsePriority(in.Priority); err != nil {
			return n, err
		}
	}
	if err := n.Normalize(); err != nil {
		return n, asToolError(err)
	}
	return n, nil
}

// parsePatch returns the patch and the names of the fields it changes (for
// the audit trail, which records field names, never values).
func parsePatch(in updateInput) (task.Patch, []string, error) {
	var p task.Patch
	var fields []string
	if in.Title != nil {
		if err := checkLen("title", *in.Title, task.MaxTitleLen); err != nil {
			return p, nil, err
		}
		p.Title = in.Title
		fields = append(fields, "title")
	}
	if in.Notes != nil {
		if err := checkLen("notes", *in.Notes, task.MaxNotesLen); err != nil {
			return p, nil, err
		}
		p.Notes = in.Notes
		fields = append(fields, "notes")
	}
	var err error
	if p.DueDate, err = parseOptionalDate("due_date", in.DueDate); err != nil {
		return p, nil, err
	}
	if p.DueDate != nil || in.ClearDueDate {
		fields = append(fields, "due_date")
	}
	p.ClearDue = in.ClearDueDate
	if in.Priority != "" {
		pr, err := parsePriority(in.Priority)
		if err != nil {
			return p, nil, err
		}
		p.Priority = &pr
		fields = append(fields, "priority")
	}
	for _, list := range [][]string{in.AddTags, in.RemoveTags} {
		if len(list) > task.MaxTags {
			return p, nil, refuse("at most %d tags", task.MaxTags)
		}
	}
	p.AddTags, p.RemoveTags = in.AddTags, in.RemoveTags
	if in.SetTags != nil {
		if len(*in.SetTags) > task.MaxTags {
			return p, nil, refuse("at most %d tags", task.MaxTags)
		}
		p.SetTags = in.SetTags
	}
	if len(in.AddTags) > 0 || len(in.RemoveTags) > 0 || in.SetTags != nil {
		fields = append(fields, "tags")
	}
	if err := p.Normalize(); err != nil {
		return p, nil, asToolError(err)
	}
	return p, fields, nil
}

// asToolError turns domain errors into refusals the model can act on; any
// other error stays as it is (and becomes a generic internal error).
func asToolError(err error) error {
	var te *toolError
	var ve *task.ValidationError
	var le *task.LimitError
	switch {
	case errors.As(err, &te):
		return te
	case errors.As(err, &ve):
		parts := make([]string, len(ve.Fields))
		for i, f := range ve.Fields {
			parts[i] = strings.TrimPrefix(f.Field+": ", ": ") + f.Message
		}
		return &toolError{msg: "invalid input: " + strings.Join(parts, "; ")}
	case errors.Is(err, task.ErrNotFound):
		// The same answer whether the id never existed or belongs to someone
		// else: row-level security makes them indistinguishable (A8, I4).
		return &toolError{msg: "task not found: check the id (use list_tasks to find it)"}
	case errors.Is(err, task.ErrConflict), errors.As(err, &le):
		return &toolError{msg: err.Error()}
	}
	return err
}
