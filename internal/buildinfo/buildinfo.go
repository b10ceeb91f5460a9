// Package buildinfo says which shophub is running, from what the Go
// toolchain stamps into every binary (runtime/debug.ReadBuildInfo): the
// module version (a tag for `go install ...@v1.2.3`, "(devel)" for a
// build from a checkout) and, for builds inside a git checkout, the
// commit, its time and whether the tree had uncommitted changes.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Info is what the binary knows about its own build.
type Info struct {
	Version   string // module version, "(devel)" from a checkout
	Revision  string // vcs.revision; "" when built without VCS data (e.g. no .git in a Docker context)
	Time      string // vcs.time, RFC 3339
	Modified  bool   // vcs.modified: built from a tree with uncommitted changes
	GoVersion string
}

// revision is the commit for builds without VCS data: the Docker build
// context leaves .git out (.dockerignore), so the Dockerfile passes
// -ldflags "-X github.com/shophub/shophub/internal/buildinfo.revision=..."
// from its SHOPHUB_REVISION build argument. Set only by the linker.
var revision string

// Read returns the running binary's build information.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", Revision: revision}
	}
	i := from(bi)
	if i.Revision == "" {
		i.Revision = revision
	}
	return i
}

func from(bi *debug.BuildInfo) Info {
	i := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if i.Version == "" {
		i.Version = "(devel)" // test binaries carry no main module version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// String is one line: "shophub v1.2.3 (abc1234-dirty, 2026-12-01T16:00:00Z, go1.26.8)".
func (i Info) String() string {
	detail := ""
	if rev := i.ShortRevision(); rev != "" {
		detail = rev + ", "
		if i.Time != "" {
			detail += i.Time + ", "
		}
	}
	return fmt.Sprintf("shophub %s (%s%s)", i.Version, detail, i.GoVersion)
}

// ShortRevision is the revision as a metric label: 12 hex digits, with
// "-dirty" for a modified tree, "" when unknown.
func (i Info) ShortRevision() string {
	rev := i.Revision
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" && i.Modified {
		rev += "-dirty"
	}
	return rev
}
