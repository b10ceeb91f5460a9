package mappings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runTransform compiles `{from: v, transform: <pipeline>}` and maps {"v": in}.
func runTransform(t *testing.T, pipeline string, in any, opts Options) (any, error) {
	t.Helper()
	m := mustCompile(t, fieldsYAML("out: {from: v, transform: "+pipeline+"}"), opts)
	doc, err := m.Inbound("thing", map[string]any{"v": in})
	if err != nil {
		return nil, err
	}
	return doc["out"], nil
}

func TestTransforms(t *testing.T) {
	de := Options{DefaultRegion: "DE"}
	tests := []struct {
		pipeline string
		in       any
		opts     Options
		want     any // nil: want an error
	}{
		{"[trim]", "  a b  ", Options{}, "a b"},
		{"[trim]", 5.0, Options{}, "5"},
		{"[trim]", []any{" a ", "b "}, Options{}, []any{"a", "b"}},
		{"[lower]", "ÄBC", Options{}, "äbc"},
		{"[upper]", "straße", Options{}, "STRAßE"},
		{"[title]", "anna-lena o'BRIEN", Options{}, "Anna-Lena O'Brien"},
		{"[collapse_spaces]", "  a \t b\n c ", Options{}, "a b c"},
		{"[collapse_spaces]", "a b", Options{}, "a b"},
		{"[trim]", map[string]any{"x": 1.0}, Options{}, nil},
		{"[email]", " Jane.Doe@Example.COM ", Options{}, "jane.doe@example.com"},
		{"[email]", "", Options{}, ""},
		{"[email]", "jane at example", Options{}, nil},
		{"[email]", "a@b@c.de", Options{}, nil},
		{"[phone]", "030 1234567", de, "+49301234567"},
		{"[phone]", "+49 (30) 123-4567", Options{}, "+49301234567"},
		{"[phone]", "+16136120707", Options{}, "+16136120707"},
		{"[{phone: AT}]", "0664 1234567", de, "+436641234567"},
		{"[{phone: US}]", "(613) 612-0707", Options{}, "+16136120707"},
		{"[phone]", "0049 30 1234567", de, "+49301234567"},
		{"[phone]", "+39 06 1234 5678", Options{}, "+390612345678"},
		{"[phone]", 4930123456.0, Options{}, "raw:4930123456"}, // no region, no +: no guessed prefix
		{"[phone]", "call me", de, "raw:call me"},
		{"[phone]", " keine Angabe ", de, "raw:keine Angabe"},
		{"[phone]", "030 1234567 / 0171 7654321", de, "raw:030 1234567 / 0171 7654321"},
		{"[phone]", "12", de, "raw:12"},
		{"[phone]", "raw:keine Angabe", de, "raw:keine Angabe"},
		{"[phone]", "044 668 18 00", Options{DefaultRegion: "DE", Region: "CH"}, "+41446681800"},
		{"[{phone: AT}]", "0664 1234567", Options{DefaultRegion: "DE", Region: "CH"}, "+436641234567"},
		{"[phone]", []any{"030 1234567"}, de, nil},
		{"[phone]", "", de, ""},
		{"[{phone_national: DE}]", "+49301234567", Options{}, "030 1234567"},
		{"[phone_national]", "+16136120707", Options{}, "(613) 612-0707"},
		{"[phone_national]", "nope", Options{}, "nope"},
		{"[phone_national]", "raw:keine Angabe", Options{}, "keine Angabe"},
		{"[country]", "Deutschland", Options{}, "DE"},
		{"[country]", "Österreich", Options{}, "AT"},
		{"[country]", "oesterreich", Options{}, "AT"},
		{"[country]", "Schweiz", Options{}, "CH"},
		{"[country]", "DEU", Options{}, "DE"},
		{"[country]", "de", Options{}, "DE"},
		{"[country]", "United States of America", Options{}, "US"},
		{"[country]", "Bosnia and Herzegovina", Options{}, "BA"},
		{"[country]", "Saint Lucia", Options{}, "LC"},
		{"[country]", "Vereinigtes Königreich", Options{}, "GB"},
		{"[country]", "Côte d'Ivoire", Options{}, "CI"},
		{"[country]", "Atlantis", Options{}, nil},
		{"[country]", "", Options{}, ""},
		{"[date]", "2024-03-01T10:15:00-05:00", Options{}, "2024-03-01T15:15:00Z"},
		{"[{date: {in: rfc3339, out: date}}]", "2024-03-01T23:15:00-05:00", Options{}, "2024-03-02"},
		{"[{date: {out: date, zone: America/New_York}}]", "2024-03-02T01:00:00Z", Options{}, "2024-03-01"},
		{"[{date: {in: datetime, zone: Europe/Berlin}}]", "2024-07-01 12:00:00", Options{}, "2024-07-01T12:00:00+02:00"},
		{"[{date: {in: datetime, out: rfc3339}}]", "2024-07-01 12:00:00", Options{}, "2024-07-01T12:00:00Z"},
		{"[{date: {in: datetime, out: datetime, zone: Europe/Berlin}}]", "2024-07-01 12:00:00", Options{}, "2024-07-01 12:00:00"},
		{"[{date: {in: date, out: date}}]", "1990-05-17", Options{}, "1990-05-17"},
		{"[{date: {in: epoch}}]", 1700000000.0, Options{}, "2023-11-14T22:13:20Z"},
		{"[{date: {in: epoch_ms, out: epoch}}]", "1700000000000", Options{}, int64(1700000000)},
		{"[{date: {in: rfc3339, out: epoch_ms}}]", "2023-11-14T22:13:20Z", Options{}, int64(1700000000000)},
		{"[{date: {in: '02.01.2006', out: date}}]", "17.05.1990", Options{}, "1990-05-17"},
		{"[{date: {out: 'Jan 2, 2006'}}]", "1990-05-17", Options{}, "May 17, 1990"},
		{"[{date: date}]", "1990-05-17 08:00:00", Options{}, "1990-05-17"},
		{"[{date: {in: date}}]", "0000-00-00", Options{}, ""},
		{"[{date: {in: date}}]", "17.05.1990", Options{}, nil},
		{"[{date: {in: epoch}}]", "yesterday", Options{}, nil},
		{"[split]", "vip, newsletter,, ", Options{}, []string{"vip", "newsletter"}},
		{"[{split: ;}]", "a;b", Options{}, []string{"a", "b"}},
		{"[split]", "", Options{}, []string{}},
		{"[split]", []any{"x"}, Options{}, []any{"x"}},
		{"[split, {drop_prefix: \"shophub:\"}]", "vip, shophub:segment:loyal,new", Options{}, []string{"vip", "new"}},
		{"[{drop_prefix: \"shophub:\"}]", []any{"shophub:x", "y", 3.0}, Options{}, []any{"y", 3.0}},
		{"[{drop_prefix: \"shophub:\"}]", "kept", Options{}, "kept"},
		{"[join]", []any{"a", "b", 1.0}, Options{}, "a, b, 1"},
		{"[{join: '|'}]", []string{"a", "b"}, Options{}, "a|b"},
		{"[join]", []any{map[string]any{}}, Options{}, nil},
		{"[{map: {A: x, B: y}}]", "B", Options{}, "y"},
		{"[{map: {A: x}}]", "C", Options{}, nil},
		{"[{map: {A: x}}]", "", Options{}, ""},
		{"[{map: {table: {A: x}, default: z}}]", "C", Options{}, "z"},
		{"[{map: {true: yes, false: no}}]", true, Options{}, "yes"},
		{"[{map: {1: one}}]", 1.0, Options{}, "one"},
		{"[{map: {a: A}}]", []any{"a", "a"}, Options{}, []any{"A", "A"}},
		{"[bool]", "Yes", Options{}, true},
		{"[bool]", "subscribed", Options{}, true},
		{"[bool]", "not_subscribed", Options{}, false},
		{"[bool]", "", Options{}, false},
		{"[bool]", 0.0, Options{}, false},
		{"[bool]", true, Options{}, true},
		{"[bool]", "maybe", Options{}, nil},
		{"[string]", 12.5, Options{}, "12.5"},
		{"[string]", 10117.0, Options{}, "10117"},
		{"[string]", false, Options{}, "false"},
		{"[string]", []any{}, Options{}, nil},
		{"[number]", " 12.5 ", Options{}, 12.5},
		{"[number]", "", Options{}, ""},
		{"[number]", "12a", Options{}, nil},
		{"[{default: n/a}]", "", Options{}, "n/a"},
		{"[{default: n/a}]", "x", Options{}, "x"},
		{"[hash]", "a@b.de", Options{}, "363a175f65786e7799e43a17e3f9f7baa20553a6408901bc04db39da72261fe3"},
		{"[{hash: md5}]", "abc", Options{}, "900150983cd24fb0d6963f7d28e17f72"},
		{"[hash]", "", Options{}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.pipeline+"/"+strings.ReplaceAll(describeValue("", "", tc.in), "/", "_"), func(t *testing.T) {
			got, err := runTransform(t, tc.pipeline, tc.in, tc.opts)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("want an error, got %#v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestEveryCountryHasGermanAndEnglishName(t *testing.T) {
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(countryTable), "\n") {
		cols := strings.Split(line, "|")
		if len(cols) != 5 || len(cols[0]) != 2 || len(cols[1]) != 3 || cols[2] == "" || cols[3] == "" {
			t.Fatalf("bad row %q", line)
		}
		for _, name := range cols[:4] {
			if got, ok := lookupCountry(name); !ok || got != cols[0] {
				t.Errorf("%q → %q, want %s", name, got, cols[0])
			}
		}
		n++
	}
	if n < 249 {
		t.Errorf("only %d countries", n)
	}
}
