package mcpapi

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/taskbridge/taskbridge/internal/postgres"
)

// Hand-written JSON encoders for the results every list and get returns:
// the model's tasks (taskOut, listOut, taskResult) and the widget's board.
// encoding/json walks these structs by reflection, which profiling showed
// as a tenth of a list call's CPU. Each encoder writes exactly what
// json.Marshal writes for the same value (field order, omitempty, HTML-safe
// escaping, sorted map keys, null for a nil slice or map):
// TestEncodersMatchEncodingJSON compares them on hostile values, and the
// differential tests compare the direct path's answers, board included,
// with the SDK's, which encodes with encoding/json.

// jsonAppender is a value that appends its own JSON encoding.
type jsonAppender interface {
	appendJSON(buf []byte) []byte
}

func (t taskOut) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"id":`...)
	buf = appendJSONString(buf, t.ID)
	buf = append(buf, `,"title":`...)
	buf = appendJSONString(buf, t.Title)
	buf = append(buf, `,"status":`...)
	buf = appendJSONString(buf, t.Status)
	buf = append(buf, `,"priority":`...)
	buf = appendJSONString(buf, t.Priority)
	if t.DueDate != "" {
		buf = append(buf, `,"due_date":`...)
		buf = appendJSONString(buf, t.DueDate)
	}
	buf = append(buf, `,"tags":`...)
	buf = appendJSONStrings(buf, t.Tags)
	if t.NotesExcerpt != "" {
		buf = append(buf, `,"notes_excerpt":`...)
		buf = appendJSONString(buf, t.NotesExcerpt)
	}
	if t.InTrash {
		buf = append(buf, `,"in_trash":true`...)
	}
	buf = append(buf, `,"created_at":`...)
	buf = appendJSONString(buf, t.CreatedAt)
	buf = append(buf, `,"updated_at":`...)
	buf = appendJSONString(buf, t.UpdatedAt)
	return append(buf, '}')
}

func (r taskResult) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"task":`...)
	buf = r.Task.appendJSON(buf)
	return append(buf, '}')
}

func (l listOut) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"tasks":`...)
	if l.Tasks == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, t := range l.Tasks {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = t.appendJSON(buf)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"count":`...)
	buf = strconv.AppendInt(buf, int64(l.Count), 10)
	buf = append(buf, `,"has_more":`...)
	buf = strconv.AppendBool(buf, l.HasMore)
	if l.NextCursor != "" {
		buf = append(buf, `,"next_cursor":`...)
		buf = appendJSONString(buf, l.NextCursor)
	}
	buf = append(buf, `,"view":`...)
	buf = appendJSONString(buf, l.View)
	return append(buf, '}')
}

func (t boardTask) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"id":`...)
	buf = appendJSONString(buf, t.ID)
	buf = append(buf, `,"title":`...)
	buf = appendJSONString(buf, t.Title)
	if t.Notes != "" {
		buf = append(buf, `,"notes":`...)
		buf = appendJSONString(buf, t.Notes)
	}
	if t.NotesCut {
		buf = append(buf, `,"notes_truncated":true`...)
	}
	buf = append(buf, `,"status":`...)
	buf = appendJSONString(buf, t.Status)
	buf = append(buf, `,"priority":`...)
	buf = appendJSONString(buf, t.Priority)
	if t.DueDate != "" {
		buf = append(buf, `,"due_date":`...)
		buf = appendJSONString(buf, t.DueDate)
	}
	buf = append(buf, `,"tags":`...)
	buf = appendJSONStrings(buf, t.Tags)
	if t.InTrash {
		buf = append(buf, `,"in_trash":true`...)
	}
	buf = append(buf, `,"created_at":`...)
	buf = appendJSONString(buf, t.CreatedAt)
	buf = append(buf, `,"updated_at":`...)
	buf = appendJSONString(buf, t.UpdatedAt)
	if t.CompletedAt != "" {
		buf = append(buf, `,"completed_at":`...)
		buf = appendJSONString(buf, t.CompletedAt)
	}
	if t.DeletedAt != "" {
		buf = append(buf, `,"deleted_at":`...)
		buf = appendJSONString(buf, t.DeletedAt)
	}
	return append(buf, '}')
}

func (b board) appendJSON(buf []byte) []byte {
	buf = append(buf, `{"tasks":`...)
	if b.Tasks == nil {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '[')
		for i, t := range b.Tasks {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = t.appendJSON(buf)
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"view":`...)
	buf = appendJSONString(buf, b.View)
	if b.NextCursor != "" {
		buf = append(buf, `,"next_cursor":`...)
		buf = appendJSONString(buf, b.NextCursor)
	}
	if b.Counts != nil {
		buf = append(buf, `,"counts":`...)
		buf = appendCounts(buf, b.Counts)
	}
	buf = append(buf, `,"purge_confirmations":`...)
	buf = appendStringMap(buf, b.PurgeConfirmations)
	buf = append(buf, `,"generated_at":`...)
	buf = appendJSONString(buf, b.GeneratedAt)
	return append(buf, '}')
}

func appendCounts(buf []byte, c *postgres.TaskCounts) []byte {
	buf = append(buf, `{"open":`...)
	buf = strconv.AppendInt(buf, int64(c.Open), 10)
	buf = append(buf, `,"done":`...)
	buf = strconv.AppendInt(buf, int64(c.Done), 10)
	buf = append(buf, `,"trash":`...)
	buf = strconv.AppendInt(buf, int64(c.Trash), 10)
	return append(buf, '}')
}

// appendStringMap writes m as encoding/json does: keys sorted.
func appendStringMap(buf []byte, m map[string]string) []byte {
	if m == nil {
		return append(buf, "null"...)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	buf = append(buf, '{')
	for i, k := range keys {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, k)
		buf = append(buf, ':')
		buf = appendJSONString(buf, m[k])
	}
	return append(buf, '}')
}

func appendJSONStrings(buf []byte, ss []string) []byte {
	if ss == nil {
		return append(buf, "null"...)
	}
	buf = append(buf, '[')
	for i, s := range ss {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendJSONString(buf, s)
	}
	return append(buf, ']')
}

// appendJSONString appends s as a JSON string exactly as encoding/json
// writes it (HTML-safe: <, > and & escaped; invalid UTF-8 as \ufffd;
// U+2028 and U+2029 escaped).
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch b {
			case '\\', '"':
				buf = append(buf, '\\', b)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}

// jsonSafe holds the ASCII bytes encoding/json writes as they are in an
// HTML-safe string.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = true
	}
	for _, b := range `"\<>&` {
		t[b] = false
	}
	return t
}()
