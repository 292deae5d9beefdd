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

	"github.com/taskbridge/taskbridge/internal/postgres"
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
	// Local-use NAT64 (RFC 8215): the site chooses where in the address the
	// IPv4 address sits, so there is no one embedded address to judge.
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/23"), // protocol assignments (Teredo is judged first)
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("3fff::/20"),
	netip.MustParsePrefix("fec0::/10"),
}

// IPv6 forms that carry an IPv4 address a connection to them reaches
// (IPv4-mapped ::ffff:0:0/96 is unmapped before any of these).
var (
	ipv4Compatible = netip.MustParsePrefix("::/96")           // deprecated, still routed by some stacks
	ipv4Translated = netip.MustParsePrefix("::ffff:0:0:0/96") // SIIT
	nat64          = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour      = netip.MustParsePrefix("2002::/16")
	teredo         = netip.MustParsePrefix("2001::/32")
)

// embeddedIPv4 returns the IPv4 addresses an IPv6 address embeds: the last
// 32 bits of the IPv4-compatible, IPv4-translated and NAT64 forms, bits
// 16-47 of 6to4, and Teredo's server and (inverted) client address.
func embeddedIPv4(ip netip.Addr) []netip.Addr {
	if !ip.Is6() {
		return nil
	}
	b := ip.As16()
	switch {
	case ipv4Compatible.Contains(ip), ipv4Translated.Contains(ip), nat64.Contains(ip):
		return []netip.Addr{netip.AddrFrom4([4]byte(b[12:16]))}
	case sixToFour.Contains(ip):
		return []netip.Addr{netip.AddrFrom4([4]byte(b[2:6]))}
	case teredo.Contains(ip):
		client := [4]byte{^b[12], ^b[13], ^b[14], ^b[15]}
		return []netip.Addr{netip.AddrFrom4([4]byte(b[4:8])), netip.AddrFrom4(client)}
	}
	return nil
}

// PublicAddress is the default outbound address policy: only ordinary
// public unicast addresses. Loopback, private (RFC 1918, ULA), link-local
// (including 169.254.169.254 cloud metadata), multicast, unspecified,
// documentation, CGNAT and special-purpose ranges are refused. An IPv6
// address that embeds IPv4 addresses (mapped, compatible, translated,
// NAT64, 6to4, Teredo) is judged by those: ::7f00:1 is 127.0.0.1.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if v4s := embeddedIPv4(ip); v4s != nil {
		for _, v4 := range v4s {
			if !PublicAddress(v4) {
				return false
			}
		}
		return true
	}
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
func (f *cimdFetcher) fetch(ctx context.Context, id string) (*postgres.OAuthClient, error) {
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
func validateMetadataDocument(id string, doc *metadataDocument) (*postgres.OAuthClient, error) {
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
func (s *Server) clientByID(ctx context.Context, id string) (*postgres.OAuthClient, error) {
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
	if err := s.store.db.UpsertMetadataOAuthClient(ctx, fetched, now.Add(s.cfg.OAuth.ClientUnusedTTL)); err != nil {
		return nil, err
	}
	return s.store.clientByID(ctx, id, now)
}
