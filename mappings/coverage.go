package mappings

import (
	"fmt"
	"sort"
	"strings"

	"github.com/expr-lang/expr/ast"
	"gopkg.in/yaml.v3"
)

// Coverage is what a touchpoint can hold of a resource, per canonical field
// and address sub-field ("billing_address.city"): the unit the hub merges.
// It is derived from the rules:
//
//   - inbound: the paths the inbound rules produce (an address built by
//     object covers its keys; any other address rule covers every key);
//   - outbound: the paths outbound rules render from as their first
//     choice; a path read only as a fallback (`from: [phone,
//     billing_address.phone]`) reaches the vendor only while the first one
//     is empty;
//   - holds: inbound and outbound first choice, or declared in the
//     resource's `coverage: {holds: […]}`: what the touchpoint writes and
//     reads back.
//
// An inbound path that is not held but comes from a vendor field outbound
// writes from another canonical field (Shopware's billing address phone
// carries the customer phone; Odoo's one name carries first and last name,
// which inbound also splits into the billing address) is fill-only: the
// touchpoint's record fills a gap the hub has, never overwrites. So is a
// path declared in `coverage: {not_held: […]}`. Every other inbound path
// (held, or read from a vendor field the hub never writes, like the ERP's
// own customer number) is asserted in full.
type Coverage struct {
	Resource string `json:"resource"`
	// Inbound lists the paths the inbound rules produce, sorted.
	Inbound []string `json:"inbound"`
	// Outbound lists the paths outbound renders from as first choice.
	Outbound []string `json:"outbound"`
	// Fallback lists the paths outbound renders only when the first
	// choice is empty (and never as first choice).
	Fallback []string `json:"fallback,omitempty"`
	// Holds lists the paths the touchpoint writes and reads back.
	Holds []string `json:"holds"`
	// FillOnly lists inbound paths the touchpoint cannot hold apart.
	FillOnly []string `json:"fill_only,omitempty"`

	assert map[string]Assert
	subs   map[string][]string // address field → its inbound sub-fields
	source *Coverage           // AsSource, built with the coverage
}

// Assert is how far a touchpoint's record speaks for one canonical path.
type Assert uint8

const (
	// AssertNone: the touchpoint never sends the path; its records say
	// nothing about it, not even by leaving it out.
	AssertNone Assert = iota
	// AssertFill: sent, but the touchpoint cannot hold it apart from
	// another field; its value may fill a gap, never overwrite.
	AssertFill
	// AssertFull: the touchpoint's value is an assertion like any edit.
	AssertFull
)

func (a Assert) String() string {
	switch a {
	case AssertFill:
		return "fill"
	case AssertFull:
		return "full"
	}
	return "none"
}

// Assert says how a record mapped by this coverage speaks for path (a
// canonical field, or address field "." key). A nil coverage asserts
// every path: callers without a mapping keep the old whole-record merge.
func (c *Coverage) Assert(path string) Assert {
	if c == nil {
		return AssertFull
	}
	return c.assert[path]
}

// SubFields returns the keys of address field the inbound rules produce,
// in AddressKeys order; every key for a nil coverage. Callers must not
// modify the result.
func (c *Coverage) SubFields(field string) []string {
	if c == nil {
		return AddressKeys
	}
	return c.subs[field]
}

// Holds reports whether the touchpoint writes path and reads it back.
func (c *Coverage) HoldsPath(path string) bool {
	if c == nil {
		return true
	}
	i := sort.SearchStrings(c.Holds, path)
	return i < len(c.Holds) && c.Holds[i] == path
}

// AsSource is the coverage of a touchpoint the hub never writes this
// resource to (push disabled, or no writer): without our writes in its
// fields, nothing it sends is another field's echo, so every path it reads
// is asserted in full.
func (c *Coverage) AsSource() *Coverage {
	if c == nil {
		return nil
	}
	return c.source
}

// Coverage returns the coverage of resource, nil when the file does not map
// it.
func (m *Mapping) Coverage(resource string) *Coverage {
	if r := m.resources[resource]; r != nil {
		return r.coverage
	}
	return nil
}

// coverageDecl is a resource's `coverage:` section.
type coverageDecl struct {
	holds, notHeld []string
	nodes          map[string]*yaml.Node
}

