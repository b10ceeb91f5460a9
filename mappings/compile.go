package mappings

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the work a hostile file with nested aliases can cause.
const maxNodes = 100000

type compiler struct {
	file     string
	opts     Options
	inbound  bool // compiling an inbound direction
	usesPrev bool // a rule of the direction reads the hub's current doc
	budget   int
	tables   map[string]map[string]any // the file's `tables` section
}

// Compile parses a mapping file and compiles every rule, expression and
// transform once. Errors are *Error naming file:line and the field.
func Compile(filename string, src []byte, opts Options) (m *Mapping, err error) {
	c := &compiler{file: filename, opts: opts, budget: maxNodes}
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, &Error{File: filename, Err: fmt.Errorf("cannot compile: %v", r)}
		}
	}()
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return nil, c.yamlError(err)
	}
	if len(root.Content) == 0 {
		return nil, &Error{File: filename, Err: errors.New("empty mapping file")}
	}
	settings := opts.Settings
	if settings == nil {
		settings = map[string]any{}
	}
	m = &Mapping{file: filename, resources: map[string]*resource{}, settings: settings}
	top, err := c.pairs(root.Content[0], "")
	if err != nil {
		return nil, err
	}
	// Tables first: resources refer to them wherever the file puts them.
	for _, kv := range top {
		if kv.key == "tables" {
			if err := c.compileTables(kv.val); err != nil {
				return nil, err
			}
		}
	}
	var haveVersion bool
	for _, kv := range top {
		switch kv.key {
		case "tables":
		case "version":
			v := c.resolve(kv.val)
			if v.Kind != yaml.ScalarNode || v.Value != "1" {
				return nil, c.errAt(v, "", "unsupported version %q (want 1)", v.Value)
			}
			haveVersion = true
		case "resources":
			res, err := c.pairs(kv.val, "")
			if err != nil {
				return nil, err
			}
			for _, r := range res {
				cr, err := c.resource(r.key, r.val)
				if err != nil {
					return nil, err
				}
				m.resources[r.key] = cr
			}
		default:
			return nil, c.errAt(kv.keyNode, "", "unknown top-level key %q (want version, tables, resources)", kv.key)
		}
	}
	if !haveVersion {
		return nil, c.errAt(root.Content[0], "", "missing version: 1")
	}
	m.names = sortedKeys(m.resources)
	for _, r := range m.resources {
		if r.outbound != nil {
			r.outbound.readsHub = m.readsHubOf(r.outbound)
		}
	}
	return m, nil
}

// compileTables reads `tables: {name: {from: to}}`.
func (c *compiler) compileTables(n *yaml.Node) error {
	kvs, err := c.pairs(n, "tables")
	if err != nil {
		return err
	}
	c.tables = make(map[string]map[string]any, len(kvs))
	for _, kv := range kvs {
		v := c.resolve(kv.val)
		if v.Kind != yaml.MappingNode {
			return c.errAt(v, "tables."+kv.key, "want a table {from: to}, got %s", nodeKind(v))
		}
		t, err := c.value(v)
		if err != nil {
			return err
		}
		c.tables[kv.key] = t.(map[string]any)
	}
	return nil
}

var yamlLineRe = regexp.MustCompile(`line (\d+)`)

func (c *compiler) yamlError(err error) error {
	e := &Error{File: c.file, Err: err}
	if sm := yamlLineRe.FindStringSubmatch(err.Error()); sm != nil {
		e.Line, _ = strconv.Atoi(sm[1])
	}
	return e
}

func (c *compiler) errAt(n *yaml.Node, field, format string, args ...any) error {
	return &Error{File: c.file, Line: n.Line, Field: field, Err: fmt.Errorf(format, args...)}
}

type keyVal struct {
	key     string
	keyNode *yaml.Node
	val     *yaml.Node
}

// resolve follows aliases and charges the node budget.
func (c *compiler) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	c.budget--
	if c.budget < 0 {
		panic("mapping file too large (alias expansion)")
	}
	return n
}

