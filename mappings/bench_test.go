package mappings

import (
	"encoding/json"
	"os"
	"testing"
)

// defaultShopifyFile is the connector's real default mapping. mappings must
// not import connectors, so the benchmark reads the file by its path.
const defaultShopifyFile = "../connectors/shopify/mapping.yaml"

func defaultShopifyMapping(b testing.TB) *Mapping {
	b.Helper()
	src, err := os.ReadFile(defaultShopifyFile)
	if err != nil {
		b.Fatal(err)
	}
	m, err := Compile(defaultShopifyFile, src, Options{DefaultRegion: "DE"})
	if err != nil {
		b.Fatal(err)
	}
	return m
}

func reportRecords(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkInboundShopify: the default Shopify customer mapping applied to
// an already-decoded record, NormalizeCustomer included (must-show 4).
func BenchmarkInboundShopify(b *testing.B) {
	m := defaultShopifyMapping(b)
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
	reportRecords(b)
}

// BenchmarkInboundShopifyJSON adds decoding the vendor JSON, so the cost of
// each step is visible next to BenchmarkInboundShopify.
func BenchmarkInboundShopifyJSON(b *testing.B) {
	m := defaultShopifyMapping(b)
	raw := readFixture(b, "shopify_customer.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			b.Fatal(err)
		}
		if _, err := m.Inbound("customer", rec); err != nil {
			b.Fatal(err)
		}
	}
	reportRecords(b)
}

// BenchmarkDecodeShopifyJSON is the decoding step alone.
func BenchmarkDecodeShopifyJSON(b *testing.B) {
	raw := readFixture(b, "shopify_customer.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		var rec map[string]any
		if err := json.Unmarshal(raw, &rec); err != nil {
			b.Fatal(err)
		}
	}
	reportRecords(b)
}

// BenchmarkOutboundShopify renders the canonical doc back to a Shopify
// payload with the default mapping.
func BenchmarkOutboundShopify(b *testing.B) {
	m := defaultShopifyMapping(b)
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
	reportRecords(b)
}

// BenchmarkInboundShopifyTestMapping is the richer test mapping (pick,
// country, date, collapse_spaces, skip_when, settings) for comparison.
func BenchmarkInboundShopifyTestMapping(b *testing.B) {
	m := shopifyMapping(b, nil)
	rec := shopifyRecord(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Inbound("customer", rec); err != nil {
			b.Fatal(err)
		}
	}
	reportRecords(b)
}
