package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge/internal/logging"
)

// capture returns a logger writing to a buffer and a function that parses
// every line written so far, failing the test on a line that is not JSON.
func capture(t *testing.T, opts logging.Options) (*slog.Logger, func() []map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	log := logging.New(&buf, opts)
	return log, func() []map[string]any {
		t.Helper()
		var lines []map[string]any
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("log line is not valid JSON: %v\n%s", err, line)
			}
			lines = append(lines, m)
		}
		return lines
	}
}

// one logs with fn and returns the single line written, raw and parsed.
func one(t *testing.T, fn func(log *slog.Logger)) (string, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	fn(logging.New(&buf, logging.Options{}))
	raw := strings.TrimSpace(buf.String())
	var m map[string]any
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		t.Fatalf("log line is not valid JSON: %v\n%s", err, raw)
	}
	return raw, m
}

// at walks a dotted path through a parsed line.
func at(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}

type credentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Note     string `json:"note"`
}

type secretValuer struct{ called *bool }

func (s secretValuer) LogValue() slog.Value {
	*s.called = true
	return slog.StringValue("hunter2-from-logvaluer")
}

func TestSensitiveKeysAreHiddenAtAnyDepth(t *testing.T) {
	const secret = "hunter2-secret-value"
	cases := []struct {
		name string
		log  func(*slog.Logger)
		path string
	}{
		{"password", func(l *slog.Logger) { l.Info("m", "password", secret) }, "password"},
		{"case and separators", func(l *slog.Logger) { l.Info("m", "DB-Password", secret) }, "DB-Password"},
		{"passwd", func(l *slog.Logger) { l.Info("m", "passwd", secret) }, "passwd"},
		{"client_secret", func(l *slog.Logger) { l.Info("m", "client_secret", secret) }, "client_secret"},
		{"refresh_token", func(l *slog.Logger) { l.Info("m", "refresh_token", secret) }, "refresh_token"},
		{"Authorization", func(l *slog.Logger) { l.Info("m", "Authorization", secret) }, "Authorization"},
		{"cookie", func(l *slog.Logger) { l.Info("m", "Set-Cookie", secret) }, "Set-Cookie"},
		{"api_key", func(l *slog.Logger) { l.Info("m", "api_key", secret) }, "api_key"},
		{"apiKey", func(l *slog.Logger) { l.Info("m", "apiKey", secret) }, "apiKey"},
		{"X-Api-Key", func(l *slog.Logger) { l.Info("m", "X-Api-Key", secret) }, "X-Api-Key"},
		{"session_id", func(l *slog.Logger) { l.Info("m", "session_id", secret) }, "session_id"},
		{"csrf", func(l *slog.Logger) { l.Info("m", "csrf", secret) }, "csrf"},
		{"code_verifier", func(l *slog.Logger) { l.Info("m", "code_verifier", secret) }, "code_verifier"},
		{"dsn", func(l *slog.Logger) { l.Info("m", "dsn", secret) }, "dsn"},
		{"DATABASE_URL", func(l *slog.Logger) { l.Info("m", "DATABASE_URL", secret) }, "DATABASE_URL"},
		{"non-string value", func(l *slog.Logger) { l.Info("m", "token", 12345678) }, "token"},
		{"group value", func(l *slog.Logger) { l.Info("m", slog.Group("secret", slog.String("a", secret))) }, "secret"},
		{"in a group", func(l *slog.Logger) {
			l.Info("m", slog.Group("db", slog.String("host", "h"), slog.String("password", secret)))
		}, "db.password"},
		{"nested groups", func(l *slog.Logger) {
			l.Info("m", slog.Group("a", slog.Group("b", slog.String("Token", secret))))
		}, "a.b.Token"},
		{"WithAttrs", func(l *slog.Logger) { l.With("password", secret).Info("m") }, "password"},
		{"WithGroup then attr", func(l *slog.Logger) { l.WithGroup("req").Info("m", "authorization", secret) }, "req.authorization"},
		{"WithGroup then WithAttrs", func(l *slog.Logger) { l.WithGroup("req").With("cookie", secret).Info("m") }, "req.cookie"},
		{"map in slog.Any", func(l *slog.Logger) {
			l.Info("m", slog.Any("cfg", map[string]any{"user": map[string]any{"password": secret}}))
		}, "cfg.user.password"},
		{"struct in slog.Any", func(l *slog.Logger) {
			l.Info("m", slog.Any("login", credentials{User: "bob", Password: secret}))
		}, "login.password"},
		{"http.Header", func(l *slog.Logger) {
			l.Info("m", slog.Any("headers", http.Header{"Authorization": {"Bearer " + secret}}))
		}, "headers.Authorization"},
		{"json.RawMessage", func(l *slog.Logger) {
			l.Info("m", slog.Any("body", json.RawMessage(`{"grant":{"refresh_token":"`+secret+`"}}`)))
		}, "body.grant.refresh_token"},
		{"LogValuer", func(l *slog.Logger) {
			l.Info("m", slog.Any("u", slog.GroupValue(slog.String("password", secret))))
		}, "u.password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, m := one(t, c.log)
			if strings.Contains(raw, secret) || strings.Contains(raw, "12345678") {
				t.Fatalf("secret written:\n%s", raw)
			}
			if got := at(m, c.path); got != "[REDACTED]" {
				t.Fatalf("%s = %#v, want \"[REDACTED]\"\n%s", c.path, got, raw)
			}
		})
	}
}

