package connectors

import (
	"encoding/json"
	"testing"
)

func TestIDString(t *testing.T) {
	cases := []struct {
		in   any
		want string
	}{
		{json.Number("7000000000001"), "7000000000001"},
		{"abc", "abc"},
		{float64(42), "42"},
		{int64(9), "9"},
		{3, "3"},
		{nil, ""},
		{true, ""},
	}
	for _, c := range cases {
		if got := IDString(c.in); got != c.want {
			t.Errorf("IDString(%#v) = %q, want %q", c.in, got, c.want)
		}
	}
}