func (c *compiler) coverageDecl(n *yaml.Node) (coverageDecl, error) {
	d := coverageDecl{nodes: map[string]*yaml.Node{}}
	kvs, err := c.pairs(n, "coverage")
	if err != nil {
		return d, err
	}
	for _, kv := range kvs {
		names, nodes, err := c.names(kv.val, "coverage."+kv.key)
		if err != nil {
			return d, err
		}
		switch kv.key {
		case "holds":
			d.holds = names
		case "not_held":
			d.notHeld = names
		default:
			return d, c.errAt(kv.keyNode, "coverage", "unknown key %q (want holds, not_held)", kv.key)
		}
		for i, name := range names {
			if d.nodes[name] != nil {
				return d, c.errAt(nodes[i], "coverage", "%q is listed under both holds and not_held", name)
			}
			d.nodes[name] = nodes[i]
		}
	}
	return d, nil
}

// canonPaths turns a canonical path read or produced by a rule into
// coverage paths: a customer address field with a key is that sub-field,
// without one every sub-field; anything else is its top-level field.
// Names that are no canonical field (the hub's knowledge, `_hub.…`) cover
// nothing.
func canonPaths(res string, segs []string) []string {
	if len(segs) == 0 || segs[0] == "" {
		return nil
	}
	if res != "customer" {
		return []string{segs[0]}
	}
	f, ok := CustomerField(segs[0])
	if !ok {
		return nil
	}
	if f.Kind != KindAddress {
		return []string{f.Name}
	}
	if len(segs) > 1 {
		if !isAddressKey(segs[1]) {
			return nil
		}
		return []string{f.Name + "." + segs[1]}
	}
	out := make([]string, len(AddressKeys))
	for i, k := range AddressKeys {
		out[i] = f.Name + "." + k
	}
	return out
}

func pathSegs(p srcPath) []string {
	out := make([]string, len(p.segs))
	for i, s := range p.segs {
		out[i] = s.key
	}
	return out
}

func appendSegs(base []string, more ...string) []string {
	return append(append(make([]string, 0, len(base)+len(more)), base...), more...)
}

// outRead is one canonical path an outbound target renders from.
type outRead struct {
	target  string
	path    []string
	primary bool
}

// outboundReads walks an outbound rule: base is the canonical path the
// rule's source stands for, fallback whether the source itself is only a
// fallback. Conditions (when, skip_when) read but render nothing.
func outboundReads(r *rule, base []string, target string, fallback bool, add func(outRead)) {
	nested := r.object != nil || r.each != nil || r.pick != nil
	for i, p := range r.from {
		fb := fallback || i > 0
		if !nested {
			add(outRead{target: target, path: appendSegs(base, pathSegs(p)...), primary: !fb})
			continue
		}
		sub := appendSegs(base, pathSegs(p)...)
		for _, o := range r.object {
			outboundReads(o, sub, target+"."+o.name, fb, add)
		}
		if r.each != nil {
			outboundReads(r.each, sub, target, fb, add)
		}
	}
	if r.expr != nil {
		for _, p := range exprPaths(r.expr) {
			add(outRead{target: target, path: appendSegs(base, p...), primary: !fallback})
		}
	}
	if r.from == nil {
		for _, o := range r.object {
			outboundReads(o, base, target+"."+o.name, fallback, add)
		}
	}
	for _, l := range r.list {
		outboundReads(l, base, target, fallback, add)
	}
}

// inboundSources lists the vendor paths an inbound rule reads its value
// from (dotted, relative to the record), for telling whether outbound
// writes that vendor field from another canonical field.
func inboundSources(r *rule, base []string) []string {
	var out []string
	nested := r.object != nil || r.each != nil || r.pick != nil
	for _, p := range r.from {
		full := appendSegs(base, pathSegs(p)...)
		if !nested || r.pick != nil {
			out = append(out, strings.Join(full, "."))
		}
		for _, o := range r.object {
			out = append(out, inboundSources(o, full)...)
		}
	}
	if r.expr != nil {
		for _, p := range exprPaths(r.expr) {
			out = append(out, strings.Join(appendSegs(base, p...), "."))
		}
	}
	if r.from == nil {
		for _, o := range r.object {
			out = append(out, inboundSources(o, base)...)
		}
	}
	for _, l := range r.list {
		out = append(out, inboundSources(l, base)...)
	}
	return out
}

