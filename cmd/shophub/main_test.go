package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCheckExampleConfig(t *testing.T) {
	out, err := run(t, "check", "../../config/example.yaml")
	if err != nil {
		t.Fatalf("check example.yaml: %v\n%s", err, out)
	}
	if !strings.Contains(out, "ok (2 connectors)") {
		t.Errorf("output %q", out)
	}
}

func TestCheckBrokenConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown key", "server:\n  listen: \":8080\"\n  listne: x\n", "broken.yaml:3"},
		{"unknown connector type", "connectors:\n  - name: a\n    type: shopifyy\n", "broken.yaml:2"},
		{"bad connector setting", "connectors:\n  - name: a\n    type: shopify\n    settings:\n      shop_ulr: x\n", "shop_ulr"},
		{"bad mapping override", "connectors:\n  - name: a\n    type: shopify\n    mapping: " + filepath.Join(dir, "m.yaml") +
			"\n    settings: {shop_url: 'https://a.myshopify.com', access_token: x}\n", "m.yaml:2"},
	}
	if err := os.WriteFile(filepath.Join(dir, "m.yaml"), []byte("version: 1\nresources: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, "broken.yaml")
			if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := run(t, "check", p)
			if err == nil {
				t.Fatalf("check accepted a broken config:\n%s", out)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range []string{"serve", "worker", "all", "dev", "migrate", "check", "backfill", "replay", "status", "export", "erase"} {
		out, err := run(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
}
