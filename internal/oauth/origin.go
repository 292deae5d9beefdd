package oauth

import (
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"

	"github.com/taskbridge/taskbridge/internal/httpx"
)

// RequireAllowedOrigin defends the MCP endpoint against DNS rebinding and
// cross-site browser calls (catalogue item 20; the MCP transport spec requires
// a 403 for an invalid Origin). Two checks:
//   - Origin, when a browser sends one, must be the public URL's origin or
//     one configured in TASKBRIDGE_MCP_ALLOWED_ORIGINS; server-side hosts
//     send no Origin and pass;
//   - on a loopback connection, the Host must be loopback or the public
//     host: a rebinding page reaches a local server under its own
//     (attacker) host name, which fails here even if it sends no Origin.
func (s *Server) RequireAllowedOrigin(next http.Handler) http.Handler {
	self := strings.ToLower(s.cfg.PublicURL.Scheme + "://" + s.cfg.PublicURL.Host)
	allowed := append([]string{self}, s.cfg.OAuth.MCPAllowedOrigins...)
	publicHost := strings.ToLower(s.cfg.PublicURL.Hostname())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && !slices.Contains(allowed, strings.ToLower(origin)) {
			httpx.WriteError(w, r, http.StatusForbidden, "forbidden_origin", "requests from this origin are not allowed")
			return
		}
		if peerIsLoopback(r.RemoteAddr) {
			host := hostOnly(r.Host)
			if !isLoopbackHost(host) && host != publicHost {
				httpx.WriteError(w, r, http.StatusForbidden, "forbidden_host", "this host name is not served here")
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func peerIsLoopback(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	return err == nil && ap.Addr().Unmap().IsLoopback()
}

func hostOnly(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		h = hostport
	}
	return strings.ToLower(strings.Trim(h, "[]"))
}
