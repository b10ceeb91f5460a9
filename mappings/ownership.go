package mappings

import (
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Ownership declarations of a resource section:
//
//	owns: [email, billing_address]        # only this connector may change them in the hub
//	never_writes: [email, default_address.phone]   # outbound never renders them
//
// owns is for the hub's merge policy, which reads it through Owns; the
// mapping engine only checks the names. never_writes is enforced here:
// Outbound drops every rule that renders a listed target path (or a path
// under it) or reads a listed canonical field, and deletes listed paths
// that lie inside a rendered object or list of objects.

// Owns returns the canonical fields resource declares as owned by this
// connector (only it may change them in the hub), sorted; nil if none.
func (m *Mapping) Owns(resource string) []string {
	if r := m.resources[resource]; r != nil && len(r.owns) > 0 {
		return append([]string(nil), r.owns...)
	}
	return nil
}

// NeverWrites returns the never_writes entries of resource (vendor target
// paths or canonical fields), sorted; nil if none. Outbound already omits
// them; the list is for callers that write to the vendor by other means.
func (m *Mapping) NeverWrites(resource string) []string {
	if r := m.resources[resource]; r != nil && len(r.never) > 0 {
		return append([]string(nil), r.never...)
	}
	return nil
}

// names reads a list of field names or paths: `[a, b.c]` or a single one.
func (c *compiler) names(n *yaml.Node, what string) ([]string, []*yaml.Node, error) {
	n = c.resolve(n)
	items := []*yaml.Node{n}
	switch n.Kind {
	case yaml.SequenceNode:
		items = n.Content
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil, nil
		}
	default:
		return nil, nil, c.errAt(n, what, "want a list of names, got %s", nodeKind(n))
	}
	out := make([]string, 0, len(items))
	nodes := make([]*yaml.Node, 0, len(items))
	seen := map[string]bool{}
	for _, it := range items {
		it = c.resolve(it)
		if it.Kind != yaml.ScalarNode || it.Tag == "!!null" || it.Value == "" {
			return nil, nil, c.errAt(it, what, "want a name, got %s", nodeKind(it))
		}
		if _, err := parsePath(it.Value); err != nil {
			return nil, nil, c.errAt(it, what, "%v", err)
		}
		if seen[it.Value] {
			return nil, nil, c.errAt(it, what, "%q listed twice", it.Value)
		}
		seen[it.Value] = true
		out = append(out, it.Value)
		nodes = append(nodes, it)
	}
	return out, nodes, nil
}

// checkOwns: owned names must be canonical fields the inbound direction
// produces; a connector cannot own what it never sends.
func (c *compiler) checkOwns(res string, r *resource, nodes []*yaml.Node) error {
	for i, name := range r.owns {
		if res == "customer" {
			if _, ok := CustomerField(name); !ok {
				return c.errAt(nodes[i], "owns", "%q is not a canonical customer field (want one of %s)", name, strings.Join(customerFieldNames(), ", "))
			}
		}
		if r.inbound == nil || !contains(r.fields, name) {
			return c.errAt(nodes[i], "owns", "%q is not mapped by inbound, so this connector cannot own it", name)
		}
	}
	sort.Strings(r.owns)
	return nil
}

func customerFieldNames() []string {
	names := make([]string, len(CustomerFields))
	for i, f := range CustomerFields {
		names[i] = f.Name
	}
	return names
}

// applyNeverWrites removes the outbound rules never_writes forbids and
// keeps the paths that can only be deleted from a rendered value.
func applyNeverWrites(res string, d *direction, never []string) {
	if d == nil || len(never) == 0 {
		return
	}
	canonical := func(name string) bool {
		if res == "customer" {
			_, ok := CustomerField(name)
			return ok
		}
		return !strings.Contains(name, ".")
	}
	kept := d.fields[:0]
	for _, f := range d.fields {
		drop := false
		for _, n := range never {
			if n == f.name || strings.HasPrefix(f.name, n+".") {
				drop = true // the target itself or one under it
				break
			}
			if canonical(n) && reads(f, n) {
				drop = true
				break
			}
			if strings.HasPrefix(n, f.name+".") {
				d.never = append(d.never, n) // inside what f renders
			}
		}
		if !drop {
			kept = append(kept, f)
		}
	}
	d.fields = kept
}

// reads reports whether a top-level outbound rule takes its value from
// canonical field name: a from path or an expression variable naming it.
func reads(r *rule, name string) bool {
	for _, p := range r.from {
		if p.segs[0].key == name {
			return true
		}
	}
	for _, p := range []*program{r.expr, r.when} {
		if p != nil && (contains(p.keys, name) || contains(p.srcKeys, name)) {
			return true
		}
	}
	for _, sub := range r.list {
		if reads(sub, name) {
			return true
		}
	}
	if r.from == nil && r.object != nil {
		for _, sub := range r.object {
			if reads(sub, name) {
				return true
			}
		}
	}
	return false
}

// dropPaths deletes never_writes paths that lie inside rendered objects;
// a list on the way is walked item by item.
func dropPaths(out map[string]any, paths []string) {
	for _, p := range paths {
		dropPath(out, strings.Split(p, "."))
	}
}

func dropPath(v any, segs []string) {
	switch x := v.(type) {
	case map[string]any:
		if len(segs) == 1 {
			delete(x, segs[0])
			return
		}
		if next, ok := x[segs[0]]; ok {
			dropPath(next, segs[1:])
		}
	case []any:
		for _, it := range x {
			dropPath(it, segs)
		}
	}
}
