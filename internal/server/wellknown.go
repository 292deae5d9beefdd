package server

import (
	"io"
	"net/http"
)

// AppsChallengePath is where the OpenAI platform looks for the
// domain-verification token of a plugin submission.
const AppsChallengePath = "/.well-known/openai-apps-challenge"

// appsChallenge serves the configured token as plain text, byte for byte:
// the portal compares it with the one it issued.
func appsChallenge(token string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = io.WriteString(w, token)
	}
}