// pairs returns the entries of a mapping node, rejecting duplicates.
func (c *compiler) pairs(n *yaml.Node, field string) ([]keyVal, error) {
	n = c.resolve(n)
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = c.resolve(n.Content[0])
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil, nil
	}
	if n.Kind != yaml.MappingNode {
		return nil, c.errAt(n, field, "want a mapping, got %s", nodeKind(n))
	}
	out := make([]keyVal, 0, len(n.Content)/2)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := c.resolve(n.Content[i])
		if k.Kind != yaml.ScalarNode {
			return nil, c.errAt(k, field, "mapping keys must be scalars")
		}
		if k.Tag == "!!merge" {
			return nil, c.errAt(k, field, "merge keys (<<) are not supported")
		}
		if seen[k.Value] {
			return nil, c.errAt(k, field, "duplicate key %q", k.Value)
		}
		seen[k.Value] = true
		out = append(out, keyVal{key: k.Value, keyNode: k, val: n.Content[i+1]})
	}
	return out, nil
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

func (c *compiler) resource(name string, n *yaml.Node) (*resource, error) {
	kvs, err := c.pairs(n, "")
	if err != nil {
		return nil, err
	}
	r := &resource{name: name}
	var ownsNodes []*yaml.Node
	var decl coverageDecl
	for _, kv := range kvs {
		switch kv.key {
		case "owns":
			if r.owns, ownsNodes, err = c.names(kv.val, "owns"); err != nil {
				return nil, err
			}
		case "never_writes":
			if r.never, _, err = c.names(kv.val, "never_writes"); err != nil {
				return nil, err
			}
		case "coverage":
			if decl, err = c.coverageDecl(kv.val); err != nil {
				return nil, err
			}
		case "inbound":
			if r.inbound, err = c.direction(name, true, kv.val); err != nil {
				return nil, err
			}
			names := make([]string, len(r.inbound.fields))
			for i, f := range r.inbound.fields {
				names[i] = f.name
			}
			sort.Strings(names)
			r.fields = names
		case "outbound":
			if r.outbound, err = c.direction(name, false, kv.val); err != nil {
				return nil, err
			}
		default:
			return nil, c.errAt(kv.keyNode, "", "resource %s: unknown key %q (want inbound, outbound, owns, never_writes, coverage)", name, kv.key)
		}
	}
	if err := c.checkOwns(name, r, ownsNodes); err != nil {
		return nil, err
	}
	sort.Strings(r.never)
	applyNeverWrites(name, r.outbound, r.never)
	if r.coverage, err = c.coverage(name, r, decl); err != nil {
		return nil, err
	}
	return r, nil
}

func (c *compiler) direction(res string, inbound bool, n *yaml.Node) (*direction, error) {
	kvs, err := c.pairs(n, "")
	if err != nil {
		return nil, err
	}
	d := &direction{}
	c.inbound, c.usesPrev = inbound, false
	for _, kv := range kvs {
		switch kv.key {
		case "skip_when":
			v := c.resolve(kv.val)
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, c.errAt(v, "skip_when", "want an expression")
			}
			if d.skipWhen, err = compileExpr(v.Value, v.Line, false); err != nil {
				return nil, &Error{File: c.file, Line: v.Line, Field: "skip_when", Err: err}
			}
		case "fields":
			fields, err := c.pairs(kv.val, "")
			if err != nil {
				return nil, err
			}
			for _, f := range fields {
				r, err := c.topRule(res, inbound, f)
				if err != nil {
					return nil, err
				}
				d.fields = append(d.fields, r)
			}
		default:
			return nil, c.errAt(kv.keyNode, "", "unknown key %q (want skip_when, fields)", kv.key)
		}
	}
	if inbound && res == "customer" {
		regionFirst(d.fields)
	}
	d.usesPrev = c.usesPrev
	d.owned = make([]bool, len(d.fields))
	for i, f := range d.fields {
		// Only a plain object rule guarantees a fresh map; default, const
		// or a transform could hand back a value shared between records.
		d.owned[i] = f.object != nil && !f.hasDefault && len(f.steps) == 0
	}
	if !inbound {
		if err := c.checkTargets(d.fields); err != nil {
			return nil, err
		}
	}
	if inbound && res == "customer" {
		d.canon = make([]Field, len(d.fields))
		for i, f := range d.fields {
			d.canon[i], _ = CustomerField(f.name) // topRule checked the name
			f.address = d.owned[i] && d.canon[i].Kind == KindAddress
		}
	}
	return d, nil
}

