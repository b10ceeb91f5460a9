package sync

import (
	"testing"

	"github.com/shophub/shophub/hub"
)

// Which customer merges look for orders and tickets that arrived before
// their customer: a new customer, a record newly linked to one (orders and
// tickets may name it by that record's id), a new email; never a merge
// that wrote nothing for a customer.
func TestAdopts(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    hub.Result
		want bool
	}{
		{"created", hub.Result{CustomerID: 1, Created: true}, true},
		{"linked to an existing customer", hub.Result{CustomerID: 1, Linked: true}, true},
		{"email changed", hub.Result{CustomerID: 1, Changed: []string{"phone", "email"}}, true},
		{"other fields changed", hub.Result{CustomerID: 1, Changed: []string{"phone"}}, false},
		{"duplicate", hub.Result{CustomerID: 1, Linked: true, Duplicate: true}, false},
		{"erased", hub.Result{CustomerID: 1, Created: true, Erased: true}, false},
		{"no customer", hub.Result{Created: true}, false},
	} {
		if got := adopts(tc.r); got != tc.want {
			t.Errorf("%s: adopts = %v, want %v", tc.name, got, tc.want)
		}
	}
}
