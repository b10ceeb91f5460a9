package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	sampleIn        = "../../mappings/testdata/samples/shopify_customer.json"
	sampleCanonical = "../../mappings/testdata/samples/shopify_customer.canonical.json"
)

func TestMappingTestPrintsCanonical(t *testing.T) {
	want, err := os.ReadFile(sampleCanonical)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SHOPHUB_CONFIG", "")
	// An explicit --config must exist; without one, types still work.
	missing := filepath.Join(t.TempDir(), "absent.yaml")
	if _, err := run(t, "mapping", "test", "--connector", "shopify", "--in", sampleIn, "-c", missing); err == nil || !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("explicit missing config: %v", err)
	}
	out, err := run(t, "mapping", "test", "--connector", "shopify", "--in", sampleIn)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out != string(want) {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}

	// --in - reads stdin.
	root := newRoot()
	var buf bytes.Buffer
	in, err := os.ReadFile(sampleIn)
	if err != nil {
		t.Fatal(err)
	}
	root.SetIn(bytes.NewReader(in))
	root.SetOut(&buf)
	root.SetErr(&buf)
	root.SetArgs([]string{"mapping", "test", "--connector", "shopify", "--in", "-"})
	if err := root.Execute(); err != nil {
		t.Fatalf("stdin: %v\n%s", err, buf.String())
	}
	if buf.String() != string(want) {
		t.Errorf("stdin output:\n%s", buf.String())
	}

	// And back: canonical → Shopify payload.
	out, err = run(t, "mapping", "test", "--connector", "shopify", "--direction", "out", "--in", sampleCanonical)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, s := range []string{`"email": "bob.norman@mail.example.com"`, `"address1": "Friedrichstraße 123"`, `"state": "subscribed"`} {
		if !strings.Contains(out, s) {
			t.Errorf("outbound output lacks %s:\n%s", s, out)
		}
	}
}

func TestMappingTestErrors(t *testing.T) {
	t.Setenv("SHOPHUB_CONFIG", "")
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	broken := write("broken.yaml", "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        email: {from: email, transform: [emial]}\n")
	cfg := write("shophub.yaml", "connectors:\n  - name: shop-de\n    type: shopify\n    mapping: "+broken+
		"\n    settings: {shop_url: 'https://a.myshopify.com', access_token: x}\n")
	badRecord := write("bad.json", `{"email": "bob(at)example.com"}`)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"broken override", []string{"--connector", "shop-de", "-c", cfg, "--in", sampleIn}, `broken\.yaml:6: field email: unknown transform "emial"`},
		{"broken --mapping", []string{"--connector", "shopify", "--mapping", broken, "--in", sampleIn}, `broken\.yaml:6: `},
		{"bad record", []string{"--connector", "shopify", "--in", badRecord}, `connectors/shopify/mapping\.yaml:\d+: field email \(from email = \*\*\*\): not an email address`},
		{"unknown connector", []string{"--connector", "nope", "-c", cfg, "--in", sampleIn}, `--connector "nope": not an instance`},
		{"bad direction", []string{"--connector", "shopify", "--direction", "up", "--in", sampleIn}, "--direction"},
		{"missing input", []string{"--connector", "shopify", "--in", filepath.Join(dir, "none.json")}, "--in: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, append([]string{"mapping", "test"}, tc.args...)...)
			if err == nil {
				t.Fatalf("want an error, got output\n%s", out)
			}
			if !regexp.MustCompile(tc.want).MatchString(err.Error()) {
				t.Errorf("error %q does not match %q", err, tc.want)
			}
		})
	}
}

func TestMappingTestHelp(t *testing.T) {
	out, err := run(t, "mapping", "test", "--help")
	if err != nil || !strings.Contains(out, "--direction") {
		t.Errorf("mapping test --help: %v\n%s", err, out)
	}
}
