// Package profiles holds the ready REST ERP profiles shipped with shophub:
// <name>.yaml describes the ERP's REST API (see connectors/erp/rest),
// <name>.mapping.yaml is its default mapping. Each becomes a connector
// type of its own name; `type: rest` with `profile: <name>` selects the
// same description (with the generic mapping), and `profile: <path>` reads
// an operator's own.
package profiles

import (
	"embed"
	"io/fs"
	"slices"
	"strings"
)

//go:embed *.yaml
var files embed.FS

// Names lists the shipped profiles, sorted.
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".yaml") && !strings.HasSuffix(n, ".mapping.yaml") {
			out = append(out, strings.TrimSuffix(n, ".yaml"))
		}
	}
	slices.Sort(out)
	return out
}

// Profile returns a shipped profile's description.
func Profile(name string) ([]byte, bool) {
	b, err := files.ReadFile(name + ".yaml")
	return b, err == nil
}

// Mapping returns a shipped profile's default mapping.
func Mapping(name string) ([]byte, bool) {
	b, err := files.ReadFile(name + ".mapping.yaml")
	return b, err == nil
}