// exprPaths lists what an expression reads from its source, as paths as
// deep as its member accesses show: `source.billing_address?.phone` reads
// billing_address.phone, `phone` all of phone. A dynamic member (`a[k]`,
// `a[0]`) ends the path where it is known. `value` (what from selected),
// `item`, `settings` and `$env` are no source keys.
func exprPaths(p *program) [][]string {
	node := p.prog.Node()
	inner := map[ast.Node]bool{}
	var outer []ast.Node
	ast.Walk(&node, visitFunc(func(n ast.Node) {
		switch x := n.(type) {
		case *ast.MemberNode:
			inner[x.Node] = true
			outer = append(outer, n)
		case *ast.ChainNode:
			inner[x.Node] = true
			outer = append(outer, n)
		case *ast.CallNode:
			inner[x.Callee] = true // a function, or a method of a value
		case *ast.IdentifierNode:
			outer = append(outer, n)
		}
	}))
	var out [][]string
	for _, n := range outer {
		if inner[n] {
			continue
		}
		base, props, _, ok := memberChain(n)
		if !ok {
			continue
		}
		if key, isSrc := strings.CutPrefix(base, srcPrefix); isSrc {
			out = append(out, append([]string{key}, props...))
			continue
		}
		switch base = strings.TrimPrefix(base, recPrefix); base {
		case "source":
			if len(props) > 0 {
				out = append(out, props)
			}
		case "value", "item", "settings", "$env":
		default:
			out = append(out, append([]string{base}, props...))
		}
	}
	return out
}

// memberChain reads `a.b?.c` as a and [b c]; a dynamic member closes the
// path (`a[k].c` is a).
func memberChain(n ast.Node) (base string, props []string, open, ok bool) {
	switch x := n.(type) {
	case *ast.IdentifierNode:
		return x.Value, nil, true, true
	case *ast.ChainNode:
		return memberChain(x.Node)
	case *ast.MemberNode:
		if base, props, open, ok = memberChain(x.Node); !ok {
			return "", nil, false, false
		}
		if s, isStr := x.Property.(*ast.StringNode); isStr && open {
			return base, append(props, s.Value), true, true
		}
		return base, props, false, true
	}
	return "", nil, false, false
}

type visitFunc func(ast.Node)

func (f visitFunc) Visit(n *ast.Node) { f(*n) }

// overlaps reports whether two dotted vendor paths name the same value or
// one lies inside the other.
func overlaps(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || strings.HasPrefix(b, a+".")
}

