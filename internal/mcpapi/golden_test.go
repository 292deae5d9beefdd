package mcpapi_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/tools_list.golden.json")

// TestToolsListGolden pins the full tools/list answer, exactly as a host
// receives it (names, descriptions, schemas, annotations, _meta, top-level
// securitySchemes, cache scope), so any change to what the model is told is
// a reviewed diff (I2). Regenerate with: go test ./internal/mcpapi -run Golden -update
func TestToolsListGolden(t *testing.T) {
	e := newEnv(t)
	resp := rawCall(t, e, e.newUser(t), readWrite, "tools/list", map[string]any{})
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.Result == nil {
		t.Fatalf("tools/list: %d %s", resp.StatusCode, body)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, msg.Result, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	const golden = "testdata/tools_list.golden.json"
	if *update {
		if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("tools/list changed; review the diff and rerun with -update if intended.\ngot:\n%s", pretty.String())
	}

	var result struct {
		CacheScope string `json:"cacheScope"`
		Tools      []struct {
			Name            string `json:"name"`
			SecuritySchemes []struct {
				Type   string   `json:"type"`
				Scopes []string `json:"scopes"`
			} `json:"securitySchemes"`
			Annotations map[string]any `json:"annotations"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(msg.Result, &result); err != nil {
		t.Fatal(err)
	}
	if result.CacheScope != "private" {
		t.Errorf("cacheScope %q", result.CacheScope)
	}
	for _, tool := range result.Tools {
		if len(tool.SecuritySchemes) != 1 || tool.SecuritySchemes[0].Type != "oauth2" || len(tool.SecuritySchemes[0].Scopes) != 1 {
			t.Errorf("%s: top-level securitySchemes %+v", tool.Name, tool.SecuritySchemes)
		}
		for _, k := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
			if _, ok := tool.Annotations[k]; !ok {
				t.Errorf("%s: annotation %s not explicit", tool.Name, k)
			}
		}
	}
}
