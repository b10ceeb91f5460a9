package cli

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shophub/shophub/internal/buildinfo"
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
	out, err := run(t, "check", "../../../config/example.yaml")
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
		// Settings problems point at the setting, not at the connector's
		// entry (nor at yaml's line in the re-encoded settings).
		{"bad connector setting", "connectors:\n  - name: a\n    type: shopify\n    settings:\n      access_token: x\n      shop_ulr: x\n",
			"broken.yaml:6: connector a: settings for shopify: unknown setting shop_ulr"},
		{"bad connector value", "connectors:\n  - name: a\n    type: shopify\n    settings:\n      access_token: x\n      shop_url: ftp://a\n",
			`broken.yaml:6: connector a: settings for shopify: shop_url "ftp://a"`},
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
	for _, cmd := range []string{"serve", "worker", "all", "dev", "migrate", "check", "backfill", "replay", "status", "insights", "export", "erase", "version"} {
		out, err := run(t, cmd, "--help")
		if err != nil || !strings.Contains(out, "Usage:") {
			t.Errorf("%s --help: %v\n%s", cmd, err, out)
		}
	}
}

// exampleVars lists the ${NAME} references of config/example.yaml's
// uncommented lines: what a production install must provide.
func exampleVars(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../../config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ref := regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}`)
	seen := map[string]bool{}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range ref.FindAllStringSubmatch(line, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				out = append(out, m[1])
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %v in example.yaml", out)
	}
	return out
}

func TestCheckStrict(t *testing.T) {
	for _, v := range exampleVars(t) {
		t.Setenv(v, "")
	}
	out, err := run(t, "check", "--strict", "../../../config/example.yaml")
	if err == nil {
		t.Fatalf("check --strict accepted the example's placeholders:\n%s", out)
	}
	for _, want := range []string{
		`example.yaml:\d+: connectors\[0\]\.settings\.access_token: placeholder value "shpat_set_SHOPIFY_ACCESS_TOKEN" \(SHOPIFY_ACCESS_TOKEN is not set\)`,
		`example.yaml:\d+: server\.admin_token: empty secret`,
	} {
		if !regexp.MustCompile(want).MatchString(err.Error()) {
			t.Errorf("error does not match %s:\n%v", want, err)
		}
	}
	// Without --strict the same file is fine for a first look.
	if out, err := run(t, "check", "../../../config/example.yaml"); err != nil {
		t.Errorf("check without --strict: %v\n%s", err, out)
	}

	for _, v := range exampleVars(t) {
		t.Setenv(v, "real-"+strings.ToLower(v))
	}
	t.Setenv("SHOPIFY_SHOP_URL", "https://acme.myshopify.com")
	t.Setenv("SHOPWARE_URL", "https://shop.acme.de")
	t.Setenv("SHOPHUB_PUBLIC_URL", "https://hub.acme.de")
	t.Setenv("SHOPHUB_REDIS_ADDR", "redis:6379")
	t.Setenv("SHOPHUB_DB_MAX_OPEN_CONNS", "30")
	t.Setenv("SHOPHUB_DB_MAX_IDLE_CONNS", "10")
	t.Setenv("SHOPHUB_ADMIN_LISTEN", ":9090")
	if out, err := run(t, "check", "--strict", "../../../config/example.yaml"); err != nil {
		t.Errorf("check --strict with every variable set: %v\n%s", err, out)
	}
}

// A mapping path in the config is relative to the config's folder, as in
// a container where only that folder is mounted and the process works
// from /.
func TestCheckMappingRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "mappings"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A broken mapping proves the file was found: its error names it.
	if err := os.WriteFile(filepath.Join(dir, "mappings", "m.yaml"), []byte("version: 1\nresources: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "shophub.yaml")
	cfg := "connectors:\n  - name: a\n    type: shopify\n    mapping: mappings/m.yaml\n    settings: {shop_url: 'https://a.myshopify.com', access_token: x}\n"
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := run(t, "check", p)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "mappings", "m.yaml")+":2") {
		t.Errorf("check = %v, want the mapping's error at %s:2", err, filepath.Join(dir, "mappings", "m.yaml"))
	}
}

// `shophub dev` on a taken port says so, as serve does, for each of its
// three listeners (it used to panic with a nil pointer).
func TestDevPortTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	addr := taken.Addr().String()
	for _, flag := range []string{"--listen", "--shopify", "--shopware"} {
		t.Run(flag, func(t *testing.T) {
			args := []string{"dev", "--dir", t.TempDir(), "--seed", "0", "--listen", "127.0.0.1:0", "--shopify", "127.0.0.1:0", "--shopware", "127.0.0.1:0", flag, addr}
			out, err := run(t, args...)
			if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), addr) {
				t.Errorf("dev %s %s: err = %v, want address already in use naming it\n%s", flag, addr, err, out)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	bi := buildinfo.Read()
	out, err := run(t, "version")
	if err != nil || strings.TrimSpace(out) != bi.String() || !strings.HasPrefix(out, "shophub ") || !strings.Contains(out, bi.GoVersion) {
		t.Errorf("version = %q, %v; want %q", out, err, bi.String())
	}
	out, err = run(t, "version", "--json")
	var got struct {
		Version, Go string
	}
	if err != nil || json.Unmarshal([]byte(out), &got) != nil || got.Version != bi.Version || got.Go != bi.GoVersion {
		t.Errorf("version --json = %q, %v", out, err)
	}
}
