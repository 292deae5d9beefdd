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

func TestInstallVersionSortsNumerically(t *testing.T) {
	if v := installVersion("/usr/lib/postgresql/16/bin"); len(v) != 1 || v[0] != 16 {
		t.Errorf("installVersion(16) = %v", v)
	}
	if v := installVersion("/usr/lib/postgresql/9.6/bin"); len(v) != 2 || v[0] != 9 || v[1] != 6 {
		t.Errorf("installVersion(9.6) = %v", v)
	}
	if v := installVersion("/usr/lib/postgresql/devel/bin"); v != nil {
		t.Errorf("installVersion(devel) = %v, want nil", v)
	}
}
