package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// Customers a batch changes are written in one statement when their email
// stays (and one by one when it moves): every column the merge keeps beside
// the doc follows the doc, the version counts once per change, and a batch
// where one customer takes the email another gives up still commits.
func TestBatchWritesChangedCustomers(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s, ctx := st.Store, context.Background()
			var first []hub.Inbound
			for i := 0; i < 6; i++ {
				first = append(first, in("erp", fmt.Sprint("C", i), t0, map[string]any{"email": fmt.Sprintf("w%d@example.com", i),
					"first_name": "Old", "last_name": fmt.Sprint("Name", i), "phone": "+4930111111"}))
			}
			res, err := s.MergeBatch(ctx, first, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			// Four change names and phones, twice for C0 within the batch;
			// C5 gives up w5@ and C4 takes it (email moves: one by one).
			var second []hub.Inbound
			for i := 0; i < 4; i++ {
				second = append(second, in("erp", fmt.Sprint("C", i), t0.Add(time.Minute), map[string]any{"email": fmt.Sprintf("w%d@example.com", i),
					"first_name": fmt.Sprint("New", i), "last_name": fmt.Sprint("Name", i), "phone": "+4930222222", "customer_number": fmt.Sprint("K", i)}))
			}
			second = append(second,
				in("erp", "C0", t0.Add(2*time.Minute), map[string]any{"email": "w0@example.com", "first_name": "Newer", "last_name": "Name0",
					"phone": "+4930222222", "customer_number": "K0"}),
				in("erp", "C5", t0.Add(time.Minute), map[string]any{"email": "moved@example.com", "first_name": "Old", "last_name": "Name5", "phone": "+4930111111"}),
				in("erp", "C4", t0.Add(2*time.Minute), map[string]any{"email": "w5@example.com", "first_name": "Old", "last_name": "Name4", "phone": "+4930111111"}))
			if _, err := s.MergeBatch(ctx, second, hub.Policy{}); err != nil {
				t.Fatal(err)
			}
			type want struct {
				email, first, number string
				phone                string
				version              int64
			}
			wants := []want{{"w0@example.com", "Newer", "K0", "+4930222222", 3}, {"w1@example.com", "New1", "K1", "+4930222222", 2},
				{"w2@example.com", "New2", "K2", "+4930222222", 2}, {"w3@example.com", "New3", "K3", "+4930222222", 2},
				{"w5@example.com", "Old", "", "+4930111111", 2}, {"moved@example.com", "Old", "", "+4930111111", 2}}
			for i, w := range wants {
				var c hub.Customer
				if err := s.DB().Where("id = ?", res[i].CustomerID).Take(&c).Error; err != nil {
					t.Fatal(err)
				}
				var data map[string]any
				if err := json.Unmarshal([]byte(c.Data), &data); err != nil {
					t.Fatal(err)
				}
				email := ""
				if c.Email != nil {
					email = *c.Email
				}
				if email != w.email || c.FirstName != w.first || c.CustomerNumber != w.number || c.Phone != w.phone || c.Version != w.version ||
					data["first_name"] != w.first || data["email"] != w.email || c.LastName != fmt.Sprint("Name", i) {
					t.Errorf("customer C%d: row email %q first %q last %q number %q phone %q version %d, data %v; want %+v", i, email, c.FirstName,
						c.LastName, c.CustomerNumber, c.Phone, c.Version, data, w)
				}
				if i < 5 && !c.UpdatedAt.After(c.CreatedAt) && !c.UpdatedAt.Equal(c.CreatedAt) {
					t.Errorf("customer C%d: updated_at %v before created_at %v", i, c.UpdatedAt, c.CreatedAt)
				}
				v, err := s.View(ctx, c.ID, 0)
				if err != nil {
					t.Fatal(err)
				}
				if p := v.Provenance["first_name"]; i < 4 && !p.At.After(t0) {
					t.Errorf("customer C%d: provenance of first_name %+v, want the second batch's", i, p)
				}
			}
		})
	}
}
