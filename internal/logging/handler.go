package logging

import (
	"context"
	"log/slog"
	"slices"
)

// redactingHandler redacts every record before next sees it, and adds the
// request id from the context.
type redactingHandler struct {
	// base is the handler given to NewRedactingHandler; next is base with
	// every WithAttrs/WithGroup applied, and steps records them, so that
	// the request id can be attached at the top level even under a group.
	base  slog.Handler
	next  slog.Handler
	steps []handlerStep
	// grouped: WithGroup was called, so record attributes land in a group.
	grouped bool
	// redactAll: an enclosing group's name is sensitive ("credentials"),
	// so every attribute inside it is hidden.
	redactAll bool
	// hasRequestID: a top-level request_id was attached with WithAttrs.
	hasRequestID bool
}

type handlerStep struct {
	group string
	attrs []slog.Attr
}

// NewRedactingHandler wraps next so that nothing reaches it unredacted: the
// message, every attribute at any depth (groups, WithAttrs, WithGroup,
// LogValuers, errors, []byte, and the JSON form of anything passed to
// slog.Any), and attribute and map keys. It also adds request_id from the
// context passed to the logger (see WithRequestID).
func NewRedactingHandler(next slog.Handler) slog.Handler {
	return &redactingHandler{base: next, next: next}
}

func (h *redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, RedactString(r.Message), r.PC)
	next := h.next
	if id := RequestID(ctx); id != "" && !h.hasRequestID {
		idAttr := slog.String(RequestIDKey, RedactString(id))
		switch {
		case h.grouped:
			next = h.withTopLevelAttr(idAttr)
		case !recordHasKey(r, RequestIDKey):
			out.AddAttrs(idAttr)
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a, h.redactAll, 0))
		return true
	})
	return next.Handle(ctx, out)
}

// withTopLevelAttr rebuilds the handler chain with a placed before any
// group. It costs one WithAttrs per step, and only grouped loggers pay it.
func (h *redactingHandler) withTopLevelAttr(a slog.Attr) slog.Handler {
	next := h.base.WithAttrs([]slog.Attr{a})
	for _, st := range h.steps {
		if st.group != "" {
			next = next.WithGroup(st.group)
		} else {
			next = next.WithAttrs(st.attrs)
		}
	}
	return next
}

func recordHasKey(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}

func (h *redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	redacted := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		redacted[i] = redactAttr(a, h.redactAll, 0)
	}
	h2 := *h
	h2.next = h.next.WithAttrs(redacted)
	h2.steps = append(slices.Clip(h.steps), handlerStep{attrs: redacted})
	if !h.grouped && slices.ContainsFunc(redacted, func(a slog.Attr) bool { return a.Key == RequestIDKey }) {
		h2.hasRequestID = true
	}
	return &h2
}

func (h *redactingHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.redactAll = h.redactAll || isSensitiveKey(name)
	name = RedactString(name)
	h2.next = h.next.WithGroup(name)
	h2.steps = append(slices.Clip(h.steps), handlerStep{group: name})
	h2.grouped = true
	return &h2
}
