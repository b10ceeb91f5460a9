package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// source is what Parse remembers about where values came from.
type source struct {
	lines    map[string]int // field path → line
	warnings []string
	scalars  []scalar // every value as written, for Strict
}

// Load reads, expands, decodes and validates a config file, taking
// ${ENV} values from the process environment.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := Parse(path, data, os.LookupEnv)
	if err != nil {
		return nil, err
	}
	c.ResolvePaths(filepath.Dir(path))
	return c, nil
}

// ResolvePaths makes relative mapping paths relative to dir, the config
// file's folder, rather than the working directory: in a container only
// the config's folder is mounted and the process works from /.
func (c *Config) ResolvePaths(dir string) {
	for i := range c.Connectors {
		m := c.Connectors[i].Mapping
		if m != "" && !filepath.IsAbs(m) {
			c.Connectors[i].Mapping = filepath.Join(dir, m)
		}
	}
}

// Parse expands ${ENV} references, decodes data strictly, fills defaults
// and validates. filename only labels errors. lookupEnv nil means
// os.LookupEnv. On failure the error is an Errors holding every problem.
//
// Defaults are filled before decoding, so an explicit zero in the file is
// kept; an expansion that yields an empty value leaves the key's default.
func Parse(filename string, data []byte, lookupEnv func(string) (string, bool)) (*Config, error) {
	if lookupEnv == nil {
		lookupEnv = os.LookupEnv
	}
	p := &parser{
		file:    filename,
		lookup:  lookupEnv,
		lines:   map[string]int{},
		fromEnv: map[*yaml.Node]bool{},
		bad:     map[*yaml.Node]bool{},
	}
	root, err := p.readYAML(data)
	if err != nil {
		return nil, Errors{err}.err()
	}
	c := &Config{File: filename}
	c.ApplyDefaults()
	c.Database.DSN = "" // its default depends on the driver; see normalize
	if root != nil {
		p.expand(root, "", "")
		p.config(root, c)
	}
	c.normalize()
	c.src = &source{lines: p.lines, warnings: p.warnings, scalars: p.scalars}

	errs := p.errs
	badLines := map[int]bool{}
	for _, e := range errs {
		badLines[e.Line] = true
	}
	if verr := c.Validate(); verr != nil {
		for _, e := range verr.(Errors) {
			// A value that failed to decode was left at its default; do
			// not also complain that the default is missing or wrong.
			if !badLines[e.Line] {
				errs = append(errs, e)
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	if len(c.Connectors) == 0 {
		c.src.warnings = append(c.src.warnings, (&Error{File: filename, Field: "connectors", Msg: "no connectors configured; nothing will be synced"}).Error())
	}
	return c, nil
}

// Warnings lists things that work but should be fixed, e.g. secrets
// written inline instead of ${ENV}. Only parsed configs have any.
func (c *Config) Warnings() []string {
	if c.src == nil {
		return nil
	}
	return append([]string(nil), c.src.warnings...)
}

// normalize settles values that depend on others after decoding.
func (c *Config) normalize() {
	if c.Database.Driver == DriverSQLite && c.Database.DSN == "" {
		c.Database.DSN = DefaultSQLiteDSN
	}
	c.Database.defaultIdle()
	c.Server.PublicURL = strings.TrimRight(c.Server.PublicURL, "/")
	if len(c.Hub.DefaultRegion) == 2 {
		c.Hub.DefaultRegion = strings.ToUpper(c.Hub.DefaultRegion)
	}
	for i := range c.Connectors {
		if len(c.Connectors[i].Region) == 2 {
			c.Connectors[i].Region = strings.ToUpper(c.Connectors[i].Region)
		}
	}
}

type parser struct {
	file     string
	lookup   func(string) (string, bool)
	errs     Errors
	warnings []string
	lines    map[string]int
	fromEnv  map[*yaml.Node]bool // scalars that held a ${ENV} reference
	bad      map[*yaml.Node]bool // scalars whose expansion failed
	scalars  []scalar
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// readYAML parses the single document in data; nil for an empty file.
func (p *parser) readYAML(data []byte) (*yaml.Node, *Error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, p.syntaxError(err)
	}
	var next yaml.Node
	if err := dec.Decode(&next); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, p.syntaxError(err)
		}
		return nil, &Error{File: p.file, Line: next.Line, Msg: "more than one YAML document; want one"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

func (p *parser) syntaxError(err error) *Error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: p.file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: p.file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

func (p *parser) errorf(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) warnf(n *yaml.Node, path, format string, args ...any) {
	p.warnings = append(p.warnings, (&Error{File: p.file, Line: n.Line, Field: path, Msg: fmt.Sprintf(format, args...)}).Error())
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// expand replaces ${ENV} references in every scalar value (never in keys)
// and notes credentials written inline. Aliases are skipped: their anchor
// is expanded where it is defined.
func (p *parser) expand(n *yaml.Node, path, key string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.ShortTag() == "!!merge" {
				p.expand(v, path, key)
				continue
			}
			p.expand(v, join(path, k.Value), k.Value)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			p.expand(item, index(path, i), key)
		}
	case yaml.ScalarNode:
		p.expandScalar(n, path, key)
	}
}

func (p *parser) expandScalar(n *yaml.Node, path, key string) {
	refs := false
	var unset []string
	if strings.Contains(n.Value, "$") {
		out, r, err := expandEnv(n.Value, p.lookup)
		if err != nil {
			p.errorf(n, path, "%v", err)
			p.bad[n] = true
			return
		}
		unset = unsetRefs(n.Value, p.lookup)
		n.Value, refs = out, r
	}
	val := n.Value
	if !refs && n.ShortTag() == "!!null" {
		val = ""
	}
	p.scalars = append(p.scalars, scalar{path: path, key: key, line: n.Line, value: val, unset: unset})
	if refs {
		p.fromEnv[n] = true
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			n.Tag = "" // re-resolve: ${PAGE_SIZE:-100} is a number
		}
		return
	}
	if n.Value == "" || n.ShortTag() == "!!null" {
		return
	}
	switch {
	case looksSecret(key):
		p.warnf(n, path, "secret written inline; use ${ENV}")
	case key == "dsn" && dsnPassword.MatchString(n.Value):
		p.warnf(n, path, "password written inline; use ${ENV}")
	}
}

type pair struct{ key, val *yaml.Node }

// pairs returns a mapping's entries with aliases resolved and merge keys
// (<<: *defaults) applied, reporting non-string and duplicate keys.
func (p *parser) pairs(n *yaml.Node, path string) []pair {
	var out, merged []pair
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, path, "mapping keys must be strings")
			continue
		}
		if k.ShortTag() == "!!merge" {
			merged = append(merged, p.mergePairs(v, path)...)
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			p.errorf(k, join(path, k.Value), "duplicate key (first at line %d)", prev.Line)
			continue
		}
		seen[k.Value] = k
		out = append(out, pair{k, v})
	}
	for _, m := range merged {
		if _, ok := seen[m.key.Value]; !ok {
			seen[m.key.Value] = m.key
			out = append(out, m)
		}
	}
	return out
}