func TestLogValuerUnderSensitiveKeyIsNeverCalled(t *testing.T) {
	called := false
	raw, m := one(t, func(l *slog.Logger) { l.Info("m", slog.Any("session", secretValuer{&called})) })
	if called || strings.Contains(raw, "hunter2") || m["session"] != "[REDACTED]" {
		t.Fatalf("LogValue called=%v, line:\n%s", called, raw)
	}
	// Under an ordinary key it is resolved, and its value redacted as usual.
	_, m = one(t, func(l *slog.Logger) { l.Info("m", slog.Any("user", secretValuer{&called})) })
	if !called || m["user"] != "hunter2-from-logvaluer" {
		t.Fatalf("LogValuer under an ordinary key: called=%v user=%v", called, m["user"])
	}
}

func TestSensitiveGroupNameHidesEverythingInside(t *testing.T) {
	raw, m := one(t, func(l *slog.Logger) {
		l.WithGroup("credentials").With("user", "bob").Info("m", "value", "hunter2")
	})
	if strings.Contains(raw, "hunter2") || strings.Contains(raw, "bob") {
		t.Fatalf("content of a sensitive group written:\n%s", raw)
	}
	if at(m, "credentials.value") != "[REDACTED]" || at(m, "credentials.user") != "[REDACTED]" {
		t.Fatalf("want every attribute in the group redacted:\n%s", raw)
	}
}

type wrappedError struct{ inner error }

func (e wrappedError) Error() string { return "wrapped: " + e.inner.Error() }

type notes struct {
	Owner string   `json:"owner"`
	Tags  []string `json:"tags"`
}

type cardValuer struct{}

func (cardValuer) LogValue() slog.Value { return slog.StringValue("pan 4111 1111 1111 1111") }

