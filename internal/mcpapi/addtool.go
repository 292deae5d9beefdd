package mcpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// toolHandler is the shape of every tool handler here: the call addTool
// began for it (named after the tool's spec, toolcall.go) and typed
// arguments in, a result and its structured content out.
type toolHandler[In, Out any] func(context.Context, *call, In) (*mcp.CallToolResult, Out, error)

// addTool registers a typed tool like mcp.AddTool, with the same
// descriptor (the input schema given, the output schema inferred from Out
// the way the SDK infers it, so tools/list is unchanged: the golden test
// pins it), but a cheaper call path. Profiling showed the SDK's typed path
// costing more CPU per call than the database work: it decodes the
// arguments twice into generic maps to validate them against the JSON
// schema (each decode allocating a 32 KiB buffer), then encodes the output,
// decodes it again and validates it against the output schema.
//
// Here the arguments are decoded once, strictly (unknown fields and wrong
// types are refused, like additionalProperties:false and the schema's
// types, and the refusal is audited like any failed call: undecodable),
// and every value is then checked by the server-side validation in
// validate.go and package task, which never relied on the schema (I1,
// TestServerSideValidationWithoutSchema). The output is built from typed
// structs whose shape is the output schema by construction, so it is not
// validated again at run time; the golden and result-shape tests pin it.
//
// The registered handler runs the per-call policy first (guard,
// policy.go), then begins the call under the spec's name (toolcall.go), so
// no handler names its own tool. It is also kept in s.tools, where the direct tools/call path
// (fastcall.go) finds it: both paths run the same code.
//
// A tool whose result carries user-written text (sp.userData) gets the
// text content built from the same encoding as structuredContent (the
// userDataNote, then the JSON between markers), so the data is encoded
// once, not once per copy.
func addTool[In, Out any](s *service, srv *mcp.Server, sp toolSpec, h toolHandler[In, Out]) {
	tt := *s.register(sp)
	if tt.OutputSchema == nil {
		schema, err := jsonschema.ForType(reflect.TypeFor[Out](), &jsonschema.ForOptions{})
		if err != nil {
			panic(fmt.Sprintf("output schema of %s: %v", sp.name, err))
		}
		dropNull(schema)
		tt.OutputSchema = schema
	}
	handler := s.guard(sp, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		c, err := s.begin(ctx, req, sp.name)
		if err != nil {
			res := &mcp.CallToolResult{}
			res.SetError(err)
			return res, nil
		}
		var in In
		if err := decodeArguments(req.Params.Arguments, &in); err != nil {
			res := &mcp.CallToolResult{}
			res.SetError(s.undecodable(ctx, c, err))
			return res, nil
		}
		res, out, err := h(ctx, c, in)
		if err != nil {
			res := &mcp.CallToolResult{}
			res.SetError(err)
			return res, nil
		}
		if res == nil {
			res = &mcp.CallToolResult{}
		}
		raw, err := marshalOutput(out)
		if err != nil {
			return nil, fmt.Errorf("marshal the output of %s: %w", sp.name, err)
		}
		res.StructuredContent = json.RawMessage(raw)
		if res.Content == nil {
			var text string
			if sp.userData {
				text = dataText(raw)
			} else {
				text = string(raw)
			}
			res.Content = []mcp.Content{&mcp.TextContent{Text: text}}
		}
		return res, nil
	})
	s.tools[sp.name] = handler
	srv.AddTool(&tt, handler)
}

// dropNull turns each inferred "type": ["null", T] (a Go slice or pointer)
// into plain T. The outputs never hold null: every slice is built non-nil
// and the one pointer (batchItem.task) is omitted when absent. Strict
// validators such as MCP Inspector's warn on the type arrays.
func dropNull(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if i := slices.Index(s.Types, "null"); i >= 0 && len(s.Types) == 2 {
		s.Type, s.Types = s.Types[1-i], nil
	}
	for _, p := range s.Properties {
		dropNull(p)
	}
	dropNull(s.Items)
}

var errArgumentsNotObject = &toolError{msg: "the arguments must be a JSON object"}

// undecodable answers, and audits, a call whose arguments did not decode
// (an unknown field, a wrong type, not an object): a call like any other,
// so it leaves its "tool.call" row (L4). The row names the tool and
// "invalid": "arguments", never the message, which quotes field names the
// caller chose; the caller gets that message to act on (argerrors.go).
func (s *service) undecodable(ctx context.Context, c *call, err error) error {
	return s.failed(ctx, c, err, map[string]any{"invalid": "arguments"})
}

// decodeArguments decodes a tool's arguments strictly: an object (or
// nothing), no unknown fields, no trailing data. Its errors are refusals
// that name the argument and what it must be.
func decodeArguments(raw json.RawMessage, into any) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if raw[0] != '{' {
		return errArgumentsNotObject
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return argumentError(err, into)
	}
	if dec.More() {
		return refuse("unexpected data after the arguments object")
	}
	return nil
}

// marshalOutput encodes a tool's output: by its own encoder where it has
// one (encode.go), through a recycled scratch buffer and copied out at its
// size, as json.Marshal does; else with json.Marshal.
func marshalOutput(out any) ([]byte, error) {
	a, ok := out.(jsonAppender)
	if !ok {
		return json.Marshal(out)
	}
	scratch := outputScratch.get()
	defer outputScratch.put(scratch)
	*scratch = a.appendJSON((*scratch)[:0])
	return bytes.Clone(*scratch), nil
}

var outputScratch responseBuffers
