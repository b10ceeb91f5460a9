package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	shsync "github.com/shophub/shophub/sync"
)

// sweep runs one reconciliation sweep of instance's customers to its end,
// as its scheduled task and continuations would, and returns its state.
func sweep(t *testing.T, a *app.App, instance string) shsync.SweepState {
	t.Helper()
	start := true
	for range 1000 {
		next, err := a.Handlers.SweepStep(context.Background(), instance, "customer", start)
		if err != nil {
			t.Fatalf("sweep of %s: %v", instance, err)
		}
		if next == "" {
			states, err := shsync.SweepStates(context.Background(), a.Store)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range states {
				if s.Instance == instance && s.Resource == "customer" {
					return s.State
				}
			}
			t.Fatalf("no sweep state of %s", instance)
		}
		start = false
	}
	t.Fatal("sweep never finished")
	return shsync.SweepState{}
}

// pendingDeletions returns the external ids of the pending ingest tasks
// that say a record of instance is deleted.
func pendingDeletions(t *testing.T, a *app.App, instance string) []string {
	t.Helper()
	tasks, err := a.DeadLetters.Inspector.ListPendingTasks(shsync.QueueIngest, asynq.PageSize(1000))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range tasks {
		var p shsync.IngestPayload
		if err := json.Unmarshal(task.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Instance == instance && p.Deleted {
			ids = append(ids, p.ExternalID)
		}
	}
	return ids
}

// TestMagentoSweepFindsAddressEditsAndDeletions is issue 15's must-show
// for reconciliation: Magento does not move a customer's updated_at when
// only an address changes, so no poll sees that edit, and it sends
// nothing when a customer is deleted without webhooks; a reconciliation
// sweep applies the edit and reports the deleted customer as deleted.
func TestMagentoSweepFindsAddressEditsAndDeletions(t *testing.T) {
	mage := magentotest.New(magentotest.Options{})
	url := mage.Start()
	t.Cleanup(mage.Close)
	t0 := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	mage.SetNow(t0)
	addr := func(city string) map[string]any {
		return map[string]any{"firstname": "Ada", "lastname": "Dress", "street": []any{"Alte Gasse 1"}, "city": city,
			"postcode": "50667", "country_id": "DE", "telephone": "0221 123456", "default_billing": true, "default_shipping": true}
	}
	ada := mage.CreateCustomer(map[string]any{"email": "ada@example.com", "firstname": "Ada", "lastname": "Dress", "addresses": []any{addr("Köln")}})
	mage.CreateCustomer(map[string]any{"email": "bert@example.com", "firstname": "Bert", "lastname": "Stays"})
	gone := mage.CreateCustomer(map[string]any{"email": "carla@example.com", "firstname": "Carla", "lastname": "Goes"})
	mage.SetNow(t0.Add(10 * time.Minute)) // later customers move the poll's cursor past Ada's second
	mage.Seed(3)                          // more than the sweep's page size, so it pages

	a := pollApp(t, config.Connector{Name: "magento", Type: "magento", Reconcile: config.Duration(24 * time.Hour),
		Settings: map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "page_size": 2}})
	pollOnce(t, a, "magento")
	if d := hubDoc(t, a, "carla@example.com"); d == nil {
		t.Fatal("backfill did not reach the hub")
	}

	// The merchant edits Ada's address (updated_at stays) and deletes
	// Carla, an hour later.
	mage.SetNow(t0.Add(time.Hour))
	c, _ := mage.Customer(ada)
	a0 := c["addresses"].([]any)[0].(map[string]any)
	a0["city"] = "Bonn"
	if err := mage.UpdateCustomer(ada, map[string]any{"addresses": []any{a0}}); err != nil {
		t.Fatal(err)
	}
	if !mage.DeleteCustomer(gone) {
		t.Fatal("delete failed")
	}
	pollOnce(t, a, "magento")
	if city := billingCity(hubDoc(t, a, "ada@example.com")); city != "Köln" {
		t.Fatalf("a poll saw the address-only edit (city %q): the emulator no longer hides it and this test proves nothing", city)
	}

	st := sweep(t, a, "magento")
	if city := billingCity(hubDoc(t, a, "ada@example.com")); city != "Bonn" {
		t.Errorf("after the sweep the hub's billing city is %q, want Bonn", city)
	}
	if got := pendingDeletions(t, a, "magento"); len(got) != 1 || got[0] != gone {
		t.Errorf("deletions sent by the sweep: %v, want only %s", got, gone)
	}
	if st.Finished == nil || st.Listed != 5 || st.Changed != 1 || st.Deleted != 1 || st.Pages < 3 {
		t.Errorf("sweep state %+v: want finished, 5 listed in pages, 1 changed, 1 deleted", st)
	}

	// Progress and results are metrics (read from the hub at scrape time).
	rec := httptest.NewRecorder()
	a.Metrics.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`shophub_reconcile_records{connector="magento",outcome="deleted",resource="customer"} 1`,
		`shophub_reconcile_records{connector="magento",outcome="changed",resource="customer"} 1`,
		`shophub_reconcile_running{connector="magento",resource="customer"} 0`,
		`shophub_reconcile_last_finished_timestamp_seconds{connector="magento",resource="customer"}`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A second sweep finds nothing new and sends no deletion twice.
	st = sweep(t, a, "magento")
	if st.Changed != 0 || st.Deleted != 1 {
		t.Errorf("second sweep %+v: want nothing changed and the one deletion again (its task id collapses it)", st)
	}
	if got := pendingDeletions(t, a, "magento"); len(got) != 1 {
		t.Errorf("deletions pending after the second sweep: %v", got)
	}
}

func billingCity(d map[string]any) string {
	b, _ := d["billing_address"].(map[string]any)
	s, _ := b["city"].(string)
	return s
}
