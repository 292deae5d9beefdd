package doctor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Options says what to check and how.
type Options struct {
	// URL is the MCP endpoint exactly as it is typed into the host,
	// e.g. https://tasks.example.com/mcp. A mistyped one (the base URL, a
	// trailing slash) fails the url check, and the walk checks the MCP URL
	// it stands for.
	URL string
	// Token is an access token for the widget step; empty skips it.
	Token string
	// Timeout bounds each request; zero means 10 s.
	Timeout time.Duration
	// Submission checks what a ChatGPT and Codex plugin submission needs
	// besides a working connection: without it, a missing
	// domain-verification token or widget domain is a SKIP with the advice,
	// with it a FAIL.
	Submission bool
	// Color turns on coloured status words (the CLI sets it for terminals).
	Color bool
	// Transport carries every request; nil is a transport with normal TLS
	// verification. Tests pass their httptest server's transport.
	Transport http.RoundTripper
	// InContainer reports whether the doctor runs inside a container, which
	// explains an unreachable localhost; nil checks the runtimes' marker
	// files (/.dockerenv, /run/.containerenv).
	InContainer func() bool
}

// DefaultTimeout bounds each request when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// run is the state one doctor run accumulates as it walks the chain.
type run struct {
	opts   Options
	out    *printer
	report Report

	mcpURL     *url.URL     // the MCP URL the typed one stands for (see mcpEndpoint)
	mcpMissing bool         // the MCP POST answered 404 or 405: the path is wrong
	client     *http.Client // same-origin only

	challengePRM string         // resource_metadata from the 401, if any
	prm          *resourceMeta  // the document the host would use
	issuer       *url.URL       // authorization_servers[0], same origin
	asMeta       *authServerDoc // RFC 8414 document
	responses    []*http.Response
}

// Run walks the chain a host walks, writing each check to w as it
// completes, and returns the report. The error is only ever a failure to
// write to w; problems with the server are FAIL checks in the report.
func Run(ctx context.Context, opts Options, w io.Writer) (Report, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Transport == nil {
		opts.Transport = defaultTransport()
	}
	if opts.InContainer == nil {
		opts.InContainer = inContainer
	}
	r := &run{opts: opts, out: &printer{w: w, color: opts.Color}}
	r.report.URL = displayURL(opts.URL)
	r.out.printf("taskbridge doctor: checking %s as an MCP host would\n\n", oneLine(displayURL(opts.URL)))

	r.walk(ctx)

	r.out.summary(r.report)
	if r.out.err != nil {
		return r.report, fmt.Errorf("doctor: write report: %w", r.out.err)
	}
	return r.report, nil
}

// walk runs the steps in the order a host meets them. A step whose input
// is missing reports SKIP with the reason instead of piling up failures.
func (r *run) walk(ctx context.Context) {
	if !r.checkURL() {
		r.skip("mcp.challenge", "the URL cannot be used; fix it first")
		return
	}
	r.client = newClient(r.mcpURL, r.opts.Transport, r.opts.Timeout)
	reachable := r.checkChallenge(ctx)
	if !reachable {
		r.skip("prm", "the MCP URL did not answer")
		r.checkTLS()
		return
	}
	r.checkDiscover(ctx)
	r.checkResourceMetadata(ctx)
	r.checkAuthServer(ctx)
	r.checkCIMD()
	r.checkRegistration(ctx)
	r.checkAppsChallenge(ctx)
	r.checkToolSurface(ctx)
	r.checkWidget(ctx)
	r.checkTLS()
}

func (r *run) add(c Check) {
	r.report.Checks = append(r.report.Checks, c)
	r.out.check(c)
}

func (r *run) pass(id, detail string) { r.add(Check{ID: id, Status: Pass, Detail: detail}) }

func (r *run) fail(id, detail, fix string) {
	r.add(Check{ID: id, Status: Fail, Detail: detail, Fix: fix})
}

func (r *run) warn(id, detail, fix string) {
	r.add(Check{ID: id, Status: Warn, Detail: detail, Fix: fix})
}

func (r *run) skip(id, detail string) { r.add(Check{ID: id, Status: Skip, Detail: detail}) }

// do sends a request (the client refuses other origins) and remembers the
// response for the HSTS check.
func (r *run) do(ctx context.Context, req *http.Request) (*http.Response, []byte, error) {
	req = req.WithContext(ctx)
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	r.responses = append(r.responses, resp)
	body, err := readBody(resp)
	return resp, body, err
}

func (r *run) get(ctx context.Context, u string, header http.Header) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	return r.do(ctx, req)
}

// displayURL is raw without user information, for printing.
func displayURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	u.User = nil
	return u.String()
}
