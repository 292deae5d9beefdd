package doctor

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// errOtherOrigin is returned for any request the doctor would make to an
// origin other than the one the operator gave.
var errOtherOrigin = errors.New("refused: not the origin you gave")

// errBodyTooLarge is an answer longer than maxBody.
var errBodyTooLarge = errors.New("response too large")

// maxBody caps what the doctor reads of any response; metadata documents
// and the widget are far smaller.
const maxBody = 4 << 20

// guardedTransport refuses every request whose scheme or host differs from
// the origin. All of the doctor's traffic, including the go-sdk client's,
// goes through it, so following a hostile document to another address is
// impossible rather than merely avoided.
type guardedTransport struct {
	origin *url.URL
	next   http.RoundTripper
}

func (g guardedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if !sameOrigin(g.origin, r.URL) {
		return nil, fmt.Errorf("%w: %s", errOtherOrigin, r.URL.Redacted())
	}
	return g.next.RoundTrip(r)
}

// bearerTransport adds the operator's token to the widget step's requests.
type bearerTransport struct {
	token string
	next  http.RoundTripper
}

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

// defaultTransport verifies certificates normally (no InsecureSkipVerify
// anywhere) and refuses TLS below 1.2.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	return t
}

// newClient is the only HTTP client the doctor uses: same origin only, a
// timeout on every request, redirects reported instead of followed.
func newClient(origin *url.URL, base http.RoundTripper, timeout time.Duration) *http.Client {
	return &http.Client{
		Transport: guardedTransport{origin: origin, next: base},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

// hostPort is host:port with the scheme's default port made explicit, so
// https://h and https://h:443 compare equal.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// originOf is scheme://host[:port] of u.
func originOf(u *url.URL) string {
	return (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
}

// readBody reads at most maxBody bytes.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", errBodyTooLarge, maxBody)
	}
	return b, nil
}
