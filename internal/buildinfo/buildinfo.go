// Package buildinfo says which build of taskbridge is running: the version
// the MCP server reports as serverInfo.version, so an operator or a host
// can tell deployments apart.
package buildinfo

import "runtime/debug"

// Version is the running build's version: linked, the version the binary
// was linked with (`go build -ldflags "-X main.version=v1.2.3"`, which
// cmd/taskbridge passes on), when there is one; else the module version Go
// recorded (a release tag for `go install ...@v1.2.3`, a pseudo-version
// naming the commit for a build in a Git checkout); else the VCS revision;
// else "devel". The container build needs the linked form: its context has
// no .git for Go to read.
func Version(linked string) string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(linked, bi)
}

func versionOf(linked string, bi *debug.BuildInfo) string {
	if linked != "" {
		return linked
	}
	if bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var revision, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" {
		return "devel"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		revision += "-dirty"
	}
	return revision
}
