package connectors

import (
	"errors"
	"testing"
)

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
