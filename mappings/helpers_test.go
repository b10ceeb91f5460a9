package mappings

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fieldsYAML wraps an inbound fields block (written at column 0) into a
// mapping file for resource "thing", which has no canonical schema.
func fieldsYAML(fields string) string {
	return "version: 1\nresources:\n  thing:\n    inbound:\n      fields:\n" + indent(fields, "        ")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pre + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func mustCompile(t testing.TB, src string, opts Options) *Mapping {
	t.Helper()
	m, err := Compile("mapping.yaml", []byte(src), opts)
	if err != nil {
		t.Fatalf("Compile: %v\n%s", err, src)
	}
	return m
}

func decodeJSON(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return m
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