func (p *parser) mergePairs(v *yaml.Node, path string) []pair {
	switch v.Kind {
	case yaml.MappingNode:
		return p.pairs(v, path)
	case yaml.SequenceNode:
		var out []pair
		for _, item := range v.Content {
			if item = deref(item); item.Kind != yaml.MappingNode {
				p.errorf(item, path, "<< wants a mapping or a list of mappings")
				continue
			}
			out = append(out, p.pairs(item, path)...)
		}
		return out
	}
	p.errorf(v, path, "<< wants a mapping or a list of mappings")
	return nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a scalar"
	}
	return "nothing"
}

type fieldFunc func(v *yaml.Node, path string)

// fields decodes a mapping by key, rejecting keys it does not know.
func (p *parser) fields(n *yaml.Node, path string, fs map[string]fieldFunc) {
	if p.isUnset(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping, got %s", kindName(n))
		return
	}
	for _, kv := range p.pairs(n, path) {
		fp := join(path, kv.key.Value)
		f, ok := fs[kv.key.Value]
		if !ok {
			if path == "" && strings.HasPrefix(kv.key.Value, "x-") {
				continue // extension block, e.g. for YAML anchors
			}
			p.errorf(kv.key, fp, "unknown key (known: %s)", knownKeys(fs))
			continue
		}
		p.lines[fp] = kv.val.Line
		f(kv.val, fp)
	}
}

