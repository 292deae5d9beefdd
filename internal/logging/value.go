package logging

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
)

// maxValueDepth bounds recursion through nested groups and LogValuers that
// keep returning LogValuers.
const maxValueDepth = 32

// redactAttr hides a's value entirely when its key (or an enclosing
// group's) is sensitive, and otherwise redacts its key and value. The value
// under a sensitive key is not even resolved: a LogValuer there is never
// called.
func redactAttr(a slog.Attr, hide bool, depth int) slog.Attr {
	if a.Key == "" {
		// slog inlines a group with an empty key and drops anything else
		// with one; keep that, but redact what gets inlined.
		v := a.Value.Resolve()
		if v.Kind() != slog.KindGroup {
			return slog.Attr{}
		}
		return slog.Attr{Value: redactGroup(v.Group(), hide, depth)}
	}
	if hide || isSensitiveKey(a.Key) {
		return slog.String(RedactString(a.Key), maskRedacted)
	}
	return slog.Attr{Key: RedactString(a.Key), Value: redactValue(a.Value, depth)}
}

func redactGroup(attrs []slog.Attr, hide bool, depth int) slog.Value {
	if depth >= maxValueDepth {
		return slog.StringValue("[TOO DEEP]")
	}
	out := make([]slog.Attr, 0, len(attrs))
	for _, a := range attrs {
		out = append(out, redactAttr(a, hide, depth+1))
	}
	return slog.GroupValue(out...)
}

func redactValue(v slog.Value, depth int) slog.Value {
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(RedactString(v.String()))
	case slog.KindInt64:
		if i := v.Int64(); i > 0 && isCardInteger(uint64(i)) {
			return slog.StringValue(maskCard)
		}
	case slog.KindUint64:
		if isCardInteger(v.Uint64()) {
			return slog.StringValue(maskCard)
		}
	case slog.KindGroup:
		return redactGroup(v.Group(), false, depth)
	case slog.KindLogValuer:
		if depth >= maxValueDepth {
			return slog.StringValue("[TOO DEEP]")
		}
		return redactValue(v.Resolve(), depth+1)
	case slog.KindAny:
		return redactAny(v.Any())
	}
	return v
}

// redactAny redacts what the JSON handler would write for x: an error's
// text, []byte as text, and for everything else (maps, slices, structs,
// json.Marshaler, encoding.TextMarshaler) its JSON form, walked for
// sensitive keys and redacted strings. The value handed on is that redacted
// form, never x itself, so no other handler can print fields (unexported
// ones through %+v, say) that were not checked.
func redactAny(x any) (out slog.Value) {
	defer func() {
		// Like slog itself: a MarshalJSON or Error method that panics,
		// typically on a nil receiver, must not take the request down.
		if p := recover(); p != nil {
			if rv := reflect.ValueOf(x); rv.Kind() == reflect.Pointer && rv.IsNil() {
				out = slog.StringValue("<nil>")
				return
			}
			out = slog.StringValue("!PANIC: " + RedactString(fmt.Sprint(p)))
		}
	}()
	switch x := x.(type) {
	case nil:
		return slog.AnyValue(nil)
	case []byte:
		return slog.StringValue(RedactString(string(x)))
	case json.Marshaler:
		return redactJSONOf(x)
	case error:
		return slog.StringValue(RedactString(x.Error()))
	}
	return redactJSONOf(x)
}

func redactJSONOf(x any) slog.Value {
	raw, err := json.Marshal(x)
	if err != nil {
		return slog.StringValue("!ERROR: " + RedactString(err.Error()))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return slog.StringValue("!ERROR: " + RedactString(err.Error()))
	}
	return slog.AnyValue(redactJSONTree(tree))
}

// redactJSONTree redacts a decoded JSON value in place: members under a
// sensitive key are hidden, other keys and all strings are redacted, and
// integers that are card numbers are masked.
func redactJSONTree(v any) any {
	switch t := v.(type) {
	case map[string]any:
		var renamed []string
		for k, e := range t {
			if isSensitiveKey(k) {
				t[k] = maskRedacted
				continue
			}
			t[k] = redactJSONTree(e)
			if RedactString(k) != k {
				renamed = append(renamed, k)
			}
		}
		// Two keys redacted to the same mask keep one value: a log line
		// may lose a value, it may not leak a key.
		for _, k := range renamed {
			e := t[k]
			delete(t, k)
			t[RedactString(k)] = e
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = redactJSONTree(e)
		}
		return t
	case string:
		return RedactString(t)
	case json.Number:
		if isCardDigits([]byte(t)) {
			return maskCard
		}
	}
	return v
}