func (c *compiler) topRule(res string, inbound bool, kv keyVal) (*rule, error) {
	name := kv.key
	var kind Kind
	if inbound && res == "customer" {
		f, ok := CustomerField(name)
		if !ok {
			return nil, c.errAt(kv.keyNode, name, "not a canonical customer field (want one of %s)", strings.Join(customerFieldNames(), ", "))
		}
		kind = f.Kind
	}
	if inbound && res == "ticket" {
		if _, ok := TicketField(name); !ok {
			return nil, c.errAt(kv.keyNode, name, "not a canonical ticket field (want one of %s)", strings.Join(ticketFieldNames(), ", "))
		}
	}
	if inbound && res == "order" {
		if _, ok := OrderField(name); !ok {
			return nil, c.errAt(kv.keyNode, name, "not a canonical order field (want one of %s)", strings.Join(orderFieldNames(), ", "))
		}
	}
	if inbound && res == "cart" {
		if _, ok := CartField(name); !ok {
			return nil, c.errAt(kv.keyNode, name, "not a canonical cart field (want one of %s)", strings.Join(cartFieldNames(), ", "))
		}
	}
	r, err := c.rule(kv.val, name, false)
	if err != nil {
		return nil, err
	}
	r.name = name
	r.line = kv.keyNode.Line
	if !inbound {
		parts := strings.Split(name, ".")
		for _, p := range parts {
			if p == "" {
				return nil, c.errAt(kv.keyNode, name, "target path has an empty segment")
			}
		}
		r.target = parts
	}
	if err := c.checkKind(kind, r, kv.keyNode); err != nil {
		return nil, err
	}
	return r, nil
}

// checkKind rejects object keys that NormalizeCustomer would reject for
// every record anyway.
func (c *compiler) checkKind(kind Kind, r *rule, n *yaml.Node) error {
	var allowed []string
	switch kind {
	case KindAddress:
		allowed = AddressKeys
	case KindConsent:
		allowed = []string{"subscribed", "updated_at"}
	default:
		return nil
	}
	for _, o := range r.object {
		if !contains(allowed, o.name) {
			return &Error{File: c.file, Line: o.line, Field: o.field, Err: fmt.Errorf("not a %s key (want one of %s)", kind, strings.Join(allowed, ", "))}
		}
	}
	return nil
}

func (c *compiler) checkTargets(rules []*rule) error {
	byName := make(map[string]*rule, len(rules))
	for _, r := range rules {
		byName[r.name] = r
	}
	for _, r := range rules {
		for i := 1; i < len(r.target); i++ {
			prefix := strings.Join(r.target[:i], ".")
			if o, ok := byName[prefix]; ok {
				return &Error{File: c.file, Line: r.line, Field: r.name, Err: fmt.Errorf("target path conflicts with %s (line %d), which sets a value there", o.name, o.line)}
			}
		}
	}
	return nil
}

var ruleKeys = "from, const, expr, default, required, when, transform, object, each, pick, list"