func knownKeys(fs map[string]fieldFunc) string {
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, ", ")
}

// isUnset reports whether a value leaves its default: null, a failed
// expansion, or an expansion that came out empty.
func (p *parser) isUnset(n *yaml.Node) bool {
	if p.bad[n] {
		return true
	}
	if n.Kind != yaml.ScalarNode {
		return false
	}
	if p.fromEnv[n] {
		return n.Value == ""
	}
	return n.ShortTag() == "!!null"
}

func (p *parser) scalar(n *yaml.Node, path, want string) bool {
	if p.isUnset(n) {
		return false
	}
	if n.Kind != yaml.ScalarNode {
		p.errorf(n, path, "want %s, got %s", want, kindName(n))
		return false
	}
	return true
}

func (p *parser) str(dst *string) fieldFunc {
	return func(n *yaml.Node, path string) {
		if p.scalar(n, path, "a string") {
			*dst = n.Value
		}
	}
}

func (p *parser) boolean(dst *bool) fieldFunc {
	return func(n *yaml.Node, path string) {
		if !p.scalar(n, path, "true or false") {
			return
		}
		v, err := strconv.ParseBool(strings.TrimSpace(n.Value))
		if err != nil {
			p.errorf(n, path, "want true or false, got %q", n.Value)
			return
		}
		*dst = v
	}
}

func (p *parser) integer(dst *int) fieldFunc {
	return func(n *yaml.Node, path string) {
		if v, ok := p.parseInt(n, path, strconv.IntSize); ok {
			*dst = int(v)
		}
	}
}

func (p *parser) int64(dst *int64) fieldFunc {
	return func(n *yaml.Node, path string) {
		if v, ok := p.parseInt(n, path, 64); ok {
			*dst = v
		}
	}
}

