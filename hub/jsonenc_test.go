package hub

import (
	"encoding/json"
	"math"
	"math/rand"
	"testing"
	"time"
)

// A Shopify customer's canonical doc, as the default mapping makes it.
var shopifyDoc = map[string]any{"email": "anna.mueller@example.com", "first_name": "Anna", "last_name": "Müller", "phone": "+4930123456",
	"accepts_marketing": true, "tags": []any{"vip", "newsletter"}, "note": "Prefers <email> & phone",
	"default_address": map[string]any{"address1": "Hauptstraße 1", "city": "Berlin", "zip": "10115", "country_code": "DE", "company": nil},
	"addresses":       []any{map[string]any{"address1": "Hauptstraße 1", "city": "Berlin", "zip": "10115", "country_code": "DE"}},
	"orders_count":    12.0, "total_spent": "1234.50", "customer_number": "K-10001", "birthday": "1980-01-02", "locale": "de-DE"}

// Every value the hub stores encodes to exactly what encoding/json writes.
func TestMarshalAsEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.FixedZone("", 3600))
	cases := map[string]any{
		"doc":                shopifyDoc,
		"backspace and feed": map[string]any{"note": "a\bb\fc", "\bkey": "x"}, // sonic alone writes \u0008, \u000c
		"escaped text":       `literal \u0008 and \\u000c`,
		"controls":           "\x00\x01\t\n\r\x1f\x7f",
		"html and seps":      "<script>&amp;</script> \u2028\u2029",
		"invalid utf8":       map[string]any{"\xffkey": "bad \xfe\xed\xa0\x80 end"},
		"emoji and umlauts":  "😀 üöäß 中文",
		"floats":             []any{0.0, -0.0, 1.0, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64, 12.5},
		"numbers":            []any{json.Number("12.50"), int64(-7), uint64(math.MaxUint64)},
		"raw":                json.RawMessage(`{"z":1,  "a":[1, 2]}`),
		"provenance":         map[string]Provenance{"email": {Instance: "shopify", At: at}, "phone": {Instance: "erp", At: at.UTC(), Unverified: true}},
		"deletion":           Deletion{ExternalID: "7", Resource: "customer", By: "webhook"},
		"indicators":         Indicators{Orders: 3, LTV: "12.00", AOV: "4.00", ByCurrency: []CurrencyFigures{{Currency: "EUR", Orders: 3}}},
		"empty":              map[string]any{"list": []any{}, "map": map[string]any{}, "nil list": []any(nil), "null": nil},
	}
	for name, v := range cases {
		want, werr := json.Marshal(v)
		got, gerr := marshalJSON(v)
		if string(got) != string(want) || (werr == nil) != (gerr == nil) {
			t.Errorf("%s: marshalJSON = %s, %v; encoding/json = %s, %v", name, got, gerr, want, werr)
		}
	}
	// And random docs of the shapes decoded JSON takes.
	r := rand.New(rand.NewSource(17))
	for i := range 20000 {
		v := randomJSONValue(r, 0)
		want, _ := json.Marshal(v)
		got, err := marshalJSON(v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("random value %d: marshalJSON = %s, %v; encoding/json = %s", i, got, err, want)
		}
	}
}

func randomJSONValue(r *rand.Rand, depth int) any {
	switch k := r.Intn(10); {
	case k == 0:
		return nil
	case k == 1:
		return r.Intn(2) == 0
	case k == 2:
		return []float64{r.NormFloat64() * 1e6, float64(r.Int63()), r.Float64(), 1e21, 1e-7}[r.Intn(5)]
	case k <= 4:
		const alphabet = "aZ9 <>&\"\\\b\f\n\x00\x7f\xc3\xbc\xff\xe2\x80\xa8"
		b := make([]byte, r.Intn(12))
		for i := range b {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
		return string(b)
	case k <= 7 && depth < 4:
		m := map[string]any{}
		for range r.Intn(6) {
			m[[]string{"b", "a", "A", "é", "<k>", "1", "10", "", "\xffk", "x\by"}[r.Intn(10)]] = randomJSONValue(r, depth+1)
		}
		return m
	case depth < 4:
		var s []any
		for range r.Intn(4) {
			s = append(s, randomJSONValue(r, depth+1))
		}
		return s
	}
	return "leaf"
}

func FuzzMarshalAsEncodingJSON(f *testing.F) {
	for _, s := range []string{"plain", "a\bb", "\f", `\u0008`, "<&>", "\xff", "\u2028"} {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, key, value string) {
		v := map[string]any{key: value, "list": []any{value, key}}
		want, _ := json.Marshal(v)
		got, err := marshalJSON(v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("marshalJSON = %s, %v; encoding/json = %s", got, err, want)
		}
	})
}

func BenchmarkMarshalDoc(b *testing.B) {
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(shopifyDoc)
		}
	})
	b.Run("marshalJSON", func(b *testing.B) {
		for b.Loop() {
			_, _ = marshalJSON(shopifyDoc)
		}
	})
}
