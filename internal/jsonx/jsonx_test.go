package jsonx

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"
)

// A Shopify customer's canonical doc, as the default mapping makes it.
var shopifyDoc = map[string]any{"email": "anna.mueller@example.com", "first_name": "Anna", "last_name": "Müller", "phone": "+4930123456",
	"accepts_marketing": true, "tags": []any{"vip", "newsletter"}, "note": "Prefers <email> & phone",
	"default_address": map[string]any{"address1": "Hauptstraße 1", "city": "Berlin", "zip": "10115", "country_code": "DE", "company": nil},
	"addresses":       []any{map[string]any{"address1": "Hauptstraße 1", "city": "Berlin", "zip": "10115", "country_code": "DE"}},
	"orders_count":    12.0, "total_spent": "1234.50", "customer_number": "K-10001", "birthday": "1980-01-02", "locale": "de-DE"}

func TestMarshalAsEncodingJSON(t *testing.T) {
	cases := map[string]any{
		"doc":                shopifyDoc,
		"backspace and feed": map[string]any{"note": "a\bb\fc", "\bkey": "x"}, // sonic alone writes \u0008, \u000c
		"escaped text":       `literal \u0008 and \\u000c`,
		"controls":           "\x00\x01\t\n\r\x1f\x7f",
		"html and seps":      "<script>&amp;</script> \u2028\u2029",
		"invalid utf8":       map[string]any{"\xffkey": "bad \xfe\xed\xa0\x80 end"},
		"emoji and umlauts":  "😀 üöäß 中文",
		"floats":             []any{0.0, math.Copysign(0, -1), 1.0, 0.1, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64},
		"numbers":            []any{json.Number("12.50"), int64(-7), uint64(math.MaxUint64)},
		"raw":                json.RawMessage(`{"z":1,  "a":[1, 2]}`),
		"time":               time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.FixedZone("", 3600)),
		"struct": struct {
			A, b string
			C    int `json:"c,omitempty"`
		}{A: "<a>"},
		"empty":         map[string]any{"list": []any{}, "map": map[string]any{}, "nil list": []any(nil), "null": nil},
		"not encodable": map[string]any{"ch": make(chan int)},
	}
	for name, v := range cases {
		want, werr := json.Marshal(v)
		got, gerr := Marshal(v)
		if string(got) != string(want) || (werr == nil) != (gerr == nil) {
			t.Errorf("%s: Marshal = %s, %v; encoding/json = %s, %v", name, got, gerr, want, werr)
		}
	}
	r := rand.New(rand.NewSource(17))
	for i := range 20000 {
		v := randomValue(r, 0)
		want, _ := json.Marshal(v)
		got, err := Marshal(v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("random value %d: Marshal = %s, %v; encoding/json = %s", i, got, err, want)
		}
	}
}

// A vendor's record shape: embedded, tagged, string-coded, raw and
// pointer fields.
type record struct {
	base
	Email     string            `json:"email"`
	Count     int               `json:"count,string"`
	Num       json.Number       `json:"num"`
	Raw       json.RawMessage   `json:"raw"`
	Any       any               `json:"any"`
	At        time.Time         `json:"at"`
	Addresses []address         `json:"addresses"`
	M         map[string]string `json:"m"`
	P         *address          `json:"p"`
	Flag      bool
}

type base struct {
	ID int64 `json:"id"`
}

type address struct {
	City string `json:"city"`
	Zip  *string
}

func TestUnmarshalAsEncodingJSON(t *testing.T) {
	inputs := []string{
		`{"ID":5,"EMAIL":"a@b","Email":"x","count":"7","num":12.50,"raw":{"a": 1},"any":[1,"x",{"k":null}],"at":"2026-01-02T03:04:05.123+01:00","addresses":[{"CITY":"B","zip":"1"}],"m":{"a":"b"},"p":{"city":"c"},"flag":true,"unknown":1}`,
		`{"email":"a","email":"b"}`,
		`{"email":"bad \xff utf \ud800 x"}`,
		`{"any":12345678901234567890}`,
		`{"Addresses":null,"P":null}`,
		`{"m":{"a":"\u00fc\n"}}`,
		// invalid: the two part; encoding/json's answer stands
		`{"id":1.5}`,
		`{"id":"1"}`,
		`{"count":7}`,
		`{"any":1e400}`,
		`{"at":"not a time"}`,
		`[1,2]`,
		`{"flag":"true"}`,
		` {"email":"a"} trailing`,
		`{"email":"a",`,
		`{"m":{"a":1}}`,
		``,
	}
	sameDecoding(t, "encoding/json", json.Unmarshal, Unmarshal, inputs, 18)
}

