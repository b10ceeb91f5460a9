package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// namePattern is what instance and resource names must match: they appear
// in URLs (/webhooks/<name>), task ids and database rows.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

const maxNameLen = 64

var regionPattern = regexp.MustCompile(`^[A-Z]{2}$`)

// Validate checks everything that can be checked without the connector
// registry, returning every problem as Errors (nil when there is none).
// Errors carry file:line for parsed configs and only the field otherwise.
func (c *Config) Validate() error {
	v := &validator{c: c}
	v.server()
	v.database()
	v.redis()
	v.worker()
	v.connectors()
	v.hub()
	return v.errs.err()
}

type validator struct {
	c    *Config
	errs Errors
}

func (v *validator) errorf(field, format string, args ...any) {
	v.errs = append(v.errs, v.c.ErrorAt(field, fmt.Sprintf(format, args...)))
}

func (v *validator) hostPort(field, addr, example string) {
	if addr == "" {
		v.errorf(field, "required, e.g. %s", example)
		return
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		v.errorf(field, "want host:port, e.g. %s, got %q", example, addr)
	}
}

func (v *validator) positive(field string, n int64) {
	if n <= 0 {
		v.errorf(field, "must be greater than 0")
	}
}

func (v *validator) notNegative(field string, n int64) {
	if n < 0 {
		v.errorf(field, "must not be negative")
	}
}

func (v *validator) server() {
	s := v.c.Server
	v.hostPort("server.listen", s.Listen, DefaultListen)
	v.positive("server.max_body_bytes", s.MaxBodyBytes)
	if s.AdminListen != "" {
		v.hostPort("server.admin_listen", s.AdminListen, "127.0.0.1:9090")
		if s.AdminListen == s.Listen {
			v.errorf("server.admin_listen", "must differ from server.listen (%s), or be left out to serve everything there", s.Listen)
		}
	}
	for i, p := range s.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				v.errorf(fmt.Sprintf("server.trusted_proxies[%d]", i), "want an IP address or CIDR, e.g. 10.0.0.0/8, got %q", p)
			}
		}
	}
	if s.PublicURL != "" {
		u, err := url.Parse(s.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			v.errorf("server.public_url", "want an absolute http(s) URL, got %q", s.PublicURL)
		}
	}
}

func (v *validator) database() {
	d := v.c.Database
	switch d.Driver {
	case DriverMySQL:
		if d.DSN == "" {
			v.errorf("database.dsn", "required when driver is mysql, e.g. user:pass@tcp(127.0.0.1:3306)/shophub?parseTime=true")
		}
	case DriverSQLite:
	default:
		v.errorf("database.driver", "must be %s or %s, got %q", DriverMySQL, DriverSQLite, d.Driver)
	}
	v.positive("database.max_open_conns", int64(d.MaxOpenConns))
	v.notNegative("database.max_idle_conns", int64(d.MaxIdleConns))
	if d.MaxIdleConns > d.MaxOpenConns && d.MaxOpenConns > 0 {
		v.errorf("database.max_idle_conns", "must not exceed max_open_conns (%d)", d.MaxOpenConns)
	}
}

func (v *validator) redis() {
	r := v.c.Redis
	v.hostPort("redis.addr", r.Addr, DefaultRedisAddr)
	v.notNegative("redis.db", int64(r.DB))
}

func (v *validator) worker() {
	w := v.c.Worker
	v.positive("worker.concurrency", int64(w.Concurrency))
	v.positive("worker.task_check_interval", int64(w.TaskCheckInterval))
	v.notNegative("worker.max_retry", int64(w.MaxRetry))
	v.positive("worker.shutdown_timeout", int64(w.ShutdownTimeout))
	v.positive("worker.dedupe_ttl", int64(w.DedupeTTL))
	v.positive("worker.outbox_interval", int64(w.OutboxInterval))
	if w.Listen != "" {
		v.hostPort("worker.listen", w.Listen, "127.0.0.1:9091")
	}
}

func (v *validator) name(field, what, name string) bool {
	switch {
	case name == "":
		v.errorf(field, "required")
	case len(name) > maxNameLen:
		v.errorf(field, "%s %q is longer than %d characters", what, name, maxNameLen)
	case !namePattern.MatchString(name):
		v.errorf(field, "%s %q must match %s (lower-case letters, digits, _ and -; it appears in URLs)", what, name, namePattern)
	default:
		return true
	}
	return false
}

