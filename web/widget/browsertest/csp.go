package browsertest

import "strings"

// HostCSP is the Content-Security-Policy an MCP Apps host builds for a
// View from the resource's _meta.ui.csp (spec 2026-01-26): the default
// policy, widened only by the declared domains. reportURI, when set, is
// added so violations reach the test server as well.
func HostCSP(meta map[string]any, reportURI string) string {
	csp, _ := nested(meta, "ui", "csp").(map[string]any)
	list := func(key string) []string {
		raw, _ := csp[key].([]any)
		var out []string
		for _, v := range raw {
			if s, ok := v.(string); ok && s != "" && !strings.ContainsAny(s, " ;,'\"") {
				out = append(out, s)
			}
		}
		return out
	}
	res := strings.Join(list("resourceDomains"), " ")
	connect := "'none'"
	if c := list("connectDomains"); len(c) > 0 {
		connect = strings.Join(c, " ")
	}
	frame := "'none'"
	if f := list("frameDomains"); len(f) > 0 {
		frame = strings.Join(f, " ")
	}
	join := func(parts ...string) string { return strings.TrimSpace(strings.Join(parts, " ")) }
	directives := []string{
		"default-src 'none'",
		join("script-src 'self' 'unsafe-inline'", res),
		join("style-src 'self' 'unsafe-inline'", res),
		join("img-src 'self' data:", res),
		join("font-src 'self'", res),
		join("media-src 'self' data:", res),
		"connect-src " + connect,
		"frame-src " + frame,
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'none'",
	}
	if reportURI != "" {
		directives = append(directives, "report-uri "+reportURI)
	}
	return strings.Join(directives, "; ")
}

func nested(m map[string]any, keys ...string) any {
	var cur any = m
	for _, k := range keys {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}
