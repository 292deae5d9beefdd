package doctor

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
)

// minHSTSMaxAge is half a year, the lowest max-age worth having; taskbridge
// sends two years.
const minHSTSMaxAge = 180 * 24 * 60 * 60

// checkTLS is step g, from the responses the walk already received: the
// certificate passed normal verification (the transport verifies; a bad
// certificate already failed mcp.challenge) and HSTS is sent.
func (r *run) checkTLS() {
	if r.mcpURL == nil {
		return
	}
	if r.mcpURL.Scheme != "https" {
		r.skip("tls", "plain http: TLS and HSTS apply to the public https URL; run the doctor against it too")
		return
	}
	var state *tls.ConnectionState
	for _, resp := range r.responses {
		if resp.TLS != nil {
			state = resp.TLS
			break
		}
	}
	if state == nil {
		r.fail("tls", "no TLS connection was completed", "see mcp.challenge above for why the server could not be reached over https")
		return
	}
	detail := tls.VersionName(state.Version)
	if len(state.PeerCertificates) > 0 {
		leaf := state.PeerCertificates[0]
		detail = fmt.Sprintf("%s, certificate for %s valid until %s", detail, strings.Join(leaf.DNSNames, ","), leaf.NotAfter.Format("2006-01-02"))
	}
	r.pass("tls", detail)
	r.checkHSTS()
}

// checkHSTS wants Strict-Transport-Security on every response; the first
// one without it is reported.
func (r *run) checkHSTS() {
	const id = "tls.hsts"
	var maxAge int64 = -1
	for _, resp := range r.responses {
		if resp.TLS == nil {
			continue
		}
		v := resp.Header.Get("Strict-Transport-Security")
		if v == "" {
			r.fail(id, fmt.Sprintf("%s %s answered without Strict-Transport-Security", resp.Request.Method, resp.Request.URL.Redacted()),
				"send Strict-Transport-Security: max-age=63072000; includeSubDomains on every https response (taskbridge does when TASKBRIDGE_PUBLIC_URL is https; the Caddyfile in deploy/ adds it too)")
			return
		}
		age := hstsMaxAge(v)
		if maxAge < 0 || age < maxAge {
			maxAge = age
		}
	}
	if maxAge < minHSTSMaxAge {
		r.warn(id, fmt.Sprintf("Strict-Transport-Security max-age is %d seconds", maxAge), "use max-age=63072000 (two years) once https works")
		return
	}
	r.pass(id, fmt.Sprintf("Strict-Transport-Security on every response, max-age %d", maxAge))
}

func hstsMaxAge(v string) int64 {
	for _, part := range strings.Split(v, ";") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		if strings.EqualFold(k, "max-age") {
			n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return 0
}
