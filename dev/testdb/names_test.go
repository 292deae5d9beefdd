package testdb

import (
	"strings"
	"testing"
)

func TestSanitizeNameMakesPlainIdentifierPart(t *testing.T) {
	cases := map[string]string{
		"postgres":                   "postgres",
		"MCP-API":                    "mcp_api",
		"web.widget":                 "web_widget",
		"--x--y--":                   "x_y",
		"Ünïcode":                    "n_code",
		`a"; DROP DATABASE x; --`:    "a_drop_database_x",
		"":                           "",
		strings.Repeat("abcdef", 10): "abcdefabcdefabcdefabcdef",
		"abcdefghijklmnopqrstuvw_xy": "abcdefghijklmnopqrstuvw",
	}
	for in, want := range cases {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}
