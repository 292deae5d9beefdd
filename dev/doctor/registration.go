package doctor

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// invalidRegistration is a registration every RFC 7591 server must refuse
// (no redirect URIs), so the probe never creates a client.
const invalidRegistration = `{"client_name":"taskbridge doctor probe (must be rejected)","redirect_uris":[],"token_endpoint_auth_method":"none"}`

// registrationErrors are the RFC 7591 section 3.2.2 codes that fit an
// empty redirect_uris.
var registrationErrors = map[string]bool{"invalid_redirect_uri": true, "invalid_client_metadata": true}

// checkRegistration is step e: the registration endpoint answers an invalid
// registration with a 400 RFC 7591 JSON error.
func (r *run) checkRegistration(ctx context.Context) {
	const id = "as.registration"
	if r.asMeta == nil {
		r.skip(id, "no usable authorization-server metadata to find the registration endpoint")
		return
	}
	endpoint := r.asMeta.RegistrationEndpoint
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || !sameOrigin(r.mcpURL, u) {
		r.skip(id, "no registration endpoint on this origin to probe (reported above)")
		return
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(invalidRegistration))
	if err != nil {
		r.fail(id, err.Error(), "advertise a valid registration_endpoint URL")
		return
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, body, err := r.do(ctx, req)
	if err != nil {
		r.fail(id, fmt.Sprintf("POST %s: %v", endpoint, err), r.unreachableFix(err))
		return
	}
	switch code := resp.StatusCode; {
	case code == http.StatusBadRequest:
	case code == http.StatusCreated || code == http.StatusOK:
		r.fail(id, fmt.Sprintf("POST %s accepted a registration with no redirect URIs (%d)", endpoint, code),
			"the registration endpoint must validate client metadata (RFC 7591) and refuse clients without redirect_uris; delete the client named \"taskbridge doctor probe (must be rejected)\"")
		return
	case code == http.StatusNotFound || code == http.StatusMethodNotAllowed:
		r.fail(id, fmt.Sprintf("POST %s answered %d: no registration endpoint there", endpoint, code),
			"hosts register themselves (DCR) before the first sign-in, and show \"Error fetching OAuth configuration\" without it: advertise the URL taskbridge serves (/register) and let the proxy forward it")
		return
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		r.fail(id, fmt.Sprintf("POST %s answered %d: registration is behind authentication", endpoint, code),
			"open dynamic client registration must be reachable without credentials; remove proxy authentication from /register")
		return
	case code == http.StatusTooManyRequests:
		r.warn(id, fmt.Sprintf("POST %s answered 429 (rate limited)", endpoint),
			"registration is rate limited per client IP; run the doctor again later")
		return
	default:
		r.fail(id, fmt.Sprintf("POST %s answered %d to an invalid registration (expected 400)", endpoint, code),
			"answer invalid client metadata with 400 and an RFC 7591 JSON error; check the server logs for this request")
		return
	}
	var e struct {
		Error string `json:"error"`
	}
	if !isJSON(resp) || json.Unmarshal(body, &e) != nil || e.Error == "" {
		r.fail(id, fmt.Sprintf("POST %s answered 400 but not with an RFC 7591 JSON error (%q)", endpoint, resp.Header.Get("Content-Type")),
			"registration errors must be JSON {\"error\":\"invalid_redirect_uri\",\"error_description\":...}; hosts show raw text to users otherwise")
		return
	}
	if !registrationErrors[e.Error] {
		r.warn(id, fmt.Sprintf("an empty redirect_uris was refused with error %q", e.Error),
			"RFC 7591 names invalid_redirect_uri or invalid_client_metadata for this case")
		return
	}
	r.pass(id, fmt.Sprintf("POST %s refused an invalid registration with 400 %q (no client created)", endpoint, e.Error))
}
