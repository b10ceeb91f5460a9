package hub_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A customer's data column and its creation's change-log row are the
// JSON encoding of the customer's doc, whether the merge reuses the
// record's encoded doc for them (a customer created from a record as it
// came) or encodes them itself (a record whose empty fields were not
// taken, a second record of a new customer in the same batch).
func TestStoredDataIsTheDocsJSON(t *testing.T) {
	t.Parallel()
	full := map[string]any{"email": "s1@example.com", "first_name": "Ada", "tags": []any{"a", "b"}, "accepts_marketing": true,
		"billing_address": map[string]any{"city": "Kiel", "zip": "24103"}}
	withEmpty := map[string]any{"email": "s2@example.com", "first_name": "Bo", "last_name": "", "billing_address": map[string]any{"city": "Ulm", "street": ""}}
	cases := []struct {
		name    string
		batch   []hub.Inbound
		email   string
		data    map[string]any
		created map[string]any
	}{
		{"as it came", []hub.Inbound{in("shopify", "1", t0, full)}, "s1@example.com", full, full},
		{"empty fields not taken", []hub.Inbound{in("shopify", "2", t0, withEmpty)}, "s2@example.com",
			map[string]any{"email": "s2@example.com", "first_name": "Bo", "billing_address": map[string]any{"city": "Ulm"}},
			map[string]any{"email": "s2@example.com", "first_name": "Bo", "billing_address": map[string]any{"city": "Ulm"}}},
		{"two records in one batch", []hub.Inbound{
			in("shopify", "3", t0, map[string]any{"email": "s3@example.com", "first_name": "Cy", "last_name": "Old"}),
			in("shopify", "3", t0.Add(time.Minute), map[string]any{"email": "s3@example.com", "first_name": "Cy", "last_name": "New"})},
			"s3@example.com", map[string]any{"email": "s3@example.com", "first_name": "Cy", "last_name": "New"},
			map[string]any{"email": "s3@example.com", "first_name": "Cy", "last_name": "Old"}},
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			for _, tc := range cases {
				if _, err := s.MergeBatch(context.Background(), tc.batch, hub.Policy{}); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				var c hub.Customer
				if err := s.DB().Where("email = ?", tc.email).Take(&c).Error; err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				want, _ := json.Marshal(tc.data)
				if c.Data != string(want) {
					t.Errorf("%s: data %s, want %s", tc.name, c.Data, want)
				}
				var created hub.Change
				if err := s.DB().Where("customer_id = ? AND field = ?", c.ID, hub.CreatedField).Take(&created).Error; err != nil {
					t.Fatalf("%s: creation row: %v", tc.name, err)
				}
				if want, _ := json.Marshal(tc.created); created.NewValue != string(want) {
					t.Errorf("%s: creation row %s, want %s", tc.name, created.NewValue, want)
				}
			}
		})
	}
}
