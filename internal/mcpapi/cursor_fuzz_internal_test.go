package mcpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/taskbridge/taskbridge/internal/task"
)

// FuzzCursorDecode: decoding never panics, and the only strings a codec
// accepts are ones it issued for that user and filter: an accepted cursor
// re-encodes to exactly itself (no second spelling, no forged field), and
// another user's or another filter's verification refuses it.
func FuzzCursorDecode(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	codec := cursorCodec{key: bytes.Repeat([]byte{1}, 32), now: func() time.Time { return now }}
	user := uuid.MustParse("5f1e1b8e-8d2a-4c57-9b1d-1a2b3c4d5e6f")
	digest := sha256.Sum256([]byte("filter"))
	valid := codec.encode(user, digest, task.Position{CreatedAt: now.Add(-time.Hour), ID: uuid.MustParse("0b5c1f0e-6f1a-4c1e-9d3a-2f6b8c7d9e10")})
	// The same bytes spelled with non-zero padding bits in the last
	// character: accepted before decode became strict.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	respelled := valid[:len(valid)-1] + string(alphabet[strings.IndexByte(alphabet, valid[len(valid)-1])^1])
	for _, seed := range []string{valid, respelled, valid[:len(valid)-1], valid + "A", "", "AAAA", "====", "!!", string(bytes.Repeat([]byte("A"), 300))} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pos, err := codec.decode(user, digest, s)
		if err != nil {
			return
		}
		expiry := now.Add(cursorTTL)
		reissue := cursorCodec{key: codec.key, now: func() time.Time { return expiry.Add(-cursorTTL) }}
		if again := reissue.encode(user, digest, pos); again != s {
			t.Fatalf("accepted %q, which the codec would spell %q", s, again)
		}
		if _, err := codec.decode(uuid.New(), digest, s); err == nil {
			t.Fatal("another user's verification accepted the cursor")
		}
		if _, err := codec.decode(user, sha256.Sum256([]byte("other")), s); err == nil {
			t.Fatal("another filter's verification accepted the cursor")
		}
	})
}

func BenchmarkCursorEncodeDecode(b *testing.B) {
	now := time.Now()
	codec := cursorCodec{key: bytes.Repeat([]byte{1}, 32), now: func() time.Time { return now }}
	user := uuid.New()
	digest := sha256.Sum256([]byte("filter"))
	pos := task.Position{CreatedAt: now, ID: uuid.New()}
	b.ReportAllocs()
	for b.Loop() {
		s := codec.encode(user, digest, pos)
		if _, err := codec.decode(user, digest, s); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzPurgeConfirmation: a confirmation verifies only as the exact string
// issued for that user, task and trashing (one spelling), never for another
// task, another user or another trashing of the same task (a deleted_at one
// microsecond apart: restore and trash again); and whatever verify accepts,
// parse accepts too (purgeTask checks the form before the transaction and
// the MAC inside it).
func FuzzPurgeConfirmation(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	codec := purgeCodec{key: bytes.Repeat([]byte{2}, 32), now: func() time.Time { return now }}
	user := uuid.MustParse("5f1e1b8e-8d2a-4c57-9b1d-1a2b3c4d5e6f")
	taskID := uuid.MustParse("0b5c1f0e-6f1a-4c1e-9d3a-2f6b8c7d9e10")
	deletedAt := time.UnixMicro(1_799_999_000_123_456)
	valid := codec.issue(user, taskID, deletedAt)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	respelled := valid[:len(valid)-1] + string(alphabet[strings.IndexByte(alphabet, valid[len(valid)-1])^1])
	for _, seed := range []string{valid, respelled, "", "A", valid + "A",
		codec.issue(user, taskID, deletedAt.Add(time.Microsecond)), codec.issue(user, uuid.New(), deletedAt)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if codec.verify(user, taskID, deletedAt, s) != nil {
			return
		}
		if s != valid {
			t.Fatalf("accepted %q; only %q was issued", s, valid)
		}
		if _, err := codec.parse(s); err != nil {
			t.Fatalf("verify accepted %q, which parse refuses", s)
		}
		if codec.verify(user, uuid.New(), deletedAt, s) == nil {
			t.Fatal("a confirmation verified for another task")
		}
		if codec.verify(uuid.New(), taskID, deletedAt, s) == nil {
			t.Fatal("a confirmation verified for another user")
		}
		for _, other := range []time.Time{deletedAt.Add(time.Microsecond), deletedAt.Add(-time.Microsecond), deletedAt.Add(time.Minute)} {
			if codec.verify(user, taskID, other, s) == nil {
				t.Fatalf("a confirmation for the trashing at %v verified for the one at %v", deletedAt, other)
			}
		}
	})
}

// BenchmarkShapeListResult: what list_tasks does to 25 tasks after the
// query: the model's view, the widget's board (with notes) and the text
// content, then the JSON-RPC response the direct path writes (fastcall.go).
func BenchmarkShapeListResult(b *testing.B) {
	now := time.Now()
	s := &service{Deps: Deps{Now: func() time.Time { return now }}, purge: purgeCodec{key: bytes.Repeat([]byte{3}, 32), now: func() time.Time { return now }}}
	tasks := make([]task.Task, 25)
	for i := range tasks {
		tasks[i] = task.Task{ID: uuid.New(), Title: "Buy milk and bread for the weekend", Notes: strings.Repeat("Some notes about the task. ", 20),
			Status: task.StatusOpen, Priority: task.PriorityNormal, Tags: []string{"home", "errands"}, CreatedAt: now, UpdatedAt: now}
	}
	user := uuid.New()
	b.ReportAllocs()
	for b.Loop() {
		out := listOut{Tasks: make([]taskOut, 0, len(tasks)), Count: len(tasks), View: "live"}
		for _, t := range tasks {
			out.Tasks = append(out.Tasks, shapeTask(t))
		}
		raw, err := json.Marshal(out)
		if err != nil {
			b.Fatal(err)
		}
		res := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: dataText(raw)}},
			StructuredContent: json.RawMessage(raw), Meta: s.boardMeta(user, tasks, out.Tasks, "live", "")}
		if _, _, err := s.appendResponse(nil, int64(1), res, nil, false); err != nil {
			b.Fatal(err)
		}
	}
}
