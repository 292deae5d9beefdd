package checklist_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// outboundAllowed lists every non-test source file that may open a network
// connection, and why (P3, O6). A new outbound call site fails this test
// until it is added here on purpose, with its SSRF and TLS story.
var outboundAllowed = map[string]string{
	"internal/oauth/cimd.go":      "client ID metadata documents: https only, public addresses checked at dial time, size and time limits (O6)",
	"dev/doctor/transport.go":     "operator-run diagnostics: only the host the operator named, TLS verified, timeouts",
	"internal/cli/healthcheck.go": "container health check: the server's own loopback listener",
	"dev/loadgen/client.go":       "load generator: loopback targets only unless --allow-remote (CheckTarget in Run and in taskbridge bench), timeouts",
}

var outboundCall = regexp.MustCompile(`http\.(Client\{|Get\(|Post\(|Head\(|PostForm\(|DefaultClient|DefaultTransport)|net\.Dial|\.DialContext\(|tls\.Dial|smtp\.|net\.Dialer\{`)

func TestOutboundCallsOnlyFromReviewedPlaces(t *testing.T) {
	found := map[string]bool{}
	goSources(t, func(rel, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			code, _, _ := strings.Cut(line, "//")
			if !outboundCall.MatchString(code) {
				continue
			}
			found[rel] = true
			if _, ok := outboundAllowed[rel]; !ok {
				t.Errorf("%s:%d makes an outbound call (%s): review it for SSRF, TLS and timeouts, then add the file to outboundAllowed with the reason", rel, i+1, strings.TrimSpace(code))
			}
		}
	})
	for rel := range outboundAllowed {
		if _, err := os.Stat(repoRoot(t) + "/" + rel); err == nil && !found[rel] {
			t.Errorf("%s is allowed to call out but no longer does: remove it from outboundAllowed", rel)
		}
	}
}