func (p *parser) parseInt(n *yaml.Node, path string, bits int) (int64, bool) {
	if !p.scalar(n, path, "an integer") {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.TrimSpace(n.Value), 10, bits)
	if err != nil {
		p.errorf(n, path, "want an integer, got %q", n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) float(dst *float64) fieldFunc {
	return func(n *yaml.Node, path string) {
		if !p.scalar(n, path, "a number") {
			return
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
		if err != nil {
			p.errorf(n, path, "want a number, got %q", n.Value)
			return
		}
		*dst = v
	}
}

func (p *parser) duration(dst *Duration) fieldFunc {
	return func(n *yaml.Node, path string) {
		if !p.scalar(n, path, "a duration") {
			return
		}
		v, err := ParseDuration(n.Value)
		if err != nil {
			p.errorf(n, path, "%v", err)
			return
		}
		*dst = v
	}
}

func (p *parser) strList(dst *[]string) fieldFunc {
	return func(n *yaml.Node, path string) {
		if p.isUnset(n) {
			return
		}
		if n.Kind != yaml.SequenceNode {
			p.errorf(n, path, "want a list of strings, e.g. [a, b], got %s", kindName(n))
			return
		}
		out := []string{}
		for i, item := range n.Content {
			item = deref(item)
			ip := index(path, i)
			p.lines[ip] = item.Line
			if item.Kind != yaml.ScalarNode {
				p.errorf(item, ip, "want a string, got %s", kindName(item))
				continue
			}
			if p.bad[item] {
				continue
			}
			out = append(out, item.Value)
		}
		*dst = out
	}
}

func (p *parser) config(n *yaml.Node, c *Config) {
	p.fields(n, "", map[string]fieldFunc{
		"server":     func(v *yaml.Node, path string) { p.server(v, path, &c.Server) },
		"database":   func(v *yaml.Node, path string) { p.database(v, path, &c.Database) },
		"redis":      func(v *yaml.Node, path string) { p.redis(v, path, &c.Redis) },
		"worker":     func(v *yaml.Node, path string) { p.worker(v, path, &c.Worker) },
		"hub":        func(v *yaml.Node, path string) { p.hub(v, path, &c.Hub) },
		"insights":   func(v *yaml.Node, path string) { p.insights(v, path, &c.Insights) },
		"events":     func(v *yaml.Node, path string) { p.events(v, path, &c.Events) },
		"connectors": func(v *yaml.Node, path string) { p.connectors(v, path, &c.Connectors) },
	})
}

func (p *parser) server(n *yaml.Node, path string, s *Server) {
	p.fields(n, path, map[string]fieldFunc{
		"listen":            p.str(&s.Listen),
		"admin_token":       p.str(&s.AdminToken),
		"max_body_bytes":    p.int64(&s.MaxBodyBytes),
		"public_url":        p.str(&s.PublicURL),
		"admin_listen":      p.str(&s.AdminListen),
		"trusted_proxies":   p.strList(&s.TrustedProxies),
		"dashboard_actions": p.boolean(&s.DashboardActions),
	})
}

func (p *parser) database(n *yaml.Node, path string, d *Database) {
	p.fields(n, path, map[string]fieldFunc{
		"driver":         p.str(&d.Driver),
		"dsn":            p.str(&d.DSN),
		"max_open_conns": p.integer(&d.MaxOpenConns),
		"max_idle_conns": p.integer(&d.MaxIdleConns),
	})
}

func (p *parser) redis(n *yaml.Node, path string, r *Redis) {
	p.fields(n, path, map[string]fieldFunc{
		"addr":     p.str(&r.Addr),
		"password": p.str(&r.Password),
		"db":       p.integer(&r.DB),
	})
}

func (p *parser) worker(n *yaml.Node, path string, w *Worker) {
	p.fields(n, path, map[string]fieldFunc{
		"concurrency":         p.integer(&w.Concurrency),
		"task_check_interval": p.duration(&w.TaskCheckInterval),
		"max_retry":           p.integer(&w.MaxRetry),
		"shutdown_timeout":    p.duration(&w.ShutdownTimeout),
		"dedupe_ttl":          p.duration(&w.DedupeTTL),
		"outbox_interval":     p.duration(&w.OutboxInterval),
		"listen":              p.str(&w.Listen),
	})
}

func (p *parser) events(n *yaml.Node, path string, e *Events) {
	p.fields(n, path, map[string]fieldFunc{
		"scan_interval":         p.duration(&e.ScanInterval),
		"cart_abandoned_after":  p.duration(&e.CartAbandonedAfter),
		"cart_max_age":          p.duration(&e.CartMaxAge),
		"birthday_days_before":  p.integer(&e.BirthdayDaysBefore),
		"repurchase_fraction":   p.float(&e.RepurchaseFraction),
		"complaint_within_days": p.integer(&e.ComplaintWithinDays),
		"complaint_min_total":   p.str(&e.ComplaintMinTotal),
		"disable":               p.strList(&e.Disable),
	})
}

func (p *parser) hub(n *yaml.Node, path string, h *Hub) {
	p.fields(n, path, map[string]fieldFunc{
		"default_region":         p.str(&h.DefaultRegion),
		"match_keys":             p.strList(&h.MatchKeys),
		"quarantine_retention":   p.duration(&h.QuarantineRetention),
		"tombstone_secret":       p.str(&h.TombstoneSecret),
		"erasure_email_fallback": p.boolean(&h.ErasureEmailFallback),
		"vendor_erasure_scope":   p.str(&h.VendorErasureScope),
		"priority": func(v *yaml.Node, path string) {
			byField(p, v, path, "instance names, most trusted first", &h.Priority, p.strList)
		},
		"owners": func(v *yaml.Node, path string) {
			byField(p, v, path, "an instance name", &h.Owners, p.str)
		},
	})
}

func (p *parser) insights(n *yaml.Node, path string, in *Insights) {
	p.fields(n, path, map[string]fieldFunc{
		"score_every":       p.duration(&in.ScoreEvery),
		"score_at":          p.duration(&in.ScoreAt),
		"large_order_total": p.str(&in.LargeOrderTotal),
		"complaint_days":    p.integer(&in.ComplaintDays),
		"profitability":     p.str(&in.Profitability),
		"segments": func(v *yaml.Node, path string) {
			if p.isUnset(v) {
				return
			}
			if v.Kind != yaml.SequenceNode {
				p.errorf(v, path, "want a list of segments, got %s", kindName(v))
				return
			}
			for i, item := range v.Content {
				ip := index(path, i)
				p.lines[ip] = item.Line
				var sg Segment
				p.fields(deref(item), ip, map[string]fieldFunc{
					"name": p.str(&sg.Name), "r": p.str(&sg.R), "f": p.str(&sg.F), "m": p.str(&sg.M),
				})
				in.Segments = append(in.Segments, sg)
			}
		},
	})
}

// byField decodes a mapping from canonical field to one value each.
func byField[T any](p *parser, n *yaml.Node, path, want string, dst *map[string]T, decode func(*T) fieldFunc) {
	if p.isUnset(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping of field to %s, got %s", want, kindName(n))
		return
	}
	*dst = map[string]T{}
	for _, kv := range p.pairs(n, path) {
		fp := join(path, kv.key.Value)
		p.lines[fp] = kv.val.Line
		var v T
		decode(&v)(kv.val, fp)
		(*dst)[kv.key.Value] = v
	}
}

func (p *parser) connectors(n *yaml.Node, path string, dst *[]Connector) {
	if p.isUnset(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, path, "want a list of connectors, got %s", kindName(n))
		return
	}
	for i, item := range n.Content {
		ip := index(path, i)
		p.lines[ip] = item.Line
		c := Connector{Line: item.Line}
		c.applyDefaults()
		p.connector(deref(item), ip, &c)
		*dst = append(*dst, c)
	}
}

func (p *parser) connector(n *yaml.Node, path string, c *Connector) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, path, "want a mapping with at least name and type, got %s", kindName(n))
		return
	}
	p.fields(n, path, map[string]fieldFunc{
		"name":                     p.str(&c.Name),
		"type":                     p.str(&c.Type),
		"direction":                p.str(&c.Direction),
		"resources":                p.strList(&c.Resources),
		"poll_interval":            p.duration(&c.PollInterval),
		"poll_lookback":            p.duration(&c.PollLookback),
		"reconcile":                p.duration(&c.Reconcile),
		"mapping":                  p.str(&c.Mapping),
		"webhook_secret":           p.str(&c.WebhookSecret),
		"previous_webhook_secrets": p.strList(&c.PreviousWebhookSecrets),
		"rate_limit":               p.float(&c.RateLimit),
		"rate_burst":               p.integer(&c.RateBurst),
		"timeout":                  p.duration(&c.Timeout),
		"max_in_flight":            p.integer(&c.MaxInFlight),
		"on_delete":                p.str(&c.OnDelete),
		"trust":                    p.str(&c.Trust),
		"erasure":                  p.str(&c.Erasure),
		"region":                   p.str(&c.Region),
		"cart_abandoned_after":     p.duration(&c.CartAbandonedAfter),
		"settings": func(v *yaml.Node, path string) {
			if p.isUnset(v) {
				return
			}
			if v.Kind != yaml.MappingNode {
				p.errorf(v, path, "want a mapping, got %s", kindName(v))
				return
			}
			c.Settings, _ = p.anyValue(v, path).(map[string]any)
		},
	})
}

