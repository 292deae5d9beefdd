package oauth

// Metrics receives the authorization server's security counters (L6), so
// the alert rules on refused tokens and refresh-token reuse can fire. Labels
// are fixed reasons, never anything identifying (D10).
type Metrics interface {
	// AuthFailure counts a refused bearer token (reason malformed, unknown,
	// expired, revoked, audience, wrong_kind) or a refused token or
	// revocation request (token_ or revoke_ and the OAuth error code).
	AuthFailure(reason string)
	RefreshTokenReuse()
}

type noMetrics struct{}

func (noMetrics) AuthFailure(string) {}
func (noMetrics) RefreshTokenReuse() {}

// WithMetrics sends the server's security counters to m.
func WithMetrics(m Metrics) Option { return func(s *Server) { s.metrics = m } }
