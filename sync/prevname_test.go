package sync

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/mappings"
	"github.com/shophub/shophub/sync/redistest"
)

// TestUnchangedCompoundNameListedAgainAssertsNothing: an ERP keeps one
// name field ("Dario Brunoz Ebert Grotea"), read into the hub as first
// "Dario Brunoz", last "Ebert Grotea". The hub's name then moves on
// elsewhere (Hanna Lind), and before our push of it reaches the ERP, a
// poll lists the ERP's record again, name unchanged, with a newer stamp
// (its write date moved for a field the mapping does not read). The name
// renders neither the hub's doc nor a push (none yet), and shares no half
// with the hub's; split afresh it is first "Dario Brunoz Ebert", last
// "Grotea", both unlike the ERP's last record, and two edits nobody made
// would revert Hanna Lind (convergence seed 15). Read against the ERP's
// own last record, it asserts nothing.
func TestUnchangedCompoundNameListedAgainAssertsNothing(t *testing.T) {
	m, err := mappings.Compile("erp", []byte(`version: 1
resources:
  customer:
    inbound:
      fields:
        email:
          from: email
          transform: [email]
        first_name:
          from: name
          transform: [{name_part: first}]
        last_name:
          from: name
          transform: [{name_part: last}]
    outbound:
      fields:
        email:
          from: email
        name:
          from: last_name
`), mappings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			s := st.Store
			rdb, _ := redistest.Client(t)
			tp := &Touchpoint{Name: "erp", Conn: &erpRecord{}, Mapping: m}
			h := &Handlers{Store: s, Queue: NewQueue(rdb), Log: slog.New(slog.DiscardHandler), MaxRetry: 3,
				Points: &Touchpoints{byName: map[string]*Touchpoint{"erp": tp}, names: []string{"erp"}}}
			erp := func(at time.Time) connectors.Record {
				return connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: "E1", UpdatedAt: at, ReadAt: at,
					Data: map[string]any{"email": "dario@example.com", "name": "Dario Brunoz Ebert Grotea"}}
			}
			if _, err := s.MergeCustomer(ctx, hub.Inbound{Instance: "erp", Resource: "customer", ExternalID: "E1",
				SourceAt: time.Now().Add(-time.Minute), Doc: map[string]any{"email": "dario@example.com",
					"first_name": "Dario Brunoz", "last_name": "Ebert Grotea"}}, hub.Policy{}); err != nil {
				t.Fatal(err)
			}
			r, err := s.MergeCustomer(ctx, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: "S1",
				SourceAt: time.Now().Add(-30 * time.Second), Doc: map[string]any{"email": "dario@example.com", "first_name": "Hanna", "last_name": "Lind"}}, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.applyCustomerPage(ctx, tp, "customer", []connectors.Record{erp(time.Now())}); err != nil {
				t.Fatal(err)
			}
			_, got, err := s.Customer(ctx, r.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			if got["first_name"] != "Hanna" || got["last_name"] != "Lind" {
				t.Fatalf("hub name %q %q after the unchanged ERP name was listed again, want Hanna Lind", got["first_name"], got["last_name"])
			}
		})
	}
}
