package mappings

import "testing"

func TestSplitStreet(t *testing.T) {
	tests := []struct{ line, street, number string }{
		{"Hauptstraße 5", "Hauptstraße", "5"},
		{"Hauptstraße 5a", "Hauptstraße", "5a"},
		{"Hauptstraße 5 a", "Hauptstraße", "5 a"},
		{"Am Markt 12-14", "Am Markt", "12-14"},
		{"Am Markt 12 - 14", "Am Markt", "12 - 14"},
		{"Hauptstr. 5a/7", "Hauptstr.", "5a/7"},
		{"Straße des 17. Juni 135", "Straße des 17. Juni", "135"},
		{"Musterweg 12, App. 3", "Musterweg", "12, App. 3"},
		{"Route 66 12", "Route 66", "12"},
		{"12 Main Street", "12 Main Street", ""},
		{"Am Markt", "Am Markt", ""},
		{"Am Markt  12", "Am Markt  12", ""}, // two spaces would not read back
		{"", "", ""},
	}
	for _, tc := range tests {
		st, nr := SplitStreet(tc.line)
		if st != tc.street || nr != tc.number {
			t.Errorf("SplitStreet(%q) = (%q, %q), want (%q, %q)", tc.line, st, nr, tc.street, tc.number)
		}
		if tc.line != "" && JoinStreet(st, nr) != tc.line {
			t.Errorf("JoinStreet(SplitStreet(%q)) = %q", tc.line, JoinStreet(st, nr))
		}
	}
	for _, tc := range []struct{ pipeline, want string }{{"[{street_part: street}]", "Am Markt"}, {"[{street_part: number}]", "12 - 14"}} {
		got, err := runTransform(t, tc.pipeline, "Am Markt 12 - 14", Options{})
		if err != nil || got != tc.want {
			t.Errorf("%s = %v, %v; want %q", tc.pipeline, got, err, tc.want)
		}
	}
}
