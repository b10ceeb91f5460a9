package mappings

import "testing"

func BenchmarkInboundShopify(b *testing.B) {
	m := shopifyMapping(b, nil)
	rec := shopifyRecord(b)
	if _, err := m.Inbound("customer", rec); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Inbound("customer", rec); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkOutboundShopify(b *testing.B) {
	m := shopifyMapping(b, nil)
	doc, err := m.Inbound("customer", shopifyRecord(b))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Outbound("customer", doc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
