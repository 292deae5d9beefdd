package oauth

import (
	"net/http"

	"github.com/taskbridge/taskbridge/internal/httpx"
	"github.com/taskbridge/taskbridge/internal/page"
)

func writeJSON(w http.ResponseWriter, status int, v any) { httpx.WriteJSON(w, status, v) }

// serverError logs the cause and answers with a generic JSON error (O2).
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "err", err.Error())
	writeProtocolError(w, r, err)
}

// localErrorPage is shown instead of redirecting when the client or its
// redirect URI cannot be trusted (RFC 9700 §4.11.2, catalogue item 1).
func (s *Server) localErrorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	s.pages.Error(w, r, status, page.Frame{Title: "Cannot connect this app", Nav: page.NavBrand}, message, "")
}
