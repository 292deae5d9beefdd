package task

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// View selects which tasks a listing covers.
type View string

const (
	ViewLive  View = ""      // not in the trash
	ViewTrash View = "trash" // deleted, awaiting purge or restore
)

// Filter narrows a listing. Zero values mean "no constraint".
type Filter struct {
	Status    Status
	DueBefore *Date
	DueAfter  *Date
	Tag       string
	Query     string // matched against titles and tags (notes are encrypted at rest)
	View      View
	Limit     int
}

// Normalize validates the filter and applies the page-size cap.
func (f *Filter) Normalize() error {
	var v ValidationError
	if f.Status != "" {
		if _, err := ParseStatus(string(f.Status)); err != nil {
			v.add("status", "%s", err.Error())
		}
	}
	if f.DueBefore != nil && f.DueAfter != nil && f.DueBefore.Before(*f.DueAfter) {
		v.add("due_before", "is earlier than due_after")
	}
	if f.Tag != "" {
		tags, err := NormalizeTags([]string{f.Tag})
		if err != nil {
			v.add("tag", "%s", err.Error())
		} else {
			f.Tag = tags[0]
		}
	}
	f.Query = strings.TrimSpace(CleanText(f.Query, false))
	if n := utf8.RuneCountInString(f.Query); n > MaxQueryLen {
		v.add("query", "is %d characters; the limit is %d", n, MaxQueryLen)
	}
	switch f.View {
	case ViewLive, ViewTrash:
	default:
		v.add("view", "must be empty or trash")
	}
	switch {
	case f.Limit < 0:
		v.add("limit", "cannot be negative")
	case f.Limit == 0:
		f.Limit = DefaultPage
	case f.Limit > MaxPageSize:
		f.Limit = MaxPageSize
	}
	return v.err()
}

// Position is where a page of a listing ends: listings are ordered newest
// first by creation time, then by id, so a position is stable under inserts.
type Position struct {
	CreatedAt time.Time
	ID        uuid.UUID
}
