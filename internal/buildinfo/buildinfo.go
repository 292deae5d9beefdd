// Package buildinfo says which build of taskbridge is running: the version
// the MCP server reports as serverInfo.version, so an operator or a host
// can tell deployments apart.
package buildinfo

import "runtime/debug"

// linkedVersion is set at link time, for builds without the Git metadata
// Go stamps by itself (the container build, whose context has no .git):
//
//	go build -ldflags "-X github.com/taskbridge/taskbridge/internal/buildinfo.linkedVersion=v1.2.3"
//
// It is a build input, never assigned at run time.
var linkedVersion string

// Version is the running build's version: the linked version when one was
// given; else the module version Go recorded (a release tag for `go
// install ...@v1.2.3`, a pseudo-version naming the commit for a build in a
// Git checkout); else the VCS revision; else "devel".
func Version() string {
	bi, _ := debug.ReadBuildInfo()
	return versionOf(linkedVersion, bi)
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
