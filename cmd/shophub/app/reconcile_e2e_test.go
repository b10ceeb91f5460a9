package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/hub"
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
// that say a record of instance is deleted, or ask whether it is (a sweep
// did not list it).
func pendingDeletions(t *testing.T, a *app.App, instance string) []string {
	t.Helper()
	var ids []string
	for _, task := range pendingIngests(t, a) {
		var p shsync.IngestPayload
		if err := json.Unmarshal(task.Payload, &p); err != nil {
			t.Fatal(err)
		}
		if p.Instance == instance && (p.Deleted || p.Unlisted) {
			ids = append(ids, p.ExternalID)
		}
	}
	return ids
}

// pendingIngests lists the pending ingest tasks.
func pendingIngests(t *testing.T, a *app.App) []*asynq.TaskInfo {
	t.Helper()
	tasks, err := a.DeadLetters.Inspector.ListPendingTasks(shsync.QueueIngest, asynq.PageSize(1000))
	if errors.Is(err, asynq.ErrQueueNotFound) {
		return nil // nothing was ever queued
	}
	if err != nil {
		t.Fatal(err)
	}
	return tasks
}

// TestMagentoSweepFindsAddressEditsAndDeletions is issue 15's must-show
// for reconciliation: Magento does not move a customer's updated_at when
// only an address changes, so no poll sees that edit, and it sends
// nothing when a customer is deleted without webhooks; a reconciliation
// sweep applies the edit and reports the deleted customer as deleted.
func TestMagentoSweepFindsAddressEditsAndDeletions(t *testing.T) {
	t.Parallel()
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

// TestOXIDSweepFindsHardDeletes: OXID's admin deletes a customer's rows
// outright; no poll can see that, a reconciliation sweep does.
func TestOXIDSweepFindsHardDeletes(t *testing.T) {
	t.Parallel()
	shop := oxidtest.New(t)
	ids := shop.Seed(3)
	a := pollApp(t, config.Connector{Name: "oxid", Type: "oxid", Settings: map[string]any{"dsn": shop.DSN, "page_size": 2}})
	pollOnce(t, a, "oxid")
	shop.DeleteCustomer(ids[1])
	pollOnce(t, a, "oxid")
	if got := pendingDeletions(t, a, "oxid"); len(got) != 0 {
		t.Fatalf("deletions before the sweep: %v", got)
	}
	st := sweep(t, a, "oxid")
	if got := pendingDeletions(t, a, "oxid"); len(got) != 1 || got[0] != ids[1] {
		t.Errorf("deletions sent by the sweep: %v, want only %s", got, ids[1])
	}
	if st.Listed != 2 || st.Deleted != 1 {
		t.Errorf("sweep state %+v: want 2 listed, 1 deleted", st)
	}
}

// TestOXIDRegistrationReplacesGuest: shophub creates OXID accounts as OXID
// guests (no password, as OXID's checkout without registration does):
// OXID's "forgot password" ignores them, and registering in the storefront
// with that email is what makes them usable — OXID then deletes the guest
// row with its addresses and newsletter row and creates a new account.
// shophub follows: the new account joins the same hub customer by email,
// the next sweep reports the guest deleted, and the hub keeps what OXID
// dropped.
func TestOXIDRegistrationReplacesGuest(t *testing.T) {
	t.Parallel()
	shop := oxidtest.New(t)
	email := "gast@example.com"
	guest := shop.CreateCustomer(map[string]any{"OXUSERNAME": email, "OXPASSWORD": "", "OXFNAME": "Greta", "OXLNAME": "Gast"})
	shop.AddDeliveryAddress(guest, map[string]any{"OXFNAME": "Greta", "OXLNAME": "Gast", "OXCITY": "Hamburg"})
	shop.Subscribe(guest, 1)
	a := pollApp(t, config.Connector{Name: "oxid", Type: "oxid", Settings: map[string]any{"dsn": shop.DSN, "page_size": 10}})
	pollOnce(t, a, "oxid")
	c, err := a.Store.CustomerByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	if shop.ForgotPassword(email) {
		t.Fatal("OXID's forgot-password found a guest account: the emulator lost OXID's rule")
	}

	registered := shop.Register(email, map[string]any{"OXFNAME": "Greta", "OXLNAME": "Gast"})
	if _, ok := shop.Customer(guest); ok || len(shop.Addresses(guest)) != 0 {
		t.Fatal("registration left the guest row or its addresses")
	}
	if !shop.ForgotPassword(email) {
		t.Error("the registered account gets no password reset")
	}
	pollOnce(t, a, "oxid")
	sweep(t, a, "oxid")
	if got := pendingDeletions(t, a, "oxid"); len(got) != 1 || got[0] != guest {
		t.Errorf("deletions sent by the sweep: %v, want the replaced guest %s", got, guest)
	}

	after, err := a.Store.CustomerByEmail(context.Background(), email)
	if err != nil || after.ID != c.ID {
		t.Fatalf("after the registration the email belongs to customer %v (%v), want %d", after, err, c.ID)
	}
	links, err := a.Store.Links(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	linked := false
	for _, l := range links {
		linked = linked || (l.Instance == "oxid" && l.ExternalID == registered)
	}
	if !linked {
		t.Errorf("the registered account %s is not linked to the customer (links %v)", registered, links)
	}
	d := hubDoc(t, a, email)
	if ship, _ := d["shipping_address"].(map[string]any); ship["city"] != "Hamburg" {
		t.Errorf("the hub lost the delivery address OXID dropped: %v", d["shipping_address"])
	}
	if em, _ := d["email_marketing"].(map[string]any); em["subscribed"] != true {
		t.Errorf("the hub lost the consent OXID dropped: %v", d["email_marketing"])
	}
}

// TestSweepRefusesMassDeletion: a sweep that lists none (or few) of the
// linked records — a wrong scope or a revoked grant looks exactly like
// that — sends no deletions and says why in its state.
func TestSweepRefusesMassDeletion(t *testing.T) {
	t.Parallel()
	mage := magentotest.New(magentotest.Options{})
	url := mage.Start()
	t.Cleanup(mage.Close)
	ids := mage.Seed(3)
	a := pollApp(t, config.Connector{Name: "magento", Type: "magento",
		Settings: map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "page_size": 10}})
	pollOnce(t, a, "magento")
	for _, id := range ids {
		mage.DeleteCustomer(id)
	}
	st := sweep(t, a, "magento")
	if got := pendingDeletions(t, a, "magento"); len(got) != 0 {
		t.Errorf("a sweep that listed nothing sent %d deletions", len(got))
	}
	if st.Refused == "" || st.Deleted != 0 {
		t.Errorf("sweep state %+v: want the deletions refused with a reason", st)
	}
}

// TestSweepAsksBeforeDeleting: a listing can skip a record that exists
// (Help Scout's and the REST ERPs' page numbers shift when a record
// before it is edited mid-walk). A sweep that did not list a linked record
// fetches it: the one the vendor still has stays linked and is merged,
// only the one the vendor has lost is marked deleted, dated at the fetch.
func TestSweepAsksBeforeDeleting(t *testing.T) {
	t.Parallel()
	mage := magentotest.New(magentotest.Options{})
	mageURL := mage.Start()
	t.Cleanup(mage.Close)
	ids := mage.Seed(6)
	skipped, gone := ids[2], ids[4]
	var hide atomic.Bool
	via := proxyTo(t, mageURL, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if !hide.Load() || !strings.HasSuffix(r.URL.Path, "/V1/customers/search") {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		var page map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
			t.Error(err)
			return
		}
		items, _ := page["items"].([]any)
		kept := items[:0]
		for _, it := range items {
			if fmt.Sprint(it.(map[string]any)["id"]) != skipped {
				kept = append(kept, it)
			}
		}
		page["items"] = kept
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(page)
	})
	a := pollApp(t, config.Connector{Name: "magento", Type: "magento",
		Settings: map[string]any{"base_url": via, "access_token": magentotest.DefaultIntegrationToken, "page_size": 2}})
	pollOnce(t, a, "magento")
	if !mage.DeleteCustomer(gone) {
		t.Fatal("delete failed")
	}
	hide.Store(true)
	before := time.Now()
	sweep(t, a, "magento")
	hide.Store(false)
	if got := pendingDeletions(t, a, "magento"); len(got) != 2 {
		t.Fatalf("records the sweep asks about: %v, want the skipped %s and the deleted %s", got, skipped, gone)
	}
	runPendingIngests(t, a)

	for _, c := range []struct {
		id      string
		deleted bool
	}{{skipped, false}, {gone, true}} {
		var l hub.Link
		if err := a.Store.DB().Where("instance = ? AND resource = ? AND external_id = ?", "magento", "customer", c.id).Take(&l).Error; err != nil {
			t.Fatalf("link of %s: %v", c.id, err)
		}
		switch {
		case c.deleted && (l.VendorDeletedAt == nil || l.VendorDeletedAt.Before(before)):
			t.Errorf("link of the deleted %s: deleted at %v, want marked at the sweep's fetch (after %v)", c.id, l.VendorDeletedAt, before)
		case !c.deleted && l.VendorDeletedAt != nil:
			t.Errorf("the skipped %s, still at Magento, was marked deleted at %v", c.id, l.VendorDeletedAt)
		}
	}
}

// runPendingIngests runs every pending ingest task once, as a worker would.
func runPendingIngests(t *testing.T, a *app.App) {
	t.Helper()
	for _, task := range pendingIngests(t, a) {
		if err := a.Handlers.Ingest(context.Background(), asynq.NewTask(task.Type, task.Payload)); err != nil {
			t.Errorf("ingest %s: %v", task.Payload, err)
		}
	}
}
