package mappings

import (
	"encoding/json"
	"testing"
)

// FuzzInbound: an arbitrary mapping file and an arbitrary JSON record must
// never panic, whatever the errors. The Shopify seed is large: run with
// -fuzzminimizetime 1s or minimization dominates.
func FuzzInbound(f *testing.F) {
	f.Add(string(readFixture(f, "shopify_mapping.yaml")), string(readFixture(f, "shopify_customer.json")))
	f.Add(fieldsYAML("a: {from: l, each: {from: x, transform: [{date: {in: epoch}}]}}"), `{"l":[{"x":1e300},{"x":"a"},null]}`)
	f.Add(fieldsYAML("a: {from: l, pick: \"x > 1\", object: {b: {expr: \"$env\"}}}"), `{"l":[{"x":2}]}`)
	f.Add(fieldsYAML("a: {list: [{from: a.0.b, transform: [split, {map: {x: 1}}]}, {const: [1]}]}"), `{"a":[{"b":"x,y"}]}`)
	f.Add(fieldsYAML("a: {from: v, transform: [number, string, phone, country, bool, hash, join, title]}"), `{"v":"+49 30 123"}`)
	f.Add("tables: {t: {a: 1}}\n"+fieldsYAML("a: {from: v, transform: [{lookup: {table: t, reverse: true}}, {money: {scale: 2, out: minor}}, gender]}"), `{"v":"1,5 €"}`)
	f.Add(fieldsYAML("a: {from: v, transform: [{money: {in: minor}}, {money: {out: text, thousands: ' '}}, {gender: testupper}]}"), `{"v":1e20}`)
	f.Add("version: 1\nresources:\n  customer:\n    owns: [email]\n    never_writes: [a.b, email]\n    inbound:\n      fields:\n        email: email\n    outbound:\n      fields:\n        a: {from: x, each: {object: {b: c}}}\n", `{"email":"a@b.de","x":[{"c":1}]}`)
	f.Add(fieldsYAML("a: {from: v, when: \"source.v?.w != nil && !(v == 'x') || source.u == true\"}"), `{"v":{"w":1}}`)
	f.Fuzz(func(t *testing.T, mapping, record string) {
		m, err := Compile("fuzz.yaml", []byte(mapping), Options{DefaultRegion: "DE", Settings: map[string]any{"a": 1.0}})
		if err != nil {
			return
		}
		var rec map[string]any
		if json.Unmarshal([]byte(record), &rec) != nil {
			return
		}
		for _, res := range m.Resources() {
			if m.HasInbound(res) {
				doc, err := m.Inbound(res, rec)
				if err == nil && m.HasOutbound(res) {
					_, _ = m.Outbound(res, doc)
				}
			}
			if m.HasOutbound(res) {
				_, _ = m.Outbound(res, Doc(rec))
			}
			_ = m.Fields(res)
		}
	})
}
