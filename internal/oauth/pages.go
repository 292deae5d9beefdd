package oauth

import (
	"embed"
	"html/template"
)

//go:embed templates/*.html
var pageFS embed.FS

// parsePages parses the consent and error pages. html/template escapes
// every value for its context, so a client name or redirect URI cannot
// inject markup; the pages carry no script (httpx.PageCSP).
func parsePages() *template.Template {
	return template.Must(template.ParseFS(pageFS, "templates/*.html"))
}