// decodeNumbersStd is what DecodeNumbers stands for.
func decodeNumbersStd(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

// DecodeNumbers decodes as a json.Decoder with UseNumber: numbers keep
// their text (trailing zeros, exponents, 64-bit ids beyond float64), what
// follows the first value is ignored, and invalid input gets the
// Decoder's partial value and error.
func TestDecodeNumbersAsDecoder(t *testing.T) {
	inputs := []string{
		`{"id":7100000001234567891,"total":"12.50","price":12.50,"neg":-0,"exp":1E+2,"small":1e-7,"list":[1,2.0,{"k":null}]}`,
		`{"ID":5,"EMAIL":"a@b","count":"7","num":12.50,"any":[1,"x"],"at":"2026-01-02T03:04:05.123+01:00","addresses":[{"CITY":"B"}]}`,
		`{"email":"a","email":"b"}`,
		`{"email":"bad \xff utf \ud800 x"}`,
		`{"any":12345678901234567890}`,
		`{"any":1e400}`,
		` {"email":"a"} trailing`,
		`{"email":"a"}{"email":"b"}`,
		`{"email":"a"}` + "\n",
		`{"id":1.5}`,
		`{"count":7}`,
		`{"email":"a",`,
		`[1,2]`,
		``,
		`   `,
	}
	sameDecoding(t, "Decoder", decodeNumbersStd, DecodeNumbers, inputs, 27)
}

// sameDecoding decodes each input, and 5,000 random documents of seed,
// with std and with ours, into a struct, a map and an interface, and fails
// where the two part in value or error.
func sameDecoding(t *testing.T, stdName string, std, ours func([]byte, any) error, inputs []string, seed int64) {
	t.Helper()
	for _, in := range inputs {
		var a, b record
		ea := std([]byte(in), &a)
		eb := ours([]byte(in), &b)
		if !sameError(ea, eb) || !reflect.DeepEqual(a, b) {
			t.Errorf("%s into a struct:\n %s %+v, %v\n jsonx %+v, %v", in, stdName, a, ea, b, eb)
		}
		var ma, mb map[string]any
		ea = std([]byte(in), &ma)
		eb = ours([]byte(in), &mb)
		if !sameError(ea, eb) || !reflect.DeepEqual(ma, mb) {
			t.Errorf("%s into a map:\n %s %#v, %v\n jsonx %#v, %v", in, stdName, ma, ea, mb, eb)
		}
	}
	r := rand.New(rand.NewSource(seed))
	for i := range 5000 {
		in, _ := json.Marshal(randomValue(r, 0))
		var a, b any
		ea := std(in, &a)
		eb := ours(in, &b)
		if !sameError(ea, eb) || !reflect.DeepEqual(a, b) {
			t.Fatalf("random %d %s: %s %#v, %v; jsonx %#v, %v", i, in, stdName, a, ea, b, eb)
		}
	}
}

func FuzzDecodeNumbersAsDecoder(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":12.50}`, `{"a":-0.0e+00}`, `[1,{"b":null}]`, `{"a":1e400}`, `"\xff"`, `{"a":1} x`, `1 2`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var a, b any
		ea := decodeNumbersStd(in, &a)
		eb := DecodeNumbers(in, &b)
		if !sameError(ea, eb) || !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: Decoder %#v, %v; jsonx %#v, %v", in, a, ea, b, eb)
		}
	})
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

func randomValue(r *rand.Rand, depth int) any {
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
			m[[]string{"b", "a", "A", "é", "<k>", "1", "10", "", "\xffk", "x\by"}[r.Intn(10)]] = randomValue(r, depth+1)
		}
		return m
	case depth < 4:
		var s []any
		for range r.Intn(4) {
			s = append(s, randomValue(r, depth+1))
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
		got, err := Marshal(v)
		if err != nil || string(got) != string(want) {
			t.Fatalf("Marshal = %s, %v; encoding/json = %s", got, err, want)
		}
	})
}

func FuzzUnmarshalAsEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":"\ud800"}`, `[1,{"b":null}]`, `{"a":1e400}`, `"\xff"`, `{"a":1} x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var a, b any
		ea := json.Unmarshal(in, &a)
		eb := Unmarshal(in, &b)
		if !sameError(ea, eb) || !reflect.DeepEqual(a, b) {
			t.Fatalf("%q: encoding/json %#v, %v; jsonx %#v, %v", in, a, ea, b, eb)
		}
	})
}

func BenchmarkMarshalDoc(b *testing.B) {
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			_, _ = json.Marshal(shopifyDoc)
		}
	})
	b.Run("jsonx", func(b *testing.B) {
		for b.Loop() {
			_, _ = Marshal(shopifyDoc)
		}
	})
}

func BenchmarkUnmarshalDoc(b *testing.B) {
	in, _ := json.Marshal(shopifyDoc)
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			var m map[string]any
			_ = json.Unmarshal(in, &m)
		}
	})
	b.Run("jsonx", func(b *testing.B) {
		for b.Loop() {
			var m map[string]any
			_ = Unmarshal(in, &m)
		}
	})
}

// A page of 250 customers, as a vendor's list answers (Shopify's largest
// page), decoded for a listing.
func BenchmarkDecodeNumbersPage(b *testing.B) {
	page := make([]any, 250)
	for i := range page {
		page[i] = shopifyDoc
	}
	in, _ := json.Marshal(map[string]any{"customers": page})
	b.Run("decoder", func(b *testing.B) {
		for b.Loop() {
			var v struct{ Customers []map[string]any }
			_ = decodeNumbersStd(in, &v)
		}
	})
	b.Run("jsonx", func(b *testing.B) {
		for b.Loop() {
			var v struct{ Customers []map[string]any }
			_ = DecodeNumbers(in, &v)
		}
	})
}
