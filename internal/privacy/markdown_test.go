package privacy_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/taskbridge/taskbridge"
	"github.com/taskbridge/taskbridge/internal/privacy"
)

// allowedTag is every tag RenderMarkdown may write.
var allowedTag = regexp.MustCompile(`</?(h[1-4]( id="[a-z0-9-]*")?|p|ul|ol|li|table|thead|tbody|tr|th( scope="col")?|td|code|strong|a( href="[^"<>]*")?)>`)

// The renderer escapes all source text: whatever the Markdown, the only
// markup in the output is its own fixed tags, and link targets are limited
// to http(s), mailto, local paths and fragments (D9, I6).
func TestRenderMarkdownEscapesEverything(t *testing.T) {
	cases := map[string]string{
		"raw html":    "<script>alert(1)</script>",
		"attr":        `<img src=x onerror="alert(1)">`,
		"js link":     "[click](javascript:alert(1))",
		"data link":   "[x](data:text/html,<script>alert(1)</script>)",
		"proto-rel":   "[x](//evil.example/)",
		"in table":    "| a | b |\n| --- | --- |\n| <b>x</b> | `<i>` |",
		"in heading":  "# <h1>x</h1>",
		"quote break": `[x](https://a.example/"onmouseover="alert(1))`,
	}
	for name, src := range cases {
		out, err := privacy.RenderMarkdown([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		rest := allowedTag.ReplaceAllString(string(out), "")
		if strings.ContainsAny(rest, "<>") {
			t.Errorf("%s: markup survived: %s", name, out)
		}
		if strings.Contains(strings.ToLower(string(out)), "javascript:") && strings.Contains(string(out), "href") {
			t.Errorf("%s: javascript link: %s", name, out)
		}
	}
	out, _ := privacy.RenderMarkdown([]byte("## Rights\n\nSee [the page](/account/data) and **bold** `code`.\n\n- one\n- two\n"))
	for _, want := range []string{`<h2 id="rights">Rights</h2>`, `<a href="/account/data">the page</a>`, "<strong>bold</strong>", "<code>code</code>", "<li>two</li>"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("missing %s in %s", want, out)
		}
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	f.Add(string(taskbridge.PrivacyPolicy))
	f.Add("| <x> | [a](javascript:b) |\n|---|---|\n")
	f.Fuzz(func(t *testing.T, src string) {
		out, err := privacy.RenderMarkdown([]byte(src))
		if err != nil {
			return
		}
		if rest := allowedTag.ReplaceAllString(string(out), ""); strings.ContainsAny(rest, "<>") {
			t.Fatalf("markup from the source survived: %q -> %q", src, out)
		}
	})
}

// /privacy serves PRIVACY.md rendered, to anyone, with the page CSP, and
// its retention table is there (D9, C2).
func TestPrivacyPageServesThePolicy(t *testing.T) {
	e := newEnv(t)
	p := e.do(http.DefaultClient, "GET", "/privacy", nil, nil)
	if p.status != http.StatusOK {
		t.Fatalf("GET /privacy: %d", p.status)
	}
	if !strings.Contains(p.header.Get("Content-Security-Policy"), "default-src") {
		t.Errorf("CSP = %q", p.header.Get("Content-Security-Policy"))
	}
	for _, want := range []string{"<h2 id=\"how-long-it-is-kept\">", "<code>TASKBRIDGE_RETENTION_TRASH</code>", "30 days", `href="/account/data"`} {
		if !strings.Contains(p.body, want) {
			t.Errorf("/privacy lacks %s", want)
		}
	}
	meta := e.do(http.DefaultClient, "GET", "/.well-known/oauth-authorization-server", nil, nil)
	if !strings.Contains(meta.body, e.url+"/privacy") {
		t.Error("the authorization server metadata does not link /privacy")
	}
}
