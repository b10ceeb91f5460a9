package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	sampleIn        = "../../../mappings/testdata/samples/shopify_customer.json"
	sampleCanonical = "../../../mappings/testdata/samples/shopify_customer.canonical.json"
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
	out, stderr, err := runSplit(t, nil, "mapping", "test", "--connector", "shopify", "--in", sampleIn)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out != string(want) {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	// The coverage follows on stderr, so stdout stays one JSON document.
	for _, s := range []string{"coverage of customer by connectors/shopify/mapping.yaml:", "holds (writes and reads back): billing_address.{city,", "fills gaps only (not held apart): company"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}

	// --in - reads stdin.
	in, err := os.ReadFile(sampleIn)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err = runSplit(t, bytes.NewReader(in), "mapping", "test", "--connector", "shopify", "--in", "-")
	if err != nil {
		t.Fatalf("stdin: %v\n%s", err, out)
	}
	if out != string(want) {
		t.Errorf("stdin output:\n%s", out)
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

// runSplit runs the command with stdout and stderr apart.
func runSplit(t *testing.T, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := newRoot()
	var out, errOut bytes.Buffer
	if stdin != nil {
		root.SetIn(stdin)
	}
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

func TestMappingTestCoverage(t *testing.T) {
	t.Setenv("SHOPHUB_CONFIG", "")
	out, _, err := runSplit(t, nil, "mapping", "test", "--connector", "shopware", "--coverage")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var cov struct {
		Resource string   `json:"resource"`
		Inbound  []string `json:"inbound"`
		Holds    []string `json:"holds"`
		FillOnly []string `json:"fill_only"`
	}
	if err := json.Unmarshal([]byte(out), &cov); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	// Shopware writes the customer phone into the billing address's one
	// phone field: the address phone it sends back is not its own.
	if cov.Resource != "customer" || !slices.Contains(cov.Holds, "email") || !slices.Contains(cov.FillOnly, "billing_address.phone") || slices.Contains(cov.Holds, "billing_address.phone") {
		t.Errorf("shopware coverage %+v", cov)
	}
	if _, _, err := runSplit(t, nil, "mapping", "test", "--connector", "shopware"); err == nil || !strings.Contains(err.Error(), `"in"`) {
		t.Errorf("without --in or --coverage: %v", err)
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
