package buildinfo

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T16:00:00Z"}, {Key: "vcs.modified", Value: "false"},
		}}, "shophub v1.2.3 (0123456789ab, 2026-12-01T16:00:00Z, go1.26.8)"},
		{"dirty checkout", debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.time", Value: "2026-12-01T16:00:00Z"}, {Key: "vcs.modified", Value: "true"},
		}}, "shophub (devel) (0123456789ab-dirty, 2026-12-01T16:00:00Z, go1.26.8)"},
		{"no vcs data", debug.BuildInfo{GoVersion: "go1.26.8"}, "shophub (devel) (go1.26.8)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := from(&tt.bi).String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRead(t *testing.T) {
	i := Read()
	if i.Version == "" || !strings.HasPrefix(i.GoVersion, "go") {
		t.Errorf("Read() = %+v", i)
	}
}

// A binary built without VCS data (the Docker build context has no .git)
// takes the commit from the linker-set revision.
func TestLinkerRevision(t *testing.T) {
	defer func(r string) { revision = r }(revision)
	revision = "fedcba9876543210fedc"
	// Test binaries carry no VCS settings, so the linker's value shows.
	if i := Read(); i.Revision != revision || !strings.Contains(i.String(), "fedcba987654") {
		t.Errorf("Read() = %+v, String %q", i, i.String())
	}
}
