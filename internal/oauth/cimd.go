package oauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Limits on fetching a client ID metadata document (O6).
const (
	cimdMaxBytes    = 5 << 10
	cimdTimeout     = 5 * time.Second
	cimdMaxURLBytes = 512
)

var (
	// errClientUnavailable is a metadata document that could not be fetched
	// or is not acceptable; the user sees a local error page.
	errClientUnavailable = errors.New("client metadata document unavailable")
	errAddressRefused    = errors.New("address not allowed")
)

// isMetadataClientID reports whether a client_id is a client ID metadata
// document URL: https with a path, no query, fragment, userinfo or dot
// segments (draft-ietf-oauth-client-id-metadata-document §3).
func isMetadataClientID(id string) bool {
	if len(id) > cimdMaxURLBytes || !strings.HasPrefix(id, "https://") {
		return false
	}
	u, err := url.Parse(id)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(id, "#?\\") ||
		u.Hostname() == "" || u.Path == "" || u.Path == "/" || u.String() != id {
		return false
	}
	return !hasDotSegment(u.EscapedPath())
}

// cimdFetcher fetches metadata documents over an SSRF-guarded client.
type cimdFetcher struct{ client *http.Client }

// newCIMDFetcher builds the outbound client. The address check runs in the
// dialer's Control hook, on the IP actually being connected to after DNS
// resolution, so a name that resolves to a public address for a check and a
// private one for the connection (DNS rebinding) is still refused. No proxy
// (it would dial on our behalf), no redirects, TLS verified, bounded time.
func newCIMDFetcher(allow func(netip.Addr) bool, roots *x509.CertPool) *cimdFetcher {
	dialer := &net.Dialer{
		Timeout: cimdTimeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !allow(ap.Addr().Unmap()) {
				return errAddressRefused
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots},
		TLSHandshakeTimeout:    cimdTimeout,
		ResponseHeaderTimeout:  cimdTimeout,
		MaxResponseHeaderBytes: 16 << 10,
		DisableKeepAlives:      true,
	}
	return &cimdFetcher{client: &http.Client{
		Transport: transport,
		Timeout:   2 * cimdTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return errors.New("redirects are not followed")
		},
	}}
}

// specialPrefixes are ranges that are not ordinary public unicast addresses
// (IANA special-purpose registries) beyond what netip's predicates cover.
var specialPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"), // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"), // NAT64 can reach private IPv4
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"), // protocol assignments, Teredo
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"), // 6to4 can embed private IPv4
	netip.MustParsePrefix("3fff::/20"),
	netip.MustParsePrefix("fec0::/10"),
}

// PublicAddress is the default outbound address policy: only ordinary
// public unicast addresses. Loopback, private (RFC 1918, ULA), link-local
// (including 169.254.169.254 cloud metadata), multicast, unspecified,
// documentation, CGNAT and translation ranges are refused.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() || ip.IsLoopback() ||
		ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range specialPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// metadataDocument is the part of a client ID metadata document we read.
type metadataDocument struct {
	ClientID                          string   `json:"client_id"`
	ClientName                        string   `json:"client_name"`
	RedirectURIs                      []string `json:"redirect_uris"`
	GrantTypes                        []string `json:"grant_types"`
	ResponseTypes                     []string `json:"response_types"`
	TokenEndpointAuthMethod           string   `json:"token_endpoint_auth_method"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
}

// fetch retrieves and validates the document at id.
func (f *cimdFetcher) fetch(ctx context.Context, id string) (*Client, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*cimdTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errClientUnavailable, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errClientUnavailable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: status %d", errClientUnavailable, resp.StatusCode)
	}
	if resp.ContentLength > cimdMaxBytes {
		return nil, fmt.Errorf("%w: document larger than %d bytes", errClientUnavailable, cimdMaxBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, cimdMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errClientUnavailable, err)
	}
	if len(body) > cimdMaxBytes {
		return nil, fmt.Errorf("%w: document larger than %d bytes", errClientUnavailable, cimdMaxBytes)
	}
	var doc metadataDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a JSON object", errClientUnavailable)
	}
	return validateMetadataDocument(id, &doc)
}

// validateMetadataDocument applies the same rules as registration. The
// document must name itself (client_id equal to its URL byte for byte), and
// the client must be able to authenticate as a public client: ChatGPT's
// document prefers private_key_jwt but lists none, which is what this
// server supports.
func validateMetadataDocument(id string, doc *metadataDocument) (*Client, error) {
	if doc.ClientID != id {
		return nil, fmt.Errorf("%w: client_id does not equal the document URL", errClientUnavailable)
	}
	public := doc.TokenEndpointAuthMethod == authMethodNone ||
		slices.Contains(doc.TokenEndpointAuthMethodsSupported, authMethodNone)
	if !public {
		return nil, fmt.Errorf("%w: the client cannot authenticate with method none", errClientUnavailable)
	}
	var grants []string
	for _, g := range doc.GrantTypes {
		if (g == grantAuthorizationCode || g == grantRefreshToken) && !slices.Contains(grants, g) {
			grants = append(grants, g)
		}
	}
	if len(doc.GrantTypes) == 0 {
		grants = []string{grantAuthorizationCode}
	}
	req := registrationRequest{RedirectURIs: doc.RedirectURIs, GrantTypes: grants, ResponseTypes: doc.ResponseTypes}
	none := authMethodNone
	req.TokenEndpointAuthMethod = &none
	if doc.ClientName != "" {
		req.ClientName = &doc.ClientName
	}
	c, perr := validateRegistration(&req)
	if perr != nil {
		return nil, fmt.Errorf("%w: %s", errClientUnavailable, perr.Description)
	}
	c.ID, c.Kind = id, "cimd"
	return c, nil
}

// clientByID loads a client: a registered one from the database, or a
// metadata-document one from the cache, fetching it when it is missing or
// older than the cache lifetime. A failed fetch fails closed.
func (s *Server) clientByID(ctx context.Context, id string) (*Client, error) {
	now := s.now().UTC()
	if !isMetadataClientID(id) {
		if strings.HasPrefix(id, "https:") || strings.HasPrefix(id, "http:") {
			return nil, ErrNotFound
		}
		return s.store.clientByID(ctx, id, now)
	}
	cached, err := s.store.clientByID(ctx, id, now)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if cached != nil && cached.FetchedAt != nil && now.Sub(*cached.FetchedAt) < s.cfg.OAuth.CIMDCacheTTL {
		return cached, nil
	}
	fetched, err := s.cimd.fetch(ctx, id)
	if err != nil {
		s.log.WarnContext(ctx, "client metadata document refused", "reason", err.Error())
		return nil, err
	}
	fetchedAt := now.Truncate(time.Microsecond)
	fetched.FetchedAt = &fetchedAt
	fetched.CreatedAt = fetchedAt
	if err := s.store.upsertMetadataClient(ctx, fetched, now.Add(s.cfg.OAuth.ClientUnusedTTL)); err != nil {
		return nil, err
	}
	return s.store.clientByID(ctx, id, now)
}
