package mappings

import (
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
)

// HubKey is the reserved key of the doc handed to Outbound under which the
// pipeline puts what the hub knows beyond the customer's own fields
// (`_hub.shops`, `_hub.open_tickets`, …). It is never a canonical field,
// so no inbound mapping produces it and merge never stores it; outbound
// rules read it like any other source path (`from: _hub.shops`).
const HubKey = "_hub"

// ReadsHub reports whether the outbound direction of resource reads hub
// knowledge (a `_hub.*` source path or an expression naming `_hub`), so the
// pipeline gathers it, and refreshes the customer at the touchpoint when it
// changes, only for mappings that use it. A rule whose `when` the
// instance's settings make false whatever the record holds (`when:
// "settings.insight_tags != false && …"` with insight_tags off) reads
// nothing: a touchpoint whose insight settings are off gets no insight
// refreshes.
func (m *Mapping) ReadsHub(resource string) bool {
	r := m.resources[resource]
	if r == nil || r.outbound == nil {
		return false
	}
	return r.outbound.readsHub
}

// ReadsHubKey is ReadsHub for one piece of knowledge (`_hub.shops`): a
// rule reading all of `_hub`, or an expression naming `_hub` and the key,
// counts too. The pipeline re-pushes a customer when the shops holding it
// change only to touchpoints rendering them.
func (m *Mapping) ReadsHubKey(resource, key string) bool {
	r := m.resources[resource]
	if r == nil || r.outbound == nil || !r.outbound.readsHub {
		return false
	}
	return m.directionReadsHub(r.outbound, key)
}

// readsHubOf computes direction.readsHub at compile time.
func (m *Mapping) readsHubOf(d *direction) bool { return m.directionReadsHub(d, "") }

// directionReadsHub: d reads knowledge key ("": any).
func (m *Mapping) directionReadsHub(d *direction, key string) bool {
	if d.skipWhen != nil && readsHubExpr(d.skipWhen, key) && !m.settledFalse(d.skipWhen) {
		return true
	}
	for _, f := range d.fields {
		if m.ruleReadsHub(f, key) {
			return true
		}
	}
	return false
}

func (m *Mapping) ruleReadsHub(r *rule, key string) bool {
	if r == nil || (r.when != nil && m.settledFalse(r.when)) {
		return false
	}
	path := HubKey + "."
	if key != "" {
		path += key
	}
	for _, p := range r.from {
		if p.text == HubKey || strings.HasPrefix(p.text, path) && (key == "" || p.text == path || strings.HasPrefix(p.text, path+".")) {
			return true
		}
	}
	if readsHubExpr(r.expr, key) || readsHubExpr(r.when, key) {
		return true
	}
	if r.pick != nil && readsHubExpr(r.pick.cond, key) {
		return true
	}
	for _, o := range r.object {
		if m.ruleReadsHub(o, key) {
			return true
		}
	}
	for _, l := range r.list {
		if m.ruleReadsHub(l, key) {
			return true
		}
	}
	return m.ruleReadsHub(r.each, key)
}

// readsHubExpr: the expression names `_hub` (and key, when one is given).
func readsHubExpr(p *program, key string) bool {
	return p != nil && strings.Contains(p.text, HubKey) && (key == "" || strings.Contains(p.text, key))
}

// settledFalse reports whether condition p is false for every record
// given the mapping's settings: p is a conjunction (&&, and) one of whose
// terms reads nothing but `settings` and is false with them. Anything
// else, or a term that fails to evaluate, counts as unsettled.
func (m *Mapping) settledFalse(p *program) bool {
	if p == nil || !p.sets {
		return false
	}
	return m.settledFalseNode(p.prog.Node())
}

func (m *Mapping) settledFalseNode(n ast.Node) bool {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		return m.settledFalseNode(b.Left) || m.settledFalseNode(b.Right)
	}
	if !onlySettings(n) {
		return false
	}
	out, err := expr.Eval(n.String(), map[string]any{"settings": m.settings})
	return err == nil && out == false
}

// onlySettings reports whether n names no variable but `settings` (and
// reads it at all: a constant is not the instance's doing).
func onlySettings(n ast.Node) bool {
	c := &identCollector{names: map[string]bool{}}
	ast.Walk(&n, c)
	return len(c.names) == 1 && c.names["settings"]
}
