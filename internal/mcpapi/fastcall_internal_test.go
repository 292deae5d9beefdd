package mcpapi

import (
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestMetaVerdictsStayBounded: the direct path's memory of per-request
// metadata verdicts holds at most maxMetaVerdicts entries of at most
// maxMetaVerdictKey bytes, however many distinct or large _meta values
// callers send, and a large _meta is still judged correctly.
func TestMetaVerdictsStayBounded(t *testing.T) {
	var c metaVerdicts
	meta := map[string]any{mcp.MetaKeyProtocolVersion: currentProtocol, mcp.MetaKeyClientCapabilities: map[string]any{}}
	for i := range 3 * maxMetaVerdicts {
		raw := fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", i%(2*maxMetaVerdictKey)))
		if !c.fits(currentProtocol, []byte(raw), meta) {
			t.Fatalf("valid metadata refused (%d bytes)", len(raw))
		}
		if len(c.m) > maxMetaVerdicts {
			t.Fatalf("%d verdicts held, want at most %d", len(c.m), maxMetaVerdicts)
		}
	}
	for k := range c.m {
		if len(k) > maxMetaVerdictKey {
			t.Fatalf("a %d-byte key is held, want at most %d", len(k), maxMetaVerdictKey)
		}
	}
	bad := map[string]any{mcp.MetaKeyProtocolVersion: currentProtocol}
	if c.fits(currentProtocol, []byte(strings.Repeat("y", 3*maxMetaVerdictKey)), bad) {
		t.Fatal("a large _meta without client capabilities was accepted")
	}
}
