package oauth

import (
	"embed"
	"log/slog"

	"github.com/taskbridge/taskbridge/internal/page"
)

//go:embed templates/*.html
var templateFS embed.FS

// parsePages parses the consent page. html/template escapes every value
// for its context, so a client name or redirect URI cannot inject markup;
// the pages carry no script (httpx.PageCSP). The templates are embedded,
// so an error is a bug that every test of this package shows.
func parsePages(log *slog.Logger) *page.Pages {
	pages, err := page.Parse(templateFS, log, "consent")
	if err != nil {
		panic(err)
	}
	return pages
}
