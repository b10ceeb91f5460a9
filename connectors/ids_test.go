package connectors

import (
	"encoding/json"
	"errors"
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

func TestNumericID(t *testing.T) {
	if id, err := NumericID("v", "V id", "12345"); id != "12345" || err != nil {
		t.Errorf("numeric: %q, %v", id, err)
	}
	for _, id := range []string{"", "-1", "1/../2", "12a", " 1"} {
		_, err := NumericID("v", "V id", id)
		if !errors.Is(err, ErrPermanent) || err.Error() != ErrPermanent.Error()+`: v: "`+id+`" is not a V id` {
			t.Errorf("%q: %v", id, err)
		}
	}
}
