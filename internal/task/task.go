// Package task is the domain at the centre of taskbridge: what a task is and
// which values are valid. It imports nothing of HTTP, MCP or SQL; the
// adapters depend on it, never the reverse.
package task

import (
	"time"

	"github.com/google/uuid"
)

// Status is where a task is in its life.
type Status string

const (
	StatusOpen Status = "open"
	StatusDone Status = "done"
)

// Priority orders tasks for the user.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
)

// Limits on user input. They bound storage, what reaches a model, and the
// work one request can cause (I1, I8).
const (
	MaxTitleLen   = 200   // characters
	MaxNotesLen   = 20000 // characters
	MaxTags       = 20
	MaxTagLen     = 32
	MaxQueryLen   = 200
	MaxPageSize   = 100
	DefaultPage   = 25
	MaxBatchItems = 25
	// DefaultMaxTasksPerUser bounds what one account stores (I8): tasks in
	// the trash count until they are purged. TASKBRIDGE_MAX_TASKS_PER_USER
	// changes it; PRIVACY.md publishes it.
	DefaultMaxTasksPerUser = 5000
)

// Task is one user's to-do item.
type Task struct {
	ID          uuid.UUID
	OwnerID     uuid.UUID
	Title       string
	Notes       string
	Status      Status
	DueDate     *Date
	Priority    Priority
	Tags        []string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	CompletedAt *time.Time
	DeletedAt   *time.Time // set while the task is in the trash
}

// InTrash reports whether the task was deleted and awaits purge or restore.
func (t Task) InTrash() bool { return t.DeletedAt != nil }
