package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/hub"
)

// Must-show (issue 14): erasing a customer known from OXID (a real OXID
// schema on MariaDB, the connector with only its documented grants, no
// DELETE) through the same entry point as DELETE /api/customers/:id. OXID
// is configured to delete, cannot, and anonymizes: its audit step says
// anonymized, not done-as-asked, and a scan of every OXID table finds
// none of the person's names, email, streets or phones — user row, both
// delivery addresses and the newsletter row. Touchpoints without an
// erasure choice are recorded as skipped.
func TestOXIDErasureAnonymizesEveryTable(t *testing.T) {
	t.Parallel()
	shop := oxidtest.New(t)
	email := "erna.erase@example.com"
	oxidID := shop.CreateCustomer(map[string]any{
		"OXUSERNAME": email, "OXFNAME": "Erna", "OXLNAME": "Eraseme", "OXSAL": "MRS", "OXFON": "0761 555987",
		"OXMOBFON": "0171 5559876", "OXSTREET": "Vergissweg", "OXSTREETNR": "7", "OXZIP": "79098", "OXCITY": "Freiburg",
	})
	shop.AddDeliveryAddress(oxidID, map[string]any{"OXFNAME": "Erna", "OXLNAME": "Eraseme", "OXSTREET": "Hafenkante", "OXCITY": "Hamburg", "OXFON": "040 5554321"})
	shop.AddDeliveryAddress(oxidID, map[string]any{"OXFNAME": "Erna", "OXLNAME": "Eraseme", "OXSTREET": "Seeufer", "OXCITY": "Konstanz"})
	shop.Subscribe(oxidID, 1)
	if _, err := shop.DB.Exec("UPDATE oxnewssubscribed SET OXFNAME = 'Erna', OXLNAME = 'Eraseme' WHERE OXUSERID = ?", oxidID); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{
			Name: "oxid", Type: "oxid", PollInterval: config.Duration(time.Second), Erasure: config.ErasureDelete,
			Settings: map[string]any{"dsn": oxidtest.RestrictedDSN(t, shop.DSN), "page_size": 50},
		})
	}})
	var cust *hub.Customer
	eventually(t, 20*time.Second, "OXID customer never reached the hub and Shopify", func() bool {
		if cust, _ = e.hubCustomer(t, email); cust == nil {
			return false
		}
		return e.linkOf(t, cust.ID, "oxid") == oxidID && e.linkOf(t, cust.ID, "shopify") != ""
	})
	e.quiet(t)
	person := []string{email, "Erna", "Eraseme", "Vergissweg", "Hafenkante", "Seeufer", "555987", "5559876", "5554321"}
	if hits := shop.FindText(person); len(hits) < 10 {
		t.Fatalf("before the erasure OXID holds the person only in %v", hits)
	}

	r, err := e.app.Handlers.EraseCustomer(context.Background(), cust.ID, hub.EraseRequest{Source: "api"})
	if err != nil {
		t.Fatal(err)
	}
	var steps []hub.PrivacyStep
	eventually(t, 20*time.Second, "erasure never finished", func() bool {
		var req *hub.PrivacyRequest
		req, steps, err = e.app.Store.PrivacyRequest(context.Background(), r.ID)
		return err == nil && req.Status != hub.PrivacyPending
	})
	got := map[string]string{}
	for _, st := range steps {
		got[st.Instance] = st.Action + " " + st.Status + " " + st.Outcome
	}
	want := map[string]string{"oxid": "delete done anonymized", "shopify": "none skipped ", "shopware": "none skipped "}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("step %s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if hits := shop.FindText(person); len(hits) > 0 {
		t.Errorf("after the erasure OXID still holds: %s", strings.Join(hits, "; "))
	}
	// The anonymized record polled again does not bring anyone back.
	time.Sleep(2 * time.Second)
	e.quiet(t)
	var n int64
	e.app.Store.DB().Model(&hub.Link{}).Where("instance = ? AND external_id = ?", "oxid", oxidID).Count(&n)
	if n != 0 {
		t.Error("the anonymized OXID record was taken in again")
	}
}
