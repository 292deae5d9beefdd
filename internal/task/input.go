package task

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NewTask is what a caller supplies to create a task.
type NewTask struct {
	Title    string
	Notes    string
	DueDate  *Date
	Priority Priority // empty means normal
	Tags     []string
}

// Normalize cleans the input (see CleanText and NormalizeTags) and validates
// it, returning every problem at once.
func (n *NewTask) Normalize() error {
	var v ValidationError
	n.Title = CleanText(n.Title, false)
	n.Notes = CleanText(n.Notes, true)
	checkTitle(&v, "title", n.Title)
	checkNotes(&v, "notes", n.Notes)
	if n.Priority == "" {
		n.Priority = PriorityNormal
	}
	checkPriority(&v, "priority", n.Priority)
	tags, err := NormalizeTags(n.Tags)
	if err != nil {
		v.add("tags", "%s", err.Error())
	}
	n.Tags = tags
	return v.err()
}

// Patch is a partial update: nil fields are left alone. Tags change only by
// explicit add and remove lists (or an explicit replacement), never by
// silently replacing the whole set.
type Patch struct {
	Title      *string
	Notes      *string
	DueDate    *Date
	ClearDue   bool
	Priority   *Priority
	AddTags    []string
	RemoveTags []string
	SetTags    *[]string
}

// Normalize cleans and validates the patch.
func (p *Patch) Normalize() error {
	var v ValidationError
	if p.Title != nil {
		t := CleanText(*p.Title, false)
		p.Title = &t
		checkTitle(&v, "title", t)
	}
	if p.Notes != nil {
		n := CleanText(*p.Notes, true)
		p.Notes = &n
		checkNotes(&v, "notes", n)
	}
	if p.DueDate != nil && p.ClearDue {
		v.add("due_date", "cannot both set and clear the due date")
	}
	if p.Priority != nil {
		checkPriority(&v, "priority", *p.Priority)
	}
	var err error
	if p.AddTags, err = NormalizeTags(p.AddTags); err != nil {
		v.add("add_tags", "%s", err.Error())
	}
	if p.RemoveTags, err = NormalizeTags(p.RemoveTags); err != nil {
		v.add("remove_tags", "%s", err.Error())
	}
	if p.SetTags != nil {
		if len(p.AddTags) > 0 || len(p.RemoveTags) > 0 {
			v.add("set_tags", "use either set_tags or add_tags/remove_tags, not both")
		}
		tags, err := NormalizeTags(*p.SetTags)
		if err != nil {
			v.add("set_tags", "%s", err.Error())
		}
		p.SetTags = &tags
	}
	if p.Empty() && len(v.Fields) == 0 {
		v.add("patch", "nothing to change: give at least one field")
	}
	return v.err()
}

// Empty reports whether the patch changes nothing.
func (p *Patch) Empty() bool {
	return p.Title == nil && p.Notes == nil && p.DueDate == nil && !p.ClearDue &&
		p.Priority == nil && len(p.AddTags) == 0 && len(p.RemoveTags) == 0 && p.SetTags == nil
}

// Apply returns t changed by the patch (which must be normalized), checking
// that the resulting tag set stays within limits.
func (p *Patch) Apply(t Task) (Task, error) {
	if p.Title != nil {
		t.Title = *p.Title
	}
	if p.Notes != nil {
		t.Notes = *p.Notes
	}
	if p.DueDate != nil {
		d := *p.DueDate
		t.DueDate = &d
	}
	if p.ClearDue {
		t.DueDate = nil
	}
	if p.Priority != nil {
		t.Priority = *p.Priority
	}
	if p.SetTags != nil {
		t.Tags = append([]string(nil), (*p.SetTags)...)
	}
	t.Tags = mergeTags(t.Tags, p.AddTags, p.RemoveTags)
	if len(t.Tags) > MaxTags {
		return Task{}, &ValidationError{Fields: []FieldError{{Field: "add_tags", Message: "a task can have at most 20 tags"}}}
	}
	return t, nil
}

func mergeTags(have, add, remove []string) []string {
	out := make([]string, 0, len(have)+len(add))
	drop := make(map[string]bool, len(remove))
	for _, r := range remove {
		drop[r] = true
	}
	seen := make(map[string]bool, len(have)+len(add))
	for _, list := range [][]string{have, add} {
		for _, t := range list {
			if !drop[t] && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

// NormalizeTags lower-cases, trims and de-duplicates tags, keeping order, and
// rejects tags that are not short words (letters, digits, '-', '_', '.').
func NormalizeTags(tags []string) ([]string, error) {
	if len(tags) > MaxTags {
		return nil, errorf("at most %d tags", MaxTags)
	}
	out := make([]string, 0, len(tags))
	seen := make(map[string]bool, len(tags))
	for _, raw := range tags {
		t := strings.ToLower(strings.TrimSpace(raw))
		if t == "" {
			return nil, errorf("tags cannot be empty")
		}
		if utf8.RuneCountInString(t) > MaxTagLen {
			return nil, errorf("tag %q is longer than %d characters", truncateRunes(t, 40), MaxTagLen)
		}
		for _, r := range t {
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.') {
				return nil, errorf("tag %q may contain only letters, digits, '-', '_' and '.'", truncateRunes(t, 40))
			}
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

func checkTitle(v *ValidationError, field, s string) {
	switch n := utf8.RuneCountInString(s); {
	case n == 0:
		v.add(field, "is required")
	case n > MaxTitleLen:
		v.add(field, "is %d characters; the limit is %d", n, MaxTitleLen)
	}
}

func checkNotes(v *ValidationError, field, s string) {
	if n := utf8.RuneCountInString(s); n > MaxNotesLen {
		v.add(field, "is %d characters; the limit is %d", n, MaxNotesLen)
	}
}

func checkPriority(v *ValidationError, field string, p Priority) {
	switch p {
	case PriorityLow, PriorityNormal, PriorityHigh:
	default:
		v.add(field, "must be one of low, normal, high")
	}
}

// ParseStatus accepts only the known statuses.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case StatusOpen, StatusDone:
		return Status(s), nil
	}
	return "", errorf("status must be open or done")
}

type simpleError string

func (e simpleError) Error() string { return string(e) }

func errorf(format string, args ...any) error {
	var v ValidationError
	v.add("", format, args...)
	return simpleError(v.Fields[0].Message)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
