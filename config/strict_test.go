package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStrict(t *testing.T) {
	all := map[string]string{"ADMIN_TOKEN": "a", "TOMBSTONE": "t", "SHOP_SECRET": "s", "SHOP_URL": "https://acme.myshopify.com", "SHOP_TOKEN": "shpat_real"}
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "nothing set", want: []string{
			"testdata/strict.yaml:2: server.admin_token: empty secret (ADMIN_TOKEN is not set)",
			"testdata/strict.yaml:8: hub.tombstone_secret: empty secret (TOMBSTONE is not set)",
			"testdata/strict.yaml:12: connectors[0].webhook_secret: empty secret (SHOP_SECRET is not set)",
			`testdata/strict.yaml:14: connectors[0].settings.shop_url: placeholder value "https://example.myshopify.com" (SHOP_URL is not set)`,
			`testdata/strict.yaml:15: connectors[0].settings.access_token: placeholder value "shpat_set_SHOP_TOKEN" (SHOP_TOKEN is not set)`,
			`testdata/strict.yaml:21: connectors[1].settings.base_url: placeholder value "https://magento.example.com"`,
			`testdata/strict.yaml:22: connectors[1].settings.access_token: placeholder value "changeme"`,
			"testdata/strict.yaml:23: connectors[1].settings.password: empty secret",
		}},
		{name: "environment set", env: all, want: []string{
			// A polled instance needs no webhook secret and Redis may run
			// without AUTH; what is written inline stays wrong.
			`testdata/strict.yaml:21: connectors[1].settings.base_url: placeholder value "https://magento.example.com"`,
			`testdata/strict.yaml:22: connectors[1].settings.access_token: placeholder value "changeme"`,
			"testdata/strict.yaml:23: connectors[1].settings.password: empty secret",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseFile(t, "testdata/strict.yaml", tt.env)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := c.Strict(); err != nil {
				var es Errors
				if !errors.As(err, &es) {
					t.Fatalf("Strict() = %T, want Errors", err)
				}
				for _, e := range es {
					got = append(got, e.Error())
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Strict (-want +got):\n%s", diff)
			}
		})
	}
}

// The example config as shipped is not production-ready, and says where;
// with every variable the compose file passes set, it is.
func TestStrictExample(t *testing.T) {
	c, err := parseFile(t, "example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Strict()
	for _, want := range []string{
		"server.admin_token: empty secret (SHOPHUB_ADMIN_TOKEN is not set)",
		`connectors[0].settings.access_token: placeholder value "shpat_set_SHOPIFY_ACCESS_TOKEN" (SHOPIFY_ACCESS_TOKEN is not set)`,
		`connectors[0].settings.shop_url: placeholder value "https://example.myshopify.com" (SHOPIFY_SHOP_URL is not set)`,
		`connectors[1].settings.url: placeholder value "https://shop.example.com" (SHOPWARE_URL is not set)`,
		"connectors[1].settings.client_secret",
		"hub.tombstone_secret",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Strict() = %v\nwant it to contain %q", err, want)
		}
	}
	var es Errors
	if errors.As(err, &es) {
		for _, e := range es {
			if e.File != "example.yaml" || e.Line == 0 {
				t.Errorf("%v: want example.yaml:line", e)
			}
		}
	}

	c, err = parseFile(t, "example.yaml", productionEnv())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Strict(); err != nil {
		t.Errorf("example.yaml with every variable set: %v", err)
	}
}

// productionEnv sets every ${NAME} example.yaml reads to a real-looking value.
func productionEnv() map[string]string {
	env := map[string]string{}
	data, _ := os.ReadFile("example.yaml")
	for _, m := range envRefs(string(data)) {
		env[m] = "value-of-" + strings.ToLower(m)
	}
	env["SHOPIFY_SHOP_URL"] = "https://acme.myshopify.com"
	env["SHOPWARE_URL"] = "https://shop.acme.de"
	env["SHOPHUB_PUBLIC_URL"] = "https://hub.acme.de"
	env["SHOPHUB_REDIS_ADDR"] = "redis:6379"
	env["SHOPHUB_DB_MAX_OPEN_CONNS"] = "30"
	env["SHOPHUB_DB_MAX_IDLE_CONNS"] = "10"
	env["SHOPHUB_ADMIN_LISTEN"] = ":9090"
	return env
}

// envRefs lists the ${NAME} references of uncommented lines.
func envRefs(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for _, m := range envRefAny.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

func TestMappingRelativeToConfig(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "etc")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := "connectors:\n  - {name: a, type: shopify, mapping: mappings/a.yaml}\n  - {name: b, type: shopify, mapping: /abs/b.yaml}\n  - {name: c, type: shopify}\n"
	path := filepath.Join(sub, "shophub.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Connectors[0].Mapping, c.Connectors[1].Mapping, c.Connectors[2].Mapping}
	want := []string{filepath.Join(sub, "mappings", "a.yaml"), "/abs/b.yaml", ""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mapping paths (-want +got):\n%s", diff)
	}
}

func TestDatabasePool(t *testing.T) {
	for _, tt := range []struct {
		yaml, err  string
		open, idle int
	}{
		{yaml: "database: {driver: sqlite}", open: 64, idle: 64},
		{yaml: "database: {driver: sqlite, max_open_conns: 30, max_idle_conns: 10}", open: 30, idle: 10},
		{yaml: "database: {driver: sqlite, max_open_conns: 0}", err: "line 1: database.max_open_conns: must be greater than 0"},
		{yaml: "database: {driver: sqlite, max_open_conns: 10, max_idle_conns: 20}", err: "line 1: database.max_idle_conns: must not exceed max_open_conns (10)"},
	} {
		c, err := Parse("", []byte(tt.yaml), envFrom(nil))
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%s: err = %v, want %q", tt.yaml, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.yaml, err)
		}
		if c.Database.MaxOpenConns != tt.open || c.Database.MaxIdleConns != tt.idle {
			t.Errorf("%s: pool %d/%d, want %d/%d", tt.yaml, c.Database.MaxOpenConns, c.Database.MaxIdleConns, tt.open, tt.idle)
		}
	}
}
