package mappings

import "strings"

// HubKey is the reserved key of the doc handed to Outbound under which the
// pipeline puts what the hub knows beyond the customer's own fields
// (`_hub.shops`, `_hub.open_tickets`, …). It is never a canonical field,
// so no inbound mapping produces it and merge never stores it; outbound
// rules read it like any other source path (`from: _hub.shops`).
const HubKey = "_hub"

// ReadsHub reports whether the outbound direction of resource reads hub
// knowledge (a `_hub.*` source path or an expression naming `_hub`), so the
// pipeline gathers it only for mappings that use it.
func (m *Mapping) ReadsHub(resource string) bool {
	r := m.resources[resource]
	if r == nil || r.outbound == nil {
		return false
	}
	if readsHubExpr(r.outbound.skipWhen) {
		return true
	}
	for _, f := range r.outbound.fields {
		if ruleReadsHub(f) {
			return true
		}
	}
	return false
}

func ruleReadsHub(r *rule) bool {
	if r == nil {
		return false
	}
	for _, p := range r.from {
		if p.text == HubKey || strings.HasPrefix(p.text, HubKey+".") {
			return true
		}
	}
	if readsHubExpr(r.expr) || readsHubExpr(r.when) {
		return true
	}
	for _, o := range r.object {
		if ruleReadsHub(o) {
			return true
		}
	}
	for _, l := range r.list {
		if ruleReadsHub(l) {
			return true
		}
	}
	return ruleReadsHub(r.each)
}

func readsHubExpr(p *program) bool { return p != nil && strings.Contains(p.text, HubKey) }
