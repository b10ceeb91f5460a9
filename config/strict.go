package config

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

// scalar is one value as written in the file, after ${ENV} expansion,
// kept for the strict check.
type scalar struct {
	path, key string
	line      int
	value     string
	unset     []string // ${NAME:-default} references whose NAME was unset or empty
}

// placeholderWord matches the "set me" defaults of config/example.yaml:
// shpat_set_SHOPIFY_ACCESS_TOKEN, SWIA_set_SHOPWARE_CLIENT_ID,
// set_SHOPWARE_CLIENT_SECRET.
var placeholderWord = regexp.MustCompile(`(^|_)set_[A-Z][A-Z0-9_]*$|(?i)^(change-?me|todo|xxx+|your[-_].*)$`)

// placeholderHost reports whether a URL names a host reserved for
// documentation (RFC 2606: example.com/.net/.org, *.example), which is
// what the example config's defaults point at.
func placeholderHost(v string) bool {
	if !strings.Contains(v, "://") {
		return false
	}
	u, err := url.Parse(v)
	if err != nil {
		return false
	}
	h := strings.ToLower(u.Hostname())
	for _, d := range []string{"example.com", "example.net", "example.org", "example.myshopify.com"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			return true
		}
	}
	return strings.HasSuffix(h, ".example") || h == "example"
}

// Strict lists what a production install must not run with: placeholder
// values (the example's "set me" tokens, example.com hosts) and empty
// secrets (the admin token, the tombstone key, a connector credential, the
// webhook secret of an instance that is not polled). Each names file:line
// and, where a value came from an unset ${NAME:-default}, the variable to
// set. `shophub check --strict` fails on them; compose runs it before
// migrating. nil when there is nothing to fix.
func (c *Config) Strict() error {
	var errs Errors
	seen := map[string]bool{}
	add := func(line int, path, msg string) {
		if seen[path] {
			return
		}
		seen[path] = true
		errs = append(errs, &Error{File: c.File, Line: line, Field: path, Msg: msg})
	}
	hint := func(s scalar) string {
		if len(s.unset) == 0 {
			return ""
		}
		return fmt.Sprintf(" (%s is not set)", strings.Join(s.unset, ", "))
	}
	var scalars []scalar
	if c.src != nil {
		scalars = c.src.scalars
	}
	for _, s := range scalars {
		switch {
		case s.value != "" && (placeholderWord.MatchString(s.value) || placeholderHost(s.value)):
			add(s.line, s.path, fmt.Sprintf("placeholder value %q%s", s.value, hint(s)))
		case s.value == "" && looksSecret(s.key) && c.secretRequired(s.path):
			add(s.line, s.path, "empty secret"+hint(s))
		}
	}
	if c.Server.AdminToken == "" {
		add(c.lineOf("server.admin_token"), "server.admin_token", "empty: the admin API and dashboard refuse every request; set SHOPHUB_ADMIN_TOKEN")
	}
	if c.Hub.TombstoneSecret == "" {
		add(c.lineOf("hub.tombstone_secret"), "hub.tombstone_secret", "empty: erasure tombstones would be keyed with the public development secret; set SHOPHUB_TOMBSTONE_SECRET")
	}
	return errs.err()
}

// secretRequired reports whether an empty secret at path is a mistake. A
// Redis without AUTH on a private network is fine, a polled instance needs
// no webhook secret, and rotation lists may be empty.
func (c *Config) secretRequired(path string) bool {
	switch {
	case path == "redis.password":
		return false
	case strings.Contains(path, "previous_webhook_secrets"):
		return false
	case strings.HasSuffix(path, ".webhook_secret"):
		for i, conn := range c.Connectors {
			if path == index("connectors", i)+".webhook_secret" {
				return conn.PollInterval == 0
			}
		}
	}
	return true
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*):-[^}]*\}`)

// unsetRefs lists the ${NAME:-default} references of raw whose NAME is
// unset or empty, so the default was used.
func unsetRefs(raw string, lookup func(string) (string, bool)) []string {
	var out []string
	for _, m := range envRef.FindAllStringSubmatch(raw, -1) {
		if v, ok := lookup(m[1]); !ok || v == "" {
			out = append(out, m[1])
		}
	}
	return out
}

// envRefAny matches every ${NAME} or ${NAME:-default} reference.
var envRefAny = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}`)