func (v *validator) connectors() {
	first := map[string]int{} // name → index
	for i, c := range v.c.Connectors {
		p := fmt.Sprintf("connectors[%d]", i)
		if v.name(p+".name", "name", c.Name) {
			if j, dup := first[c.Name]; dup {
				v.errorf(p+".name", "duplicate connector name %q (first used by connectors[%d]%s)", c.Name, j, v.at(fmt.Sprintf("connectors[%d]", j)))
			} else {
				first[c.Name] = i
			}
		}
		if c.Type == "" {
			v.errorf(p+".type", "required, e.g. shopify")
		}
		switch c.Direction {
		case DirectionIn, DirectionOut, DirectionBoth, "":
		default:
			v.errorf(p+".direction", "must be %s, %s or %s, got %q", DirectionIn, DirectionOut, DirectionBoth, c.Direction)
		}
		if len(c.Resources) == 0 {
			v.errorf(p+".resources", "at least one resource, e.g. [%s]", DefaultResource)
		}
		v.identity(p, c) // identity.go
		switch c.Erasure {
		case "", ErasureDelete, ErasureAnonymize, ErasureNone:
		default:
			v.errorf(p+".erasure", "must be %s, %s or %s, got %q", ErasureDelete, ErasureAnonymize, ErasureNone, c.Erasure)
		}
		if c.Region != "" && !regionPattern.MatchString(c.Region) {
			v.errorf(p+".region", "want an ISO 3166-1 alpha-2 code such as CH, got %q", c.Region)
		}
		seen := map[string]bool{}
		for j, r := range c.Resources {
			rp := fmt.Sprintf("%s.resources[%d]", p, j)
			if v.name(rp, "resource", r) {
				if seen[r] {
					v.errorf(rp, "duplicate resource %q", r)
				}
				seen[r] = true
			}
		}
		v.notNegative(p+".poll_interval", int64(c.PollInterval))
		v.notNegative(p+".poll_lookback", int64(c.PollLookback))
		v.notNegative(p+".reconcile", int64(c.Reconcile))
		if c.RateLimit < 0 && c.RateLimit != NoPacing {
			v.errorf(p+".rate_limit", "must be -1 (no pacing) or not negative")
		}
		v.notNegative(p+".rate_burst", int64(c.RateBurst))
		v.positive(p+".timeout", int64(c.Timeout))
		v.notNegative(p+".max_in_flight", int64(c.MaxInFlight))
	}
}

// at says where a field was read, for messages pointing at a second place.
func (v *validator) at(field string) string {
	if l := v.c.lineOf(field); l > 0 {
		return fmt.Sprintf(" at line %d", l)
	}
	return ""
}

func (v *validator) hub() {
	v.positive("hub.quarantine_retention", int64(v.c.Hub.QuarantineRetention))
	h := v.c.Hub
	if !regionPattern.MatchString(h.DefaultRegion) {
		v.errorf("hub.default_region", "want an ISO 3166-1 alpha-2 code such as DE, got %q", h.DefaultRegion)
	}
	switch h.VendorErasureScope {
	case "", ScopeOrigin, ScopeAll:
	default:
		v.errorf("hub.vendor_erasure_scope", "must be %s or %s, got %q", ScopeOrigin, ScopeAll, h.VendorErasureScope)
	}
	if len(h.MatchKeys) == 0 {
		v.errorf("hub.match_keys", "at least one key, e.g. [email]")
	}
	seen := map[string]bool{}
	for i, k := range h.MatchKeys {
		p := fmt.Sprintf("hub.match_keys[%d]", i)
		switch {
		case k == "":
			v.errorf(p, "empty match key")
		case seen[k]:
			v.errorf(p, "duplicate match key %q", k)
		case !knownMatchKey(k): // identity.go
			v.errorf(p, "unknown match key %q (want %s, %s, %s or %s)", k, MatchKeyEmail, MatchKeyEmailName, MatchKeyPhone, MatchKeyCustomerNumber)
		case k == MatchKeyEmailName && seen[MatchKeyEmail]:
			v.errorf(p, "email_name after email never decides (email matches first): put it in place of email or before it")
		}
		seen[k] = true
	}
	if len(h.MatchKeys) > 0 && !seen[MatchKeyEmail] && !seen[MatchKeyEmailName] {
		v.errorf("hub.match_keys", "must include email (or email_name): the hub keeps one customer per email")
	}

	known := map[string]bool{}
	var names []string
	for _, c := range v.c.Connectors {
		if c.Name != "" && !known[c.Name] {
			known[c.Name] = true
			names = append(names, c.Name)
		}
	}
	unknown := func(field, inst string) {
		if len(names) == 0 {
			v.errorf(field, "unknown instance %q (no connectors configured)", inst)
			return
		}
		v.errorf(field, "unknown instance %q (configured: %s)", inst, strings.Join(names, ", "))
	}

	for _, field := range sortedKeys(h.Priority) {
		p := "hub.priority." + field
		if field == "" {
			v.errorf(p, "empty field name")
		}
		listed := map[string]bool{}
		for i, inst := range h.Priority[field] {
			ip := fmt.Sprintf("%s[%d]", p, i)
			switch {
			case !known[inst]:
				unknown(ip, inst)
			case listed[inst]:
				v.errorf(ip, "instance %q listed twice", inst)
			}
			listed[inst] = true
		}
	}
	for _, field := range sortedKeys(h.Owners) {
		p := "hub.owners." + field
		switch inst := h.Owners[field]; {
		case field == "":
			v.errorf(p, "empty field name")
		case inst == "":
			v.errorf(p, "owner required: the one instance allowed to change %s", field)
		case !known[inst]:
			unknown(p, inst)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