func TestValuesAreRedactedEverywhere(t *testing.T) {
	email := "alice@example.com"
	cases := []struct {
		name string
		log  func(*slog.Logger)
		path string
		want any
	}{
		{"message", func(l *slog.Logger) { l.Info("login failed for " + email) }, "msg", "login failed for [EMAIL]"},
		{"string attr", func(l *slog.Logger) { l.Info("m", "to", email) }, "to", "[EMAIL]"},
		{"error", func(l *slog.Logger) {
			l.Info("m", "err", fmt.Errorf("send to %s: %w", email, errors.New("timeout")))
		}, "err", "send to [EMAIL]: timeout"},
		{"custom error type", func(l *slog.Logger) {
			l.Info("m", "err", wrappedError{errors.New("user " + email)})
		}, "err", "wrapped: user [EMAIL]"},
		{"[]byte", func(l *slog.Logger) { l.Info("m", "body", []byte("call +1 555 123 4567")) }, "body", "call [PHONE]"},
		{"group", func(l *slog.Logger) { l.Info("m", slog.Group("u", slog.String("email", email))) }, "u.email", "[EMAIL]"},
		{"nested group", func(l *slog.Logger) {
			l.Info("m", slog.Group("a", slog.Group("b", slog.String("c", "Bearer abc123"))))
		}, "a.b.c", "Bearer [TOKEN]"},
		{"WithAttrs", func(l *slog.Logger) { l.With("owner", email).Info("m") }, "owner", "[EMAIL]"},
		{"WithGroup", func(l *slog.Logger) { l.WithGroup("g").Info("m", "owner", email) }, "g.owner", "[EMAIL]"},
		{"LogValuer", func(l *slog.Logger) { l.Info("m", "v", cardValuer{}) }, "v", "pan [CARD]"},
		{"struct field", func(l *slog.Logger) { l.Info("m", slog.Any("n", notes{Owner: email})) }, "n.owner", "[EMAIL]"},
		{"slice", func(l *slog.Logger) {
			l.Info("m", slog.Any("to", []string{email, "bob@example.org"}))
		}, "to", []any{"[EMAIL]", "[EMAIL]"}},
		{"pointer to string", func(l *slog.Logger) { l.Info("m", slog.Any("p", &email)) }, "p", "[EMAIL]"},
		{"map key", func(l *slog.Logger) {
			l.Info("m", slog.Any("counts", map[string]int{email: 3}))
		}, "counts", map[string]any{"[EMAIL]": float64(3)}},
		{"attribute key", func(l *slog.Logger) { l.Info("m", email, 1) }, "[EMAIL]", float64(1)},
		{"card as integer", func(l *slog.Logger) { l.Info("m", "n", int64(4111111111111111)) }, "n", "[CARD]"},
		{"card as uint", func(l *slog.Logger) { l.Info("m", "n", uint64(4111111111111111)) }, "n", "[CARD]"},
		{"ordinary integer", func(l *slog.Logger) { l.Info("m", "n", int64(1718000000123)) }, "n", float64(1718000000123)},
		{"card in JSON number", func(l *slog.Logger) {
			l.Info("m", slog.Any("p", map[string]any{"pan": 4111111111111111}))
		}, "p.pan", "[CARD]"},
		{"url with password", func(l *slog.Logger) {
			l.Info("m", "url", "postgres://app:hunter2@db/app")
		}, "url", "postgres://app:[REDACTED]@db/app"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, m := one(t, c.log)
			got, _ := json.Marshal(at(m, c.path))
			want, _ := json.Marshal(c.want)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s = %s, want %s\n%s", c.path, got, want, raw)
			}
			// The timestamp is left out of the scan: its nanoseconds can
			// spell "4111".
			delete(m, "time")
			scanned, _ := json.Marshal(m)
			for _, leak := range []string{email, "555 123 4567", "4111", "abc123", "hunter2"} {
				if strings.Contains(string(scanned), leak) {
					t.Fatalf("%q written:\n%s", leak, raw)
				}
			}
		})
	}
}

func TestRequestIDFromContextIsOnEveryLine(t *testing.T) {
	log, lines := capture(t, logging.Options{})
	ctx := logging.WithRequestID(context.Background(), "req-0123456789")

	log.InfoContext(ctx, "plain")
	log.With("a", 1).WarnContext(ctx, "with attrs")
	log.WithGroup("g").InfoContext(ctx, "grouped", "k", "v")
	log.WithGroup("g").With("x", 1).WithGroup("h").ErrorContext(ctx, "deeply grouped")
	log.Info("no context")
	log.InfoContext(ctx, "explicit", logging.RequestIDKey, "req-0123456789")

	got := lines()
	if len(got) != 6 {
		t.Fatalf("want 6 lines, got %d", len(got))
	}
	for _, line := range got[:4] {
		if line["request_id"] != "req-0123456789" {
			t.Errorf("line %q: request_id = %v, want it at the top level", line["msg"], line["request_id"])
		}
	}
	if at(got[2], "g.k") != "v" || at(got[3], "g.x") != float64(1) {
		t.Errorf("group structure lost when adding request_id: %v / %v", got[2], got[3])
	}
	if _, ok := got[4]["request_id"]; ok {
		t.Errorf("line without a request context has a request_id: %v", got[4])
	}
	if got[5]["request_id"] != "req-0123456789" {
		t.Errorf("explicit request_id lost: %v", got[5])
	}
}

func TestRequestIDIsNotDuplicated(t *testing.T) {
	var buf bytes.Buffer
	log := logging.New(&buf, logging.Options{})
	ctx := logging.WithRequestID(context.Background(), "req-0123456789")
	log.InfoContext(ctx, "m", logging.RequestIDKey, "req-0123456789")
	log.With(logging.RequestIDKey, "req-0123456789").InfoContext(ctx, "m")
	if n := strings.Count(buf.String(), `"request_id"`); n != 2 {
		t.Fatalf("want one request_id per line, got %d in:\n%s", n, buf.String())
	}
}

func TestRequestIDIsRedactedToo(t *testing.T) {
	// httpx validates incoming ids, but WithRequestID is public.
	raw, m := one(t, func(l *slog.Logger) {
		l.InfoContext(logging.WithRequestID(context.Background(), "alice@example.com"), "m")
	})
	if m["request_id"] != "[EMAIL]" {
		t.Fatalf("request_id not redacted:\n%s", raw)
	}
}

