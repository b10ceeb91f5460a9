package hub

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestProvenanceStoredForms(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 9, 50, 36, 123456000, time.UTC)
	cases := []struct {
		name    string
		prov    map[string]Provenance
		compact bool
	}{
		{"empty", map[string]Provenance{}, true},
		{"one record", map[string]Provenance{"email": {Instance: "shopify", At: at}, "first_name": {Instance: "shopify", At: at},
			"billing_address.city": {Instance: "shopify", At: at}}, true},
		{"several sources, trust and times", map[string]Provenance{
			"email":      {Instance: "shopify", At: at},
			"first_name": {Instance: "erp", At: at.Add(-time.Hour)},
			"last_name":  {Instance: "erp", At: at.Add(time.Nanosecond)},
			"phone":      {Instance: "shopify", At: at, Unverified: true},
			"tags":       {Instance: "klaviyo-eu_2", At: at.Add(time.Millisecond)},
		}, true},
		{"zero time and no instance", map[string]Provenance{"email": {At: at}, "note": {Instance: "erp"}, "x": {}}, true},
		{"before 1970", map[string]Provenance{"birthday": {Instance: "erp", At: time.Date(1901, 1, 2, 3, 4, 5, 6, time.UTC)}}, true},
		{"instance with a separator", map[string]Provenance{"email": {Instance: "shop;1", At: at}}, false},
		{"instance with a space", map[string]Provenance{"email": {Instance: "my shop", At: at}}, false},
		{"path with a comma", map[string]Provenance{"a,b": {Instance: "erp", At: at}}, false},
		{"time out of range", map[string]Provenance{"email": {Instance: "erp", At: time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := encodeProvenance(tc.prov)
			if got := s[0] == compactProvenance; got != tc.compact {
				t.Fatalf("encoded %q: compact %v, want %v", s, got, tc.compact)
			}
			got, err := decodeProvenance(s)
			if err != nil {
				t.Fatalf("decode %q: %v", s, err)
			}
			if diff := cmp.Diff(tc.prov, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
				t.Errorf("round trip of %q (-want +got):\n%s", s, diff)
			}
			// The JSON form written before reads the same.
			old, err := decodeProvenance(mustJSON(tc.prov))
			if err != nil {
				t.Fatal(err)
			}
			if mustJSON(old) != mustJSON(got) {
				t.Errorf("JSON form reads %s, compact form %s", mustJSON(old), mustJSON(got))
			}
			// Encoding is deterministic: equal provenance, equal text.
			if again := encodeProvenance(got); again != s {
				t.Errorf("encoded again %q, first %q", again, s)
			}
		})
	}
}

func TestProvenanceCompactFormIsSmaller(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 2, 9, 50, 36, 123456000, time.UTC)
	prov := map[string]Provenance{}
	for _, p := range []string{"email", "first_name", "last_name", "phone", "tags", "billing_address.street", "billing_address.city",
		"billing_address.zip", "billing_address.country"} {
		prov[p] = Provenance{Instance: "shopify", At: at}
	}
	compact, js := encodeProvenance(prov), mustJSON(prov)
	if len(compact)*3 > len(js) {
		t.Errorf("compact form %d bytes (%s), JSON %d: want under a third", len(compact), compact, len(js))
	}
	if !strings.HasPrefix(compact, "~shopify@") {
		t.Errorf("compact form %s", compact)
	}
}

func TestProvenanceCorruptCompactForm(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"~shopify", "~shopify:email", "~shopify@zz!:email", "{not json"} {
		if _, err := decodeProvenance(s); err == nil {
			t.Errorf("decoded %q without error", s)
		}
	}
}

// BenchmarkProvenance encodes and decodes a merge bench customer's
// provenance (five fields and an address of nine keys from one record,
// one field from another) in either stored form.
func BenchmarkProvenance(b *testing.B) {
	at := time.Date(2026, 12, 2, 9, 50, 36, 123456000, time.UTC)
	prov := map[string]Provenance{"note": {Instance: "erp", At: at.Add(-time.Hour)}}
	for _, p := range []string{"email", "first_name", "last_name", "phone", "tags"} {
		prov[p] = Provenance{Instance: "shopify", At: at}
	}
	for _, k := range []string{"first_name", "last_name", "company", "street", "street2", "city", "zip", "region", "country"} {
		prov["billing_address."+k] = Provenance{Instance: "shopify", At: at}
	}
	forms := []struct {
		name   string
		encode func(map[string]Provenance) string
	}{{"json", func(p map[string]Provenance) string { return mustJSON(p) }}, {"compact", encodeProvenance}}
	for _, f := range forms {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				s := f.encode(prov)
				if _, err := decodeProvenance(s); err != nil {
					b.Fatal(err)
				}
				n = len(s)
			}
			b.ReportMetric(float64(n), "bytes")
		})
	}
}
