package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
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

// Text is stored and found again byte for byte whatever it holds:
// quotes, backslashes, control bytes, LIKE's wildcards. On MariaDB the
// statements carry their values inline (interpolated by the driver under
// the session's NO_BACKSLASH_ESCAPES, store.go), so this is the escaping
// of every merge write and lookup.
func TestStoredTextKeepsEveryByte(t *testing.T) {
	t.Parallel()
	odd := []string{`O'Brien`, `back\slash`, `\'`, `'\`, `\\''`, "quote\"d", "line\nbreak\r\ttab", "nul\x00byte", "ctrl-z\x1a",
		`100% _under_`, "emoji 🦊", `\u0041 \n`, `--`, `/* */`, `?`, `"`, `''`}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s, ctx := st.Store, context.Background()
			if s.Driver() == "mysql" {
				var mode string
				if err := s.DB().Raw("SELECT @@SESSION.sql_mode").Scan(&mode).Error; err != nil || !strings.Contains(mode, "NO_BACKSLASH_ESCAPES") {
					t.Fatalf("session sql_mode %q (%v): want NO_BACKSLASH_ESCAPES", mode, err)
				}
			}
			for i, v := range odd {
				email := fmt.Sprintf("o'k\\%d\"%%_@example.com", i)
				doc := map[string]any{"email": email, "first_name": v, "last_name": v + v, "note": v,
					"tags": []any{v}, "default_address": map[string]any{"city": v}}
				ext := fmt.Sprintf("ext'\\%d", i)
				r1, err := s.MergeBatch(ctx, []hub.Inbound{in("shopify", ext, t0, doc)}, hub.Policy{})
				if err != nil {
					t.Fatalf("%q: %v", v, err)
				}
				// Found again by its email and its link (the lookups carry
				// the values too): the same customer, changed.
				doc2 := map[string]any{"email": email, "first_name": v, "last_name": v + v, "note": v + "!",
					"tags": []any{v}, "default_address": map[string]any{"city": v}}
				r2, err := s.MergeBatch(ctx, []hub.Inbound{in("shopify", ext, t0.Add(time.Minute), doc2),
					in("erp", ext, t0.Add(2*time.Minute), doc2)}, hub.Policy{})
				if err != nil {
					t.Fatalf("%q again: %v", v, err)
				}
				if r2[0].CustomerID != r1[0].CustomerID || r2[1].CustomerID != r1[0].CustomerID || r2[0].Created || r2[1].Created {
					t.Fatalf("%q: merged into %d and %d (created %v, %v), want %d", v, r2[0].CustomerID, r2[1].CustomerID,
						r2[0].Created, r2[1].Created, r1[0].CustomerID)
				}
				c, data, err := s.Customer(ctx, r1[0].CustomerID)
				if err != nil {
					t.Fatal(err)
				}
				if c.Email == nil || *c.Email != email || c.FirstName != v || c.LastName != v+v {
					t.Errorf("%q: columns email %v, first %q, last %q", v, c.Email, c.FirstName, c.LastName)
				}
				if diff := cmp.Diff(doc2, data); diff != "" {
					t.Errorf("%q: data (-want +got):\n%s", v, diff)
				}
				var n int64
				if err := s.DB().Model(&hub.Customer{}).Where("first_name = ? AND email = ?", v, email).Count(&n).Error; err != nil || n != 1 {
					t.Errorf("%q: %d customers by first name and email (%v), want 1", v, n, err)
				}
			}
		})
	}
}
