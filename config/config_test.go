package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
)

// envFrom returns a lookupEnv over a fixed map, so tests never see the
// machine's environment.
func envFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func parseFile(t *testing.T, path string, env map[string]string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(path, data, envFrom(env))
}

func errorLines(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	return strings.Split(err.Error(), "\n")
}

var ignoreSource = cmpopts.IgnoreUnexported(Config{})

// defaultWorker is written out rather than built from the constants, so a
// changed default shows up here.
var defaultWorker = Worker{
	Concurrency:       100,
	TaskCheckInterval: Duration(20 * time.Millisecond),
	MaxRetry:          12,
	ShutdownTimeout:   Duration(30 * time.Second),
	DedupeTTL:         Duration(24 * time.Hour),
	OutboxInterval:    Duration(5 * time.Second),
}

func TestExample(t *testing.T) {
	c, err := parseFile(t, "example.yaml", nil)
	if err != nil {
		t.Fatalf("example.yaml with no environment: %v", err)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("example.yaml warnings: %q", w)
	}
	want := &Config{
		File: "example.yaml",
		Server: Server{
			Listen:       ":8080",
			MaxBodyBytes: 16 << 20,
		},
		Database: Database{Driver: "mysql", DSN: "root@tcp(127.0.0.1:3306)/shophub?parseTime=true&charset=utf8mb4&loc=UTC", MaxOpenConns: 64, MaxIdleConns: 64},
		Redis:    Redis{Addr: "127.0.0.1:6379"},
		Worker:   defaultWorker,
		Hub: Hub{
			DefaultRegion: "DE", VendorErasureScope: ScopeOrigin,
			MatchKeys: []string{"email"},
			Priority: map[string][]string{
				"*":               {"shopware", "shopify"},
				"email_marketing": {"shopify", "shopware"},
				"sms_marketing":   {"shopify", "shopware"},
			},
			Owners:              map[string]string{"email_marketing": "shopify", "sms_marketing": "shopify"},
			QuarantineRetention: Duration(14 * 24 * time.Hour),
		},
		Insights: Insights{ScoreEvery: Duration(24 * time.Hour), ScoreAt: Duration(3 * time.Hour), LargeOrderTotal: "500", ComplaintDays: 14},
		Connectors: []Connector{
			{
				Name: "shopify", Type: "shopify", Direction: "both", Resources: []string{"customer", "order"},
				PollInterval: Duration(5 * time.Minute), PreviousWebhookSecrets: []string{},
				Timeout: Duration(30 * time.Second), OnDelete: OnDeleteUnlink, Trust: TrustAuto, Erasure: "delete",
				Settings: map[string]any{
					"shop_url":     "https://example.myshopify.com",
					"api_version":  "2025-07",
					"access_token": "shpat_set_SHOPIFY_ACCESS_TOKEN",
					"page_size":    250,
				},
				Line: c.Connectors[0].Line,
			},
			{
				Name: "shopware", Type: "shopware", Direction: "both", Resources: []string{"customer", "order"},
				PollInterval: Duration(5 * time.Minute),
				Timeout:      Duration(30 * time.Second), Erasure: "delete",
				Settings: map[string]any{
					"url":           "https://shop.example.com",
					"client_id":     "SWIA_set_SHOPWARE_CLIENT_ID",
					"client_secret": "set_SHOPWARE_CLIENT_SECRET",
					"page_size":     100,
				},
				Line: c.Connectors[1].Line,
			},
		},
	}
	if diff := cmp.Diff(want, c, ignoreSource); diff != "" {
		t.Errorf("example.yaml (-want +got):\n%s", diff)
	}
	if c.Connectors[0].Line == 0 || c.Connectors[1].Line <= c.Connectors[0].Line {
		t.Errorf("connector lines %d, %d", c.Connectors[0].Line, c.Connectors[1].Line)
	}

	// With the environment set, the same file picks it up.
	c, err = parseFile(t, "example.yaml", map[string]string{
		"SHOPHUB_MYSQL_DSN":    "u:p@tcp(db:3306)/hub?parseTime=true",
		"SHOPIFY_ACCESS_TOKEN": "shpat_x",
		"SHOPHUB_PUBLIC_URL":   "https://hub.example.com/",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Database.DSN; got != "u:p@tcp(db:3306)/hub?parseTime=true" {
		t.Errorf("dsn = %q", got)
	}
	if got := c.Connectors[0].Settings["access_token"]; got != "shpat_x" {
		t.Errorf("access_token = %v", got)
	}
	if got := c.Server.PublicURL; got != "https://hub.example.com" {
		t.Errorf("public_url = %q, want trailing slash trimmed", got)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Errorf("secrets from the environment must not warn: %q", w)
	}
}

func TestLoad(t *testing.T) {
	c, err := Load("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.File != "testdata/minimal.yaml" {
		t.Errorf("File = %q", c.File)
	}
	if _, err := Load("testdata/does-not-exist.yaml"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestDefaults(t *testing.T) {
	c, err := parseFile(t, "testdata/minimal.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:     "testdata/minimal.yaml",
		Server:   Server{Listen: ":8080", MaxBodyBytes: 16 << 20},
		Database: Database{Driver: "sqlite", DSN: "shophub.db", MaxOpenConns: 64, MaxIdleConns: 64},
		Redis:    Redis{Addr: "127.0.0.1:6379"},
		Worker:   defaultWorker,
		Hub:      Hub{DefaultRegion: "DE", MatchKeys: []string{"email"}, QuarantineRetention: Duration(14 * 24 * time.Hour)},
		Connectors: []Connector{{
			Name: "shop", Type: "shopify", Direction: "both", Resources: []string{"customer"},
			Timeout: Duration(30 * time.Second), Line: 2,
		}},
	}
	if diff := cmp.Diff(want, c, ignoreSource); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}

	// A config built in code gets the same defaults from ApplyDefaults.
	built := &Config{File: "testdata/minimal.yaml", Connectors: []Connector{{Name: "shop", Type: "shopify", Line: 2}}}
	built.ApplyDefaults()
	if diff := cmp.Diff(want, built, ignoreSource); diff != "" {
		t.Errorf("ApplyDefaults (-want +got):\n%s", diff)
	}
	if err := built.Validate(); err != nil {
		t.Errorf("Validate of built config: %v", err)
	}
}

func TestExplicitZeroKept(t *testing.T) {
	c, err := Parse("zero.yaml", []byte("worker:\n  max_retry: 0\nredis:\n  db: 0\n"), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Worker.MaxRetry != 0 {
		t.Errorf("max_retry = %d, want explicit 0 kept", c.Worker.MaxRetry)
	}
}

func TestMergeKeys(t *testing.T) {
	c, err := parseFile(t, "testdata/merge.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := []Connector{}
	for _, conn := range c.Connectors {
		got = append(got, Connector{Name: conn.Name, Type: conn.Type, PollInterval: conn.PollInterval, Timeout: conn.Timeout, Line: conn.Line})
	}
	want := []Connector{
		{Name: "a", Type: "shopify", PollInterval: Duration(10 * time.Minute), Timeout: Duration(5 * time.Second), Line: 6},
		{Name: "b", Type: "shopify", PollInterval: Duration(10 * time.Minute), Timeout: Duration(9 * time.Second), Line: 8},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("merged connectors (-want +got):\n%s", diff)
	}
}

func TestParseEnv(t *testing.T) {
	env := map[string]string{
		"ADMIN_TOKEN": "", // set but empty: keeps the default
		"DB_DSN":      "hub.db",
		"SECRET":      "whsec",
		"SHOP_HOST":   "shop.example",
		"TOKEN":       "0x1F", // must not become 31
		"PAGE_SIZE":   "25",
		"POLL":        "", // empty: the ${POLL:-1m} default applies
	}
	c, err := parseFile(t, "testdata/env.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Server{Listen: ":9090", MaxBodyBytes: 16 << 20}, c.Server); diff != "" {
		t.Errorf("server (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Database{Driver: "sqlite", DSN: "hub.db", MaxOpenConns: 64, MaxIdleConns: 64}, c.Database); diff != "" {
		t.Errorf("database (-want +got):\n%s", diff)
	}
	if c.Worker.Concurrency != 5 {
		t.Errorf("concurrency = %d, want 5 from the default", c.Worker.Concurrency)
	}
	if c.Worker.OutboxInterval != DefaultOutboxInterval {
		t.Errorf("outbox_interval = %v, want the default for an empty expansion", c.Worker.OutboxInterval)
	}
	conn := c.Connectors[0]
	if conn.Name != "shop" || conn.PollInterval != Duration(time.Minute) || conn.WebhookSecret != "whsec" {
		t.Errorf("connector = %+v", conn)
	}
	if diff := cmp.Diff([]string{"", "literal$dollar"}, conn.PreviousWebhookSecrets); diff != "" {
		t.Errorf("previous_webhook_secrets (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"whsec", "literal$dollar"}, conn.Secrets()); diff != "" {
		t.Errorf("Secrets() (-want +got):\n%s", diff)
	}
	wantSettings := map[string]any{
		"shop_url":     "https://shop.example/admin",
		"access_token": "0x1F",
		"page_size":    25,   // plain: a number, as if written literally
		"quoted_size":  "25", // quoted: stays a string
		"ratio":        2.5,
		"enabled":      true,
		"price":        "$5 and $5",
		"escaped":      "${NOT_EXPANDED}",
		"nested":       map[string]any{"list": []any{1, "1", "x"}},
	}
	if diff := cmp.Diff(wantSettings, conn.Settings); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	// The literal "$$" secret is written inline; everything else came from
	// the environment.
	wantWarn := []string{`testdata/env.yaml:18: connectors[0].previous_webhook_secrets[1]: secret written inline; use ${ENV}`}
	if diff := cmp.Diff(wantWarn, c.Warnings()); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

func TestExpandEnv(t *testing.T) {
	env := envFrom(map[string]string{"A": "a", "EMPTY": "", "N": "42"})
	tests := []struct {
		in, want string
		refs     bool
		err      string
	}{
		{in: "plain", want: "plain"},
		{in: "${A}", want: "a", refs: true},
		{in: "x-${A}-${N}", want: "x-a-42", refs: true},
		{in: "${UNSET:-dflt}", want: "dflt", refs: true},
		{in: "${UNSET:-}", want: "", refs: true},
		{in: "${EMPTY:-dflt}", want: "dflt", refs: true},
		{in: "${EMPTY}", want: "", refs: true},
		{in: "${A:-dflt}", want: "a", refs: true},
		{in: "${UNSET:-a:-b c}", want: "a:-b c", refs: true},
		{in: "$$", want: "$"},
		{in: "$${A}", want: "${A}"},
		{in: "$$$${A}", want: "$${A}"},
		{in: "$$${A}", want: "$a", refs: true},
		{in: "cost $5", want: "cost $5"},
		{in: "trailing $", want: "trailing $"},
		{in: "${UNSET}", err: "environment variable UNSET is not set (write ${UNSET:-default} to make it optional)"},
		{in: "${A", err: `unterminated ${ in "${A" (write $$ for a literal $)`},
		{in: "${}", err: `invalid environment variable name "" in ${}`},
		{in: "${A-B}", err: `invalid environment variable name "A-B" in ${A-B}`},
		{in: "${A:-${B}}", err: "nested ${...} in a default is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, refs, err := expandEnv(tt.in, env)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want || refs != tt.refs {
				t.Errorf("= %q, %v; want %q, %v", got, refs, tt.want, tt.refs)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		file string
		env  map[string]string
		want []string
	}{
		{file: "unknown_key.yaml", want: []string{
			"testdata/unknown_key.yaml:3: server.lisen: unknown key (known: admin_listen, admin_token, dashboard_actions, listen, max_body_bytes, public_url, trusted_proxies)",
			"testdata/unknown_key.yaml:4: databse: unknown key (known: connectors, database, events, hub, insights, redis, server, worker)",
			"testdata/unknown_key.yaml:12: connectors[0].setings: unknown key (known: cart_abandoned_after, direction, erasure, mapping, max_in_flight, name, on_delete, poll_interval, poll_lookback, previous_webhook_secrets, rate_burst, rate_limit, reconcile, region, resources, settings, timeout, trust, type, webhook_secret)",
		}},
		{file: "duplicates.yaml", want: []string{
			`testdata/duplicates.yaml:6: connectors[2].name: duplicate connector name "shop" (first used by connectors[0] at line 2)`,
			`testdata/duplicates.yaml:8: connectors[3].name: name "Shop One" must match ^[a-z0-9][a-z0-9_-]*$ (lower-case letters, digits, _ and -; it appears in URLs)`,
			"testdata/duplicates.yaml:10: connectors[4].name: required",
			"testdata/duplicates.yaml:11: connectors[5].type: required, e.g. shopify",
			"testdata/duplicates.yaml:14: server.listen: duplicate key (first at line 13)",
		}},
		{file: "types.yaml", want: []string{
			"testdata/types.yaml:2: server.listen: want a string, got a list",
			`testdata/types.yaml:3: server.max_body_bytes: want an integer, got "1MB"`,
			"testdata/types.yaml:4: database: want a mapping, got a scalar",
			`testdata/types.yaml:6: redis.db: want an integer, got "one"`,
			`testdata/types.yaml:8: worker.concurrency: want an integer, got "2.5"`,
			`testdata/types.yaml:9: worker.task_check_interval: invalid duration "50": want a number with a unit, e.g. 50ms, 5m, 24h`,
			`testdata/types.yaml:10: worker.dedupe_ttl: invalid duration "1 day": want a number with a unit, e.g. 50ms, 5m, 24h`,
			"testdata/types.yaml:12: hub.match_keys: want a list of strings, e.g. [a, b], got a scalar",
			"testdata/types.yaml:13: hub.priority: want a mapping of field to instance names, most trusted first, got a list",
			"testdata/types.yaml:15: hub.owners.email: want a string, got a list",
			"testdata/types.yaml:19: connectors[0].resources: want a list of strings, e.g. [a, b], got a scalar",
			`testdata/types.yaml:20: connectors[0].rate_limit: want a number, got "fast"`,
			"testdata/types.yaml:21: connectors[0].previous_webhook_secrets[0]: want a string, got a mapping",
			"testdata/types.yaml:22: connectors[0].settings: want a mapping, got a list",
			"testdata/types.yaml:23: connectors[1]: want a mapping with at least name and type, got a scalar",
		}},
		{file: "values.yaml", want: []string{
			`testdata/values.yaml:2: server.listen: want host:port, e.g. :8080, got "8080"`,
			"testdata/values.yaml:3: server.max_body_bytes: must be greater than 0",
			`testdata/values.yaml:4: server.public_url: want an absolute http(s) URL, got "ftp://example.com"`,
			`testdata/values.yaml:6: database.driver: must be mysql or sqlite, got "postgres"`,
			`testdata/values.yaml:8: redis.addr: want host:port, e.g. 127.0.0.1:6379, got "localhost"`,
			"testdata/values.yaml:9: redis.db: must not be negative",
			"testdata/values.yaml:11: worker.concurrency: must be greater than 0",
			"testdata/values.yaml:12: worker.task_check_interval: must be greater than 0",
			"testdata/values.yaml:13: worker.max_retry: must not be negative",
			"testdata/values.yaml:14: worker.shutdown_timeout: must be greater than 0",
			"testdata/values.yaml:15: worker.dedupe_ttl: must be greater than 0",
			"testdata/values.yaml:16: worker.outbox_interval: must be greater than 0",
			`testdata/values.yaml:18: hub.default_region: want an ISO 3166-1 alpha-2 code such as DE, got "Germany"`,
			`testdata/values.yaml:19: hub.match_keys[1]: duplicate match key "email"`,
			"testdata/values.yaml:19: hub.match_keys[2]: empty match key",
			`testdata/values.yaml:21: hub.priority.*[1]: unknown instance "erp" (configured: shop, other)`,
			`testdata/values.yaml:21: hub.priority.*[2]: instance "shop" listed twice`,
			`testdata/values.yaml:22: hub.priority.email[0]: unknown instance "helpdesk" (configured: shop, other)`,
			`testdata/values.yaml:24: hub.owners.billing_address: unknown instance "erp" (configured: shop, other)`,
			"testdata/values.yaml:25: hub.owners.consent: owner required: the one instance allowed to change consent",
			`testdata/values.yaml:29: connectors[0].direction: must be in, out or both, got "sideways"`,
			"testdata/values.yaml:30: connectors[0].resources: at least one resource, e.g. [customer]",
			"testdata/values.yaml:31: connectors[0].poll_interval: must not be negative",
			"testdata/values.yaml:32: connectors[0].rate_limit: must be -1 (no pacing) or not negative",
			"testdata/values.yaml:33: connectors[0].rate_burst: must not be negative",
			"testdata/values.yaml:34: connectors[0].timeout: must be greater than 0",
			`testdata/values.yaml:37: connectors[1].resources[1]: resource "Orders" must match ^[a-z0-9][a-z0-9_-]*$ (lower-case letters, digits, _ and -; it appears in URLs)`,
			`testdata/values.yaml:37: connectors[1].resources[2]: duplicate resource "customer"`,
		}},
		{file: "admin.yaml", want: []string{
			"testdata/admin.yaml:3: server.admin_listen: must differ from server.listen (:8080), or be left out to serve everything there",
			`testdata/admin.yaml:4: server.trusted_proxies[2]: want an IP address or CIDR, e.g. 10.0.0.0/8, got "proxy.example"`,
			`testdata/admin.yaml:6: worker.listen: want host:port, e.g. 127.0.0.1:9091, got "9091"`,
		}},
		{file: "mysql_no_dsn.yaml", want: []string{
			"testdata/mysql_no_dsn.yaml:2: database.dsn: required when driver is mysql, e.g. user:pass@tcp(127.0.0.1:3306)/shophub?parseTime=true",
		}},
		{file: "errors_env.yaml", want: []string{
			"testdata/errors_env.yaml:2: server.admin_token: environment variable MISSING is not set (write ${MISSING:-default} to make it optional)",
			`testdata/errors_env.yaml:3: server.listen: unterminated ${ in "${BROKEN" (write $$ for a literal $)`,
			`testdata/errors_env.yaml:5: redis.addr: invalid environment variable name "1BAD" in ${1BAD}`,
			"testdata/errors_env.yaml:7: worker.concurrency: environment variable NOPE is not set (write ${NOPE:-default} to make it optional)",
			// Not also "name: required": the failed value is reported once.
			"testdata/errors_env.yaml:9: connectors[0].name: environment variable NAME_MISSING is not set (write ${NAME_MISSING:-default} to make it optional)",
			"testdata/errors_env.yaml:12: connectors[0].settings.token: environment variable ALSO_MISSING is not set (write ${ALSO_MISSING:-default} to make it optional)",
			"testdata/errors_env.yaml:13: connectors[0].settings.fine: nested ${...} in a default is not supported",
		}},
		{file: "syntax.yaml", want: []string{
			"testdata/syntax.yaml:2: invalid YAML: did not find expected key",
		}},
		{file: "multidoc.yaml", want: []string{
			"testdata/multidoc.yaml:3: more than one YAML document; want one",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := parseFile(t, filepath.Join("testdata", tt.file), tt.env)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			if c != nil {
				t.Errorf("config returned along with errors")
			}
			if diff := cmp.Diff(tt.want, errorLines(t, err)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			var one *Error
			if !errors.As(err, &one) || one.File != "testdata/"+tt.file || one.Line == 0 {
				t.Errorf("errors.As(*Error) = %+v", one)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		file string
		env  map[string]string
		want []string
	}{
		{file: "inline_secrets.yaml", want: []string{
			"testdata/inline_secrets.yaml:2: server.admin_token: secret written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:5: database.dsn: password written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:13: connectors[0].webhook_secret: secret written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:14: connectors[0].previous_webhook_secrets[0]: secret written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:17: connectors[0].settings.access_token: secret written inline; use ${ENV}",
		}},
		{file: "inline_secrets.yaml", env: map[string]string{"API_KEY": "k", "REDIS_PASSWORD": "p"}, want: []string{
			"testdata/inline_secrets.yaml:2: server.admin_token: secret written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:5: database.dsn: password written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:13: connectors[0].webhook_secret: secret written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:14: connectors[0].previous_webhook_secrets[0]: secret written inline; use ${ENV}",
			"testdata/inline_secrets.yaml:17: connectors[0].settings.access_token: secret written inline; use ${ENV}",
		}},
		{file: "empty.yaml", want: []string{
			"testdata/empty.yaml: connectors: no connectors configured; nothing will be synced",
		}},
		{file: "minimal.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, err := parseFile(t, filepath.Join("testdata", tt.file), tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Warnings()); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
	if w := (&Config{}).Warnings(); w != nil {
		t.Errorf("built config warnings = %q", w)
	}
}

func TestLooksSecret(t *testing.T) {
	for key, want := range map[string]bool{
		"access_token": true, "client_secret": true, "webhook_secret": true,
		"previous_webhook_secrets": true, "password": true, "api_key": true,
		"apiKey": true, "accesstoken": true, "admin_token": true, "credentials": true,
		"match_keys": false, "monkey": false, "client_id": false, "shop_url": false,
		"page_size": false, "keyboard": false,
	} {
		if got := looksSecret(key); got != want {
			t.Errorf("looksSecret(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestValidateBuilt(t *testing.T) {
	c := &Config{Connectors: []Connector{{Name: "shop", Type: "shopify"}, {Name: "shop", Type: "x"}}}
	c.ApplyDefaults()
	c.Hub.Owners = map[string]string{"billing_address": "erp"}
	want := []string{
		`connectors[1].name: duplicate connector name "shop" (first used by connectors[0])`,
		`hub.owners.billing_address: unknown instance "erp" (configured: shop)`,
	}
	if diff := cmp.Diff(want, errorLines(t, c.Validate())); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
}

func TestRateLimitNoPacing(t *testing.T) {
	for _, tt := range []struct {
		rate float64
		err  bool
	}{{NoPacing, false}, {0, false}, {2.5, false}, {-2, true}, {-0.5, true}} {
		c := &Config{Connectors: []Connector{{Name: "erp", Type: "odoo", RateLimit: tt.rate}}}
		c.ApplyDefaults()
		if err := c.Validate(); (err != nil) != tt.err {
			t.Errorf("rate_limit %g: Validate = %v, want error %v", tt.rate, err, tt.err)
		}
	}
}

func TestConnector(t *testing.T) {
	tests := []struct {
		dir     string
		in, out bool
	}{
		{"in", true, false},
		{"out", false, true},
		{"both", true, true},
		{"", true, true},
	}
	for _, tt := range tests {
		c := Connector{Direction: tt.dir}
		if c.In() != tt.in || c.Out() != tt.out {
			t.Errorf("direction %q: In=%v Out=%v", tt.dir, c.In(), c.Out())
		}
	}
	c := Connector{WebhookSecret: "new", PreviousWebhookSecrets: []string{"", "old", "new", "older"}}
	if diff := cmp.Diff([]string{"new", "old", "older"}, c.Secrets()); diff != "" {
		t.Errorf("Secrets (-want +got):\n%s", diff)
	}
	if got := (Connector{}).Secrets(); got != nil {
		t.Errorf("no secrets = %q", got)
	}

	cfg, err := parseFile(t, "example.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := cfg.Connector("shopware"); !ok || got.Type != "shopware" {
		t.Errorf("Connector(shopware) = %+v, %v", got, ok)
	}
	if _, ok := cfg.Connector("nope"); ok {
		t.Error("Connector(nope) found")
	}
}

func TestErrorAt(t *testing.T) {
	c, err := parseFile(t, "testdata/merge.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		field, want string
	}{
		{"connectors[1].type", "testdata/merge.yaml:2: connectors[1].type: unknown type"},             // from the anchor
		{"connectors[1].settings.x", "testdata/merge.yaml:8: connectors[1].settings.x: unknown type"}, // parent entry
		{"nowhere", "testdata/merge.yaml: nowhere: unknown type"},
	}
	for _, tt := range tests {
		if got := c.ErrorAt(tt.field, "unknown type").Error(); got != tt.want {
			t.Errorf("ErrorAt(%q) = %q, want %q", tt.field, got, tt.want)
		}
	}
	if got := (&Error{Line: 3, Msg: "m"}).Error(); got != "line 3: m" {
		t.Errorf("Error without file = %q", got)
	}
}

func TestDuration(t *testing.T) {
	var v struct {
		D Duration `yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1m30s"), &v); err != nil || v.D.D() != 90*time.Second {
		t.Fatalf("unmarshal = %v, %v", v.D, err)
	}
	if err := yaml.Unmarshal([]byte("d: 90"), &v); err == nil {
		t.Error("duration without a unit accepted")
	}
	out, err := yaml.Marshal(v)
	if err != nil || string(out) != "d: 1m30s\n" {
		t.Errorf("marshal = %q, %v", out, err)
	}
	var d Duration
	if err := d.UnmarshalText([]byte("24h")); err != nil || d != DefaultDedupeTTL {
		t.Errorf("UnmarshalText = %v, %v", d, err)
	}
}

func TestQuarantineRetention(t *testing.T) {
	c, err := Parse("q.yaml", []byte("hub:\n  quarantine_retention: 72h\nconnectors:\n  - name: shop\n    type: shopify\n"), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hub.QuarantineRetention != Duration(72*time.Hour) {
		t.Errorf("quarantine_retention = %v, want 72h", c.Hub.QuarantineRetention)
	}
	_, err = Parse("q.yaml", []byte("hub:\n  quarantine_retention: -1h\nconnectors:\n  - name: shop\n    type: shopify\n"), envFrom(nil))
	if diff := cmp.Diff([]string{"q.yaml:2: hub.quarantine_retention: must be greater than 0"}, errorLines(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestErasure(t *testing.T) {
	c, err := Parse("e.yaml", []byte("connectors:\n  - name: shop\n    type: shopify\n  - name: erp\n    type: odoo\n    erasure: anonymize\n"), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Connectors[0].ErasureMode(); got != ErasureNone {
		t.Errorf("unset erasure = %q, want none: no vendor record is deleted unless the operator says so", got)
	}
	if got := c.Connectors[1].ErasureMode(); got != ErasureAnonymize {
		t.Errorf("erasure = %q, want anonymize", got)
	}
	c, err = Parse("e.yaml", []byte("hub:\n  erasure_email_fallback: true\n  vendor_erasure_scope: all\n"), envFrom(nil))
	if err != nil || !c.Hub.ErasureEmailFallback || c.Hub.VendorErasureScope != ScopeAll {
		t.Errorf("privacy keys: %+v %v", c.Hub, err)
	}
	_, err = Parse("e.yaml", []byte("hub:\n  erasure_email_fallback: maybe\n  vendor_erasure_scope: everywhere\n"), envFrom(nil))
	if diff := cmp.Diff([]string{`e.yaml:2: hub.erasure_email_fallback: want true or false, got "maybe"`,
		`e.yaml:3: hub.vendor_erasure_scope: must be origin or all, got "everywhere"`}, errorLines(t, err)); diff != "" {
		t.Errorf("bad privacy keys (-want +got):\n%s", diff)
	}
	_, err = Parse("e.yaml", []byte("connectors:\n  - name: shop\n    type: shopify\n    erasure: forget\n"), envFrom(nil))
	if diff := cmp.Diff([]string{`e.yaml:4: connectors[0].erasure: must be delete, anonymize or none, got "forget"`}, errorLines(t, err)); diff != "" {
		t.Errorf("bad erasure (-want +got):\n%s", diff)
	}
}