// coverage derives a resource's coverage once its directions are compiled
// (and never_writes applied).
func (c *compiler) coverage(res string, r *resource, decl coverageDecl) (*Coverage, error) {
	cov := &Coverage{Resource: res, assert: map[string]Assert{}, subs: map[string][]string{}}
	sources := map[string][]string{} // inbound path → vendor paths
	if r.inbound != nil {
		for _, f := range r.inbound.fields {
			if f.object != nil && res == "customer" {
				if cf, _ := CustomerField(f.name); cf.Kind == KindAddress {
					var base []string
					if len(f.from) > 0 {
						base = pathSegs(f.from[0])
					}
					for _, o := range f.object {
						p := f.name + "." + o.name
						sources[p] = append(sources[p], inboundSources(o, base)...)
					}
					continue
				}
			}
			src := inboundSources(f, nil)
			for _, p := range canonPaths(res, []string{f.name}) {
				sources[p] = append(sources[p], src...)
			}
		}
	}
	primary, fallback := map[string]bool{}, map[string]bool{}
	var targets []string
	if r.outbound != nil {
		for _, f := range r.outbound.fields {
			outboundReads(f, nil, f.name, false, func(o outRead) {
				for _, nv := range r.outbound.never {
					if overlaps(nv, o.target) && len(o.target) >= len(nv) {
						return // deleted from the rendered payload
					}
				}
				targets = append(targets, o.target)
				for _, p := range canonPaths(res, o.path) {
					if o.primary {
						primary[p] = true
					} else {
						fallback[p] = true
					}
				}
			})
		}
	}
	for name, n := range decl.nodes {
		paths := canonPaths(res, strings.Split(name, "."))
		if len(paths) == 0 {
			return nil, c.errAt(n, "coverage", "%q is not a canonical %s field or address sub-field", name, res)
		}
		for _, p := range paths {
			if _, ok := sources[p]; !ok {
				return nil, c.errAt(n, "coverage", "%q is not mapped by inbound, so this connector cannot hold it", p)
			}
		}
	}
	declared := map[string]Assert{}
	for _, name := range decl.holds {
		for _, p := range canonPaths(res, strings.Split(name, ".")) {
			declared[p] = AssertFull
		}
	}
	for _, name := range decl.notHeld {
		for _, p := range canonPaths(res, strings.Split(name, ".")) {
			declared[p] = AssertFill
		}
	}
	for p, srcs := range sources {
		cov.Inbound = append(cov.Inbound, p)
		a, ok := declared[p]
		switch {
		case ok:
		case r.outbound == nil || primary[p]:
			a = AssertFull
		case fallback[p]:
			a = AssertFill
		default:
			a = AssertFull
		search:
			for _, s := range srcs {
				for _, t := range targets {
					if overlaps(s, t) {
						a = AssertFill
						break search
					}
				}
			}
		}
		cov.assert[p] = a
		if a == AssertFill {
			cov.FillOnly = append(cov.FillOnly, p)
		}
		if r.outbound != nil && a == AssertFull && (primary[p] || declared[p] == AssertFull) {
			cov.Holds = append(cov.Holds, p)
		}
	}
	for p := range primary {
		cov.Outbound = append(cov.Outbound, p)
	}
	for p := range fallback {
		if !primary[p] {
			cov.Fallback = append(cov.Fallback, p)
		}
	}
	for _, l := range [][]string{cov.Inbound, cov.Outbound, cov.Fallback, cov.Holds, cov.FillOnly} {
		sort.Strings(l)
	}
	cov.source = cov
	if len(cov.FillOnly) > 0 {
		src := *cov
		src.FillOnly, src.assert = nil, make(map[string]Assert, len(cov.assert))
		for p := range cov.assert {
			src.assert[p] = AssertFull
		}
		src.source = &src
		cov.source = &src
	}
	if res == "customer" {
		for _, f := range CustomerFields {
			if f.Kind != KindAddress {
				continue
			}
			for _, k := range AddressKeys {
				if _, ok := cov.assert[f.Name+"."+k]; ok {
					cov.subs[f.Name] = append(cov.subs[f.Name], k)
				}
			}
		}
	}
	return cov, nil
}

// Summary renders the coverage for people: one line per kind, address
// sub-fields grouped as billing_address.{city,zip}.
func (c *Coverage) Summary() []string {
	if c == nil {
		return nil
	}
	notHeldWrites := make([]string, 0, len(c.Outbound))
	for _, p := range c.Outbound {
		if !c.HoldsPath(p) {
			notHeldWrites = append(notHeldWrites, p)
		}
	}
	readOnly := make([]string, 0, len(c.Inbound))
	for _, p := range c.Inbound {
		if !c.HoldsPath(p) && c.assert[p] == AssertFull {
			readOnly = append(readOnly, p)
		}
	}
	var out []string
	line := func(label string, paths []string) {
		if len(paths) > 0 {
			out = append(out, fmt.Sprintf("%s: %s", label, GroupPaths(paths)))
		}
	}
	line("holds (writes and reads back)", c.Holds)
	line("reads only (the touchpoint's own data)", readOnly)
	line("fills gaps only (not held apart)", c.FillOnly)
	line("writes only", notHeldWrites)
	line("writes only as a fallback", c.Fallback)
	return out
}

// GroupPaths joins sorted paths, grouping sub-fields of one field:
// "email, billing_address.{city,zip}".
func GroupPaths(paths []string) string {
	var b strings.Builder
	for i := 0; i < len(paths); {
		top, _, nested := strings.Cut(paths[i], ".")
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		if !nested {
			b.WriteString(top)
			i++
			continue
		}
		var subs []string
		for i < len(paths) {
			t, s, ok := strings.Cut(paths[i], ".")
			if !ok || t != top {
				break
			}
			subs = append(subs, s)
			i++
		}
		if len(subs) == 1 {
			b.WriteString(top + "." + subs[0])
		} else {
			b.WriteString(top + ".{" + strings.Join(subs, ",") + "}")
		}
	}
	return b.String()
}
