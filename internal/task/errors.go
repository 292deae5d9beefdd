package task

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is the single answer for a task that does not exist, was
// purged, or belongs to someone else: the caller cannot tell them apart (A8).
var ErrNotFound = errors.New("task not found")

// ErrConflict means the request is valid but the task's state forbids it
// (for example restoring a task that is not in the trash).
var ErrConflict = errors.New("task state conflict")

// FieldError is one invalid field with a message a model or a person can act on.
type FieldError struct {
	Field   string
	Message string
}

// ValidationError collects every invalid field of one request, so the caller
// can fix them all at once.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// add records a problem with a field.
func (e *ValidationError) add(field, format string, args ...any) {
	e.Fields = append(e.Fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns nil when nothing was recorded.
func (e *ValidationError) err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// LimitError means the account already stores as many tasks as it may, so
// nothing was created. Its message tells the model and the person what to
// do about it.
type LimitError struct {
	Max     int // tasks one account may store
	Stored  int // tasks it stores, the trash included
	InTrash int // of which in the trash
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("storage limit reached: this account stores %d tasks (%d of them in the trash) and the limit is %d; "+
		"nothing was created. Delete tasks that are no longer needed and empty the trash on the task board "+
		"(trashed tasks still count until they are deleted for good), then try again.", e.Stored, e.InTrash, e.Max)
}
