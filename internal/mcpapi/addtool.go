package mcpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// toolHandler is the shape of every tool handler here: typed arguments in,
// a result and its structured content out.
type toolHandler[In, Out any] func(context.Context, *mcp.CallToolRequest, In) (*mcp.CallToolResult, Out, error)

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
// types), and every value is then checked by the server-side validation in
// validate.go and package task, which never relied on the schema (I1,
// TestServerSideValidationWithoutSchema). The output is built from typed
// structs whose shape is the output schema by construction, so it is not
// validated again at run time; the golden and result-shape tests pin it.
func addTool[In, Out any](srv *mcp.Server, t *mcp.Tool, h toolHandler[In, Out]) {
	tt := *t
	if tt.OutputSchema == nil {
		s, err := jsonschema.ForType(reflect.TypeFor[Out](), &jsonschema.ForOptions{})
		if err != nil {
			panic(fmt.Sprintf("output schema of %s: %v", t.Name, err))
		}
		tt.OutputSchema = s
	}
	srv.AddTool(&tt, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		var in In
		if err := decodeArguments(req.Params.Arguments, &in); err != nil {
			res := &mcp.CallToolResult{}
			res.SetError(fmt.Errorf("validating \"arguments\": %v", err))
			return res, nil
		}
		res, out, err := h(ctx, req, in)
		if err != nil {
			res := &mcp.CallToolResult{}
			res.SetError(err)
			return res, nil
		}
		if res == nil {
			res = &mcp.CallToolResult{}
		}
		raw, err := json.Marshal(out)
		if err != nil {
			return nil, fmt.Errorf("marshal the output of %s: %w", t.Name, err)
		}
		res.StructuredContent = json.RawMessage(raw)
		if res.Content == nil {
			res.Content = []mcp.Content{&mcp.TextContent{Text: string(raw)}}
		}
		return res, nil
	})
}

var errArgumentsNotObject = errors.New("arguments must be a JSON object")

// decodeArguments decodes a tool's arguments strictly: an object (or
// nothing), no unknown fields, no trailing data.
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
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the arguments object")
	}
	return nil
}
