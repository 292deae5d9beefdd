package mcpapi

import (
	"fmt"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/taskbridge/taskbridge/internal/task"
)

// Tool inputs. Schemas are inferred from these structs and then tightened
// (enums, lengths, formats, item counts) in the *Schema functions below, so
// the model is told the limits. The handlers validate every field again
// (validate.go): the schema is advice to the model, the server decides (I1).

type listInput struct {
	Status    string `json:"status,omitempty" jsonschema:"only tasks with this status"`
	DueBefore string `json:"due_before,omitempty" jsonschema:"only tasks due strictly before this date (YYYY-MM-DD)"`
	DueAfter  string `json:"due_after,omitempty" jsonschema:"only tasks due strictly after this date (YYYY-MM-DD)"`
	Tag       string `json:"tag,omitempty" jsonschema:"only tasks carrying this tag"`
	Query     string `json:"query,omitempty" jsonschema:"text to find in titles and tags (plain text, not a pattern)"`
	View      string `json:"view,omitempty" jsonschema:"live (default) or trash"`
	Limit     *int   `json:"limit,omitempty" jsonschema:"page size, 1-100 (default 25)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor from the previous page of the same query"`
}

type boardInput struct {
	Status string `json:"status,omitempty" jsonschema:"only tasks with this status"`
	Tag    string `json:"tag,omitempty" jsonschema:"only tasks carrying this tag"`
	View   string `json:"view,omitempty" jsonschema:"live (default) or trash"`
}

type idInput struct {
	ID string `json:"id" jsonschema:"the task id (a UUID from an earlier result)"`
}

type searchInput struct {
	Query string `json:"query" jsonschema:"text to find in task titles and tags"`
}

type createInput struct {
	Title    string   `json:"title" jsonschema:"short title of the task"`
	Notes    string   `json:"notes,omitempty" jsonschema:"longer notes"`
	DueDate  string   `json:"due_date,omitempty" jsonschema:"due date (YYYY-MM-DD)"`
	Priority string   `json:"priority,omitempty" jsonschema:"low, normal (default) or high"`
	Tags     []string `json:"tags,omitempty" jsonschema:"tags: letters, digits, '-', '_' and '.'"`
}

type updateInput struct {
	ID           string    `json:"id" jsonschema:"the task id"`
	Title        *string   `json:"title,omitempty" jsonschema:"new title"`
	Notes        *string   `json:"notes,omitempty" jsonschema:"new notes (replaces the old notes; empty clears them)"`
	DueDate      string    `json:"due_date,omitempty" jsonschema:"new due date (YYYY-MM-DD)"`
	ClearDueDate bool      `json:"clear_due_date,omitempty" jsonschema:"remove the due date"`
	Priority     string    `json:"priority,omitempty" jsonschema:"new priority"`
	AddTags      []string  `json:"add_tags,omitempty" jsonschema:"tags to add (other tags are kept)"`
	RemoveTags   []string  `json:"remove_tags,omitempty" jsonschema:"tags to remove (other tags are kept)"`
	SetTags      *[]string `json:"set_tags,omitempty" jsonschema:"replace ALL tags with exactly this list; only when the user asked to replace them"`
}

type createBatchInput struct {
	Items []createInput `json:"items" jsonschema:"the tasks to create, at most 25"`
}

type idsInput struct {
	IDs []string `json:"ids" jsonschema:"task ids, at most 25"`
}

type purgeInput struct {
	ID           string `json:"id" jsonschema:"the id of a task in the trash"`
	Confirmation string `json:"confirmation" jsonschema:"the confirmation token the task board received for this task"`
}

const (
	maxIDLen           = 36
	maxDateLen         = 10
	maxCursorInputLen  = maxCursorLen
	maxConfirmationLen = 128
)

// mustSchema infers T's schema and applies edit. It panics on a programming
// error (a property name that does not exist), which the tools/list golden
// test catches at once.
func mustSchema[T any](edit func(s *jsonschema.Schema)) *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("schema for %T: %v", *new(T), err))
	}
	if edit != nil {
		edit(s)
	}
	return s
}

func prop(s *jsonschema.Schema, name string) *jsonschema.Schema {
	p, ok := s.Properties[name]
	if !ok {
		panic("schema has no property " + name)
	}
	return p
}

func maxLen(n int) *int { return &n }

