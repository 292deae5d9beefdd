package doctor

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestGuardedTransportRefusesOtherOrigins is the SSRF guard under every
// request the doctor makes, the go-sdk client's included: only the scheme,
// host and port the operator gave get through.
func TestGuardedTransportRefusesOtherOrigins(t *testing.T) {
	var reached []string
	base := roundTrip(func(r *http.Request) (*http.Response, error) {
		reached = append(reached, r.URL.String())
		return &http.Response{StatusCode: http.StatusOK, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	})
	origin, _ := url.Parse("https://tasks.example.com/mcp")
	client := newClient(origin, base, time.Second)

	for _, ok := range []string{
		"https://tasks.example.com/.well-known/oauth-protected-resource",
		"https://TASKS.example.com:443/register",
	} {
		resp, err := client.Get(ok)
		if err != nil {
			t.Errorf("%s: %v", ok, err)
			continue
		}
		resp.Body.Close()
	}
	for _, bad := range []string{
		"http://tasks.example.com/mcp",          // scheme
		"https://tasks.example.com:8443/mcp",    // port
		"https://evil.example.com/mcp",          // host
		"https://169.254.169.254/latest",        // metadata service
		"https://tasks.example.com.evil.io/mcp", // suffix trick
		"https://localhost/mcp",
	} {
		_, err := client.Get(bad)
		if !errors.Is(err, errOtherOrigin) {
			t.Errorf("%s: err = %v, want errOtherOrigin", bad, err)
		}
	}
	if len(reached) != 2 {
		t.Errorf("requests that reached the network: %q, want only the two same-origin ones", reached)
	}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
