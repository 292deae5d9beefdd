package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	for _, c := range []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		want   string
	}{
		{"linked wins", "v2.0.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.0.0"}}, "v2.0.0"},
		{"go install at a tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.2"}}, "v1.4.2"},
		{"git checkout, pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207233740-b69f004a1b2c+dirty"}}, "v0.0.0-20261207233740-b69f004a1b2c+dirty"},
		{"devel with a clean revision", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("b69f004a1b2c3d4e5f60718293a4b5c6d7e8f901", "false")}, "b69f004a1b2c"},
		{"devel with local changes", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("b69f004a1b2c3d4e", "true")}, "b69f004a1b2c-dirty"},
		{"nothing recorded", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{"no build info", "", nil, "devel"},
	} {
		if got := versionOf(c.linked, c.bi); got != c.want {
			t.Errorf("%s: versionOf = %q, want %q", c.name, got, c.want)
		}
	}
}

// The running test binary has some version, never the empty string or
// the placeholder "1" the server once reported.
func TestVersionIsNeverEmpty(t *testing.T) {
	if v := Version(""); v == "" || v == "1" {
		t.Fatalf("Version(\"\") = %q", v)
	}
}