// anyValue decodes free-form settings. A plain (unquoted) value from
// ${ENV} becomes a number or boolean only when it reads back identically,
// so a token of "0x1F" or "1e5" is never mangled into 31 or 100000.
func (p *parser) anyValue(n *yaml.Node, path string) any {
	n = deref(n)
	p.lines[path] = n.Line
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, kv := range p.pairs(n, path) {
			m[kv.key.Value] = p.anyValue(kv.val, join(path, kv.key.Value))
		}
		return m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for i, item := range n.Content {
			l = append(l, p.anyValue(item, index(path, i)))
		}
		return l
	case yaml.ScalarNode:
		if p.bad[n] {
			return nil
		}
		if p.fromEnv[n] {
			if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
				return n.Value // quoted: a string, as it would be if written literally
			}
			return envScalar(n.Value)
		}
		var v any
		if err := n.Decode(&v); err != nil {
			p.errorf(n, path, "%v", err)
			return nil
		}
		return v
	}
	return nil
}

func envScalar(s string) any {
	var v any
	if err := (&yaml.Node{Kind: yaml.ScalarNode, Value: s}).Decode(&v); err != nil {
		return s
	}
	switch v.(type) {
	case int, int64, float64, bool:
		b, err := yaml.Marshal(v)
		if err == nil && strings.TrimSuffix(string(b), "\n") == s {
			return v
		}
	}
	return s
}
