package doctor

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// unreachableFix turns a transport error for a request to the checked
// origin into advice.
func (r *run) unreachableFix(err error) string {
	u := r.mcpURL
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var dial *net.OpError
	switch {
	case errors.As(err, &unknownAuthority):
		return "the certificate is not signed by a trusted authority: use a publicly trusted certificate (Caddy in deploy/ gets one from Let's Encrypt); hosts never accept self-signed certificates"
	case errors.As(err, &hostname):
		return fmt.Sprintf("the certificate is not valid for %s: issue it for exactly this name", u.Hostname())
	case errors.As(err, &invalid):
		return "the certificate is expired or not yet valid: renew it"
	case errors.Is(err, http.ErrSchemeMismatch) && isLoopback(u.Hostname()):
		plain := *u
		plain.Scheme = "http"
		return fmt.Sprintf("%s answers plain http, not https: type %s into the host (plain http is fine on localhost)", u.Host, plain.String())
	case errors.Is(err, http.ErrSchemeMismatch):
		return fmt.Sprintf("%s answers plain http, not https, and hosts need https: put TLS in front of it (see deploy/) or use a tunnel, and check that https URL", u.Host)
	case errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Client.Timeout"):
		return "the server did not answer in time: check that it runs and that the tunnel or proxy forwards to it (raise --timeout for slow links)"
	case errors.Is(err, errBodyTooLarge):
		return fmt.Sprintf("the answer is larger than %d MiB, and what the doctor reads here is a few kilobytes at most: something other than taskbridge answers this URL; check the proxy's routing for it", maxBody>>20)
	case errors.As(err, &dial) && dial.Op == "dial" && isLoopback(u.Hostname()):
		return r.loopbackFix()
	}
	return fmt.Sprintf("check that %s resolves and accepts connections from here (tunnel running? firewall? server started?)", u.Host)
}

// composeServiceURL is the MCP URL of the app in docker-compose.yml as other
// containers reach it: the service name and the port it listens on inside.
const composeServiceURL = "http://app:8080/mcp"

// loopbackFix is the advice when nothing accepts connections on a loopback
// URL. Inside a container that is expected: localhost is the container the
// doctor runs in (`docker compose run ... app doctor` starts a new one),
// not the host or the app's container.
func (r *run) loopbackFix() string {
	u := r.mcpURL
	fromHost := "bin/taskbridge doctor --url " + u.String()
	if r.opts.InContainer() {
		return fmt.Sprintf("the doctor runs inside a container, where %s is that container itself, not your machine or the app's container, and nothing listens there: "+
			"run the doctor from the host instead (%s), or inside compose reach the app by its service name "+
			"(docker compose run --rm --no-deps app doctor --url %s; hosts never use that name, so the url and resource checks fail on it: only TASKBRIDGE_PUBLIC_URL + /mcp shows what hosts see)",
			u.Hostname(), fromHost, composeServiceURL)
	}
	return fmt.Sprintf("nothing accepts connections on %s: start the server (taskbridge serve, or docker compose up -d) and check that it listens on this port (TASKBRIDGE_ADDR); if this doctor runs inside a container, localhost is that container: run %s from the host", u.Host, fromHost)
}

// inContainer reports whether this process runs in a Docker or Podman
// container, by the marker files their runtimes create.
func inContainer() bool {
	for _, marker := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(marker); err == nil {
			return true
		}
	}
	return false
}
