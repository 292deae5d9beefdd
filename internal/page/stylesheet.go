package page

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
)

//go:embed static/app.css
var stylesheet []byte

// StylesheetPath is where the pages' one stylesheet is served.
const StylesheetPath = "/static/app.css"

// stylesheetHash is a prefix of the stylesheet's SHA-256: the pages link
// StylesheetPath?v=<hash>, so the URL changes with the content.
var stylesheetHash = func() string {
	sum := sha256.Sum256(stylesheet)
	return hex.EncodeToString(sum[:6])
}()

var stylesheetURL = StylesheetPath + "?v=" + stylesheetHash

// Stylesheet serves the pages' CSS. A request naming the current content
// hash may be cached for a year (the URL changes with the content); any
// other request is revalidated.
func Stylesheet(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	if r.URL.Query().Get("v") == stylesheetHash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	_, _ = w.Write(stylesheet)
}