func setString(p *jsonschema.Schema, max int) {
	p.Type, p.Types = "string", nil
	p.MaxLength = maxLen(max)
}

func setEnum(p *jsonschema.Schema, values ...string) {
	p.Type, p.Types = "string", nil
	p.Enum = make([]any, len(values))
	for i, v := range values {
		p.Enum[i] = v
	}
}

func setDate(p *jsonschema.Schema) {
	setString(p, maxDateLen)
	p.Format = "date"
	p.Pattern = `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
}

func setUUID(p *jsonschema.Schema) {
	setString(p, maxIDLen)
	p.Format = "uuid"
}

func setTags(p *jsonschema.Schema) {
	p.Type, p.Types = "array", nil
	p.MaxItems = maxLen(task.MaxTags)
	setString(p.Items, task.MaxTagLen)
	p.Items.MinLength = maxLen(1)
}

func listSchema() *jsonschema.Schema {
	return mustSchema[listInput](func(s *jsonschema.Schema) {
		setEnum(prop(s, "status"), "open", "done")
		setDate(prop(s, "due_before"))
		setDate(prop(s, "due_after"))
		setString(prop(s, "tag"), task.MaxTagLen)
		setString(prop(s, "query"), task.MaxQueryLen)
		setEnum(prop(s, "view"), "live", "trash")
		lim := prop(s, "limit") // a pointer only to tell absent from 0
		lim.Type, lim.Types = "integer", nil
		lo, hi := 1.0, float64(task.MaxPageSize)
		lim.Minimum, lim.Maximum = &lo, &hi
		setString(prop(s, "cursor"), maxCursorInputLen)
	})
}

func boardSchema() *jsonschema.Schema {
	return mustSchema[boardInput](func(s *jsonschema.Schema) {
		setEnum(prop(s, "status"), "open", "done")
		setString(prop(s, "tag"), task.MaxTagLen)
		setEnum(prop(s, "view"), "live", "trash")
	})
}

func idSchema() *jsonschema.Schema {
	return mustSchema[idInput](func(s *jsonschema.Schema) { setUUID(prop(s, "id")) })
}

func searchSchema() *jsonschema.Schema {
	return mustSchema[searchInput](func(s *jsonschema.Schema) {
		setString(prop(s, "query"), task.MaxQueryLen)
		prop(s, "query").MinLength = maxLen(1)
	})
}

func editCreate(s *jsonschema.Schema) {
	setString(prop(s, "title"), task.MaxTitleLen)
	prop(s, "title").MinLength = maxLen(1)
	setString(prop(s, "notes"), task.MaxNotesLen)
	setDate(prop(s, "due_date"))
	setEnum(prop(s, "priority"), "low", "normal", "high")
	setTags(prop(s, "tags"))
}

func createSchema() *jsonschema.Schema { return mustSchema[createInput](editCreate) }

func updateSchema() *jsonschema.Schema {
	return mustSchema[updateInput](func(s *jsonschema.Schema) {
		setUUID(prop(s, "id"))
		setString(prop(s, "title"), task.MaxTitleLen)
		setString(prop(s, "notes"), task.MaxNotesLen)
		setDate(prop(s, "due_date"))
		setEnum(prop(s, "priority"), "low", "normal", "high")
		setTags(prop(s, "add_tags"))
		setTags(prop(s, "remove_tags"))
		setTags(prop(s, "set_tags"))
	})
}

func createBatchSchema() *jsonschema.Schema {
	return mustSchema[createBatchInput](func(s *jsonschema.Schema) {
		items := prop(s, "items")
		items.Type, items.Types = "array", nil
		items.MinItems, items.MaxItems = maxLen(1), maxLen(task.MaxBatchItems)
		editCreate(items.Items)
	})
}

func idsSchema() *jsonschema.Schema {
	return mustSchema[idsInput](func(s *jsonschema.Schema) {
		ids := prop(s, "ids")
		ids.Type, ids.Types = "array", nil
		ids.MinItems, ids.MaxItems = maxLen(1), maxLen(task.MaxBatchItems)
		setUUID(ids.Items)
	})
}

func purgeSchema() *jsonschema.Schema {
	return mustSchema[purgeInput](func(s *jsonschema.Schema) {
		setUUID(prop(s, "id"))
		setString(prop(s, "confirmation"), maxConfirmationLen)
	})
}