func TestRequestIDContextRoundTrip(t *testing.T) {
	if got := logging.RequestID(context.Background()); got != "" {
		t.Fatalf("RequestID of an empty context = %q", got)
	}
	ctx := logging.WithRequestID(context.Background(), "abc-123")
	if got := logging.RequestID(ctx); got != "abc-123" {
		t.Fatalf("RequestID = %q, want abc-123", got)
	}
	// A plain string key cannot forge or read it.
	type otherKey string
	forged := context.WithValue(context.Background(), otherKey("request_id"), "forged")
	if got := logging.RequestID(forged); got != "" {
		t.Fatalf("RequestID read a foreign key: %q", got)
	}
}

func TestOutputIsValidJSONWhateverTheInput(t *testing.T) {
	log, lines := capture(t, logging.Options{})
	nasty := []string{
		"quote \" backslash \\ newline \n tab \t", "\x00\x01\x1f control", "invalid utf-8 \xff\xfe",
		`{"password":"x"`, "</script><script>alert(1)</script>", "\u2028\u2029", "emoji 🔑 alice@example.com",
		`"token": "x` + "\n", "[EMAIL]]]]", "password=\"unterminated",
	}
	for _, s := range nasty {
		log.Info(s, "v", s, slog.Any("m", map[string]any{s: s}), slog.Group(s, slog.String(s, s)))
	}
	if got := lines(); len(got) != len(nasty) {
		t.Fatalf("want %d lines, got %d", len(nasty), len(got))
	}
}

func TestLevelAndSourceOptions(t *testing.T) {
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	log, lines := capture(t, logging.Options{Level: level, AddSource: true})
	log.Info("dropped")
	log.Warn("kept")
	got := lines()
	if len(got) != 1 || got[0]["msg"] != "kept" {
		t.Fatalf("level not honoured: %v", got)
	}
	file, _ := at(got[0], "source.file").(string)
	if !strings.HasSuffix(file, "handler_test.go") {
		t.Fatalf("source.file = %q, want the caller's file", file)
	}

	log, lines = capture(t, logging.Options{})
	log.Debug("dropped")
	log.Info("kept")
	if got := lines(); len(got) != 1 || got[0]["source"] != nil {
		t.Fatalf("default options: want Info and above, no source: %v", got)
	}
}

type nilReceiverError struct{ msg string }

func (e *nilReceiverError) Error() string { return e.msg }

type panickingMarshaler struct{}

func (panickingMarshaler) MarshalJSON() ([]byte, error) {
	panic("marshal exploded for bob@example.com")
}

func TestValuesThatCannotBeEncodedDoNotCrashOrLeak(t *testing.T) {
	var nilErr *nilReceiverError
	raw, m := one(t, func(l *slog.Logger) {
		l.Info("m", "err", error(nilErr), "boom", panickingMarshaler{}, "ch", make(chan int))
	})
	if m["err"] != "<nil>" {
		t.Errorf("nil error receiver: %v", m["err"])
	}
	if s, _ := m["boom"].(string); !strings.HasPrefix(s, "!PANIC: ") || strings.Contains(s, "bob@") {
		t.Errorf("panicking marshaler: %q", s)
	}
	if s, _ := m["ch"].(string); !strings.HasPrefix(s, "!ERROR: ") {
		t.Errorf("unencodable value: %q", s)
	}
	if strings.Contains(raw, "bob@example.com") {
		t.Errorf("panic text leaked:\n%s", raw)
	}
}

// TestRedactingHandlerWrapsAnyHandler checks the text handler too: values
// reach it in their redacted JSON form, so %+v cannot print what JSON hid.
func TestRedactingHandlerWrapsAnyHandler(t *testing.T) {
	type hidden struct {
		Public  string
		private string
	}
	var buf bytes.Buffer
	log := slog.New(logging.NewRedactingHandler(slog.NewTextHandler(&buf, nil)))
	log.Info("to alice@example.com", "v", hidden{Public: "ok", private: "secret-in-unexported-field"}, "password", "x")
	out := buf.String()
	for _, leak := range []string{"alice@example.com", "secret-in-unexported-field", "password=x"} {
		if strings.Contains(out, leak) {
			t.Errorf("%q written by the text handler:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "Public:ok") || !strings.Contains(out, "password=[REDACTED]") {
		t.Errorf("text output lost its content:\n%s", out)
	}
}