// rule compiles one rule. selfOK is set for the direct rule of `each`,
// which may take the item itself as its value.
func (c *compiler) rule(n *yaml.Node, field string, selfOK bool) (*rule, error) {
	n = c.resolve(n)
	r := &rule{line: n.Line, field: field}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Value != "" {
		// shorthand: `email: contact.email` means `email: {from: contact.email}`
		p, err := parsePath(n.Value)
		if err != nil {
			return nil, c.errAt(n, field, "%v", err)
		}
		r.from = []srcPath{p}
		r.plain = true
		return r, nil
	}
	kvs, err := c.pairs(n, field)
	if err != nil {
		return nil, err
	}
	has := map[string]bool{}
	for _, kv := range kvs {
		v := c.resolve(kv.val)
		has[kv.key] = true
		switch kv.key {
		case "from":
			if r.from, err = c.paths(v, field); err != nil {
				return nil, err
			}
		case "const":
			r.hasConst = true
			if r.constVal, err = c.value(v); err != nil {
				return nil, err
			}
		case "default":
			r.hasDefault = true
			if r.def, err = c.value(v); err != nil {
				return nil, err
			}
		case "required":
			if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
				return nil, c.errAt(v, field, "required: want true or false")
			}
			r.required = v.Value == "true"
		case "expr", "when":
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || v.Value == "" {
				return nil, c.errAt(v, field, "%s: want an expression string", kv.key)
			}
			p, err := compileExpr(v.Value, v.Line, false)
			if err != nil {
				return nil, &Error{File: c.file, Line: v.Line, Field: field, Err: err}
			}
			if kv.key == "expr" {
				r.expr = p
			} else {
				r.when = p
			}
		case "transform":
			if r.steps, err = c.transforms(v, field); err != nil {
				return nil, err
			}
		case "object":
			keys, err := c.pairs(v, field)
			if err != nil {
				return nil, err
			}
			r.object = make([]*rule, 0, len(keys))
			for _, k := range keys {
				sub, err := c.rule(k.val, field+"."+k.key, false)
				if err != nil {
					return nil, err
				}
				sub.name = k.key
				sub.line = k.keyNode.Line
				r.object = append(r.object, sub)
			}
		case "each":
			if r.each, err = c.rule(v, field, true); err != nil {
				return nil, err
			}
		case "pick":
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				return nil, c.errAt(v, field, "pick: want first or an expression")
			}
			if v.Value == "first" {
				r.pick = &picker{first: true}
			} else {
				p, err := compileExpr(v.Value, v.Line, true)
				if err != nil {
					return nil, &Error{File: c.file, Line: v.Line, Field: field, Err: err}
				}
				r.pick = &picker{cond: p}
			}
		case "list":
			if v.Kind != yaml.SequenceNode {
				return nil, c.errAt(v, field, "list: want a list of rules")
			}
			r.list = make([]*rule, 0, len(v.Content))
			for i, item := range v.Content {
				sub, err := c.rule(item, fmt.Sprintf("%s[%d]", field, i), false)
				if err != nil {
					return nil, err
				}
				r.list = append(r.list, sub)
			}
		default:
			return nil, c.errAt(kv.keyNode, field, "unknown rule key %q (want one of %s)", kv.key, ruleKeys)
		}
	}
	if err := c.checkCombination(n, field, has); err != nil {
		return nil, err
	}
	r.plain = len(r.from) == 1 && !r.required
	for k := range has {
		if k != "from" && k != "required" {
			r.plain = false
		}
	}
	if !has["from"] && !has["const"] && !has["expr"] && !has["object"] && !has["list"] {
		switch {
		case selfOK:
			r.self = true
		case !has["default"]:
			return nil, c.errAt(n, field, "rule needs one of from, const, expr, object, list or default")
		}
	}
	return r, nil
}

func (c *compiler) checkCombination(n *yaml.Node, field string, has map[string]bool) error {
	excl := []struct {
		a    string
		with []string
	}{
		{"const", []string{"from", "expr", "object", "each", "pick", "list"}},
		{"list", []string{"from", "expr", "object", "each", "pick"}},
		{"each", []string{"object", "pick", "expr"}},
		{"object", []string{"expr"}},
	}
	for _, e := range excl {
		if !has[e.a] {
			continue
		}
		for _, w := range e.with {
			if has[w] {
				return c.errAt(n, field, "%s cannot be combined with %s", e.a, w)
			}
		}
	}
	for _, k := range []string{"each", "pick"} {
		if has[k] && !has["from"] {
			return c.errAt(n, field, "%s needs from selecting a list", k)
		}
	}
	return nil
}

func (c *compiler) paths(v *yaml.Node, field string) ([]srcPath, error) {
	var items []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		items = []*yaml.Node{v}
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, c.errAt(v, field, "from: empty list")
		}
		items = v.Content
	default:
		return nil, c.errAt(v, field, "from: want a path or a list of paths")
	}
	out := make([]srcPath, 0, len(items))
	for _, it := range items {
		it = c.resolve(it)
		if it.Kind != yaml.ScalarNode || it.Tag == "!!null" {
			return nil, c.errAt(it, field, "from: want a path, got %s", nodeKind(it))
		}
		p, err := parsePath(it.Value)
		if err != nil {
			return nil, c.errAt(it, field, "from: %v", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// value converts a YAML node to the JSON value model (numbers float64,
// objects map[string]any, lists []any).
func (c *compiler) value(n *yaml.Node) (any, error) {
	n = c.resolve(n)
	switch n.Kind {
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return nil, nil
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err != nil {
				return nil, c.errAt(n, "", "%v", err)
			}
			return b, nil
		case "!!int", "!!float":
			var f float64
			if err := n.Decode(&f); err != nil {
				return nil, c.errAt(n, "", "%v", err)
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, c.errAt(n, "", "number %s is not representable in JSON", n.Value)
			}
			return f, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, it := range n.Content {
			v, err := c.value(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		kvs, err := c.pairs(n, "")
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(kvs))
		for _, kv := range kvs {
			v, err := c.value(kv.val)
			if err != nil {
				return nil, err
			}
			out[kv.key] = v
		}
		return out, nil
	}
	return nil, c.errAt(n, "", "unsupported YAML node")
}
