package oxid_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
)

func lister(t *testing.T, shop *oxidtest.Shop, pageSize int) connectors.Lister {
	t.Helper()
	return build(t, map[string]any{"dsn": shop.DSN, "page_size": pageSize}).(connectors.Lister)
}

func ids(recs []connectors.Record) map[string]int {
	m := map[string]int{}
	for _, r := range recs {
		m[r.ExternalID]++
	}
	return m
}

// nextSecond waits until the wall clock is in a new second: OXTIMESTAMP
// has second resolution, and a change in the second a customer was last
// read shares the cursor's second (see README).
func nextSecond() {
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
}

// TestSameSecondBoundary: a mass action saves many customers in one
// second; paging through that second with a small page size returns each
// exactly once, and customers saved later in that same second are still
// picked up — once.
func TestSameSecondBoundary(t *testing.T) {
	shop := oxidtest.New(t)
	l := lister(t, shop, 7)
	seeded := shop.Seed(25)
	_, cursor := connectortest.ListAll(t, l, connectors.ResourceCustomer, "")

	nextSecond()
	// One statement: MariaDB gives every row the same CURRENT_TIMESTAMP.
	if _, err := shop.DB.Exec("UPDATE oxuser SET OXBONI = OXBONI + 1 WHERE OXSHOPID = 1"); err != nil {
		t.Fatal(err)
	}
	var second string
	if err := shop.DB.QueryRow("SELECT MIN(OXTIMESTAMP) FROM oxuser").Scan(&second); err != nil {
		t.Fatal(err)
	}
	var distinct int
	_ = shop.DB.QueryRow("SELECT COUNT(DISTINCT OXTIMESTAMP) FROM oxuser").Scan(&distinct)
	if distinct != 1 {
		t.Fatalf("mass update spread over %d seconds", distinct)
	}

	got, cursor := connectortest.ListAll(t, l, connectors.ResourceCustomer, cursor)
	seen := ids(got)
	for _, id := range seeded {
		if seen[id] != 1 {
			t.Errorf("customer %s listed %d times across pages of one second, want 1", id, seen[id])
		}
	}
	if len(got) != len(seeded) {
		t.Errorf("listed %d records, want %d", len(got), len(seeded))
	}

	// A customer saved later in that very second (its OXTIMESTAMP equal
	// to the cursor's), and a second edit of one already listed in it, are
	// listed by the next poll; so they are from the stale cursor.
	late := shop.CreateCustomer(map[string]any{"OXTIMESTAMP": second})
	if _, err := shop.DB.Exec("UPDATE oxuser SET OXFNAME = 'Again', OXTIMESTAMP = ? WHERE OXID = ?", second, seeded[3]); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{cursor, ""} {
		got, _ := connectortest.ListAll(t, l, connectors.ResourceCustomer, from)
		byID := map[string]connectors.Record{}
		for _, r := range got {
			byID[r.ExternalID] = r
		}
		if _, ok := byID[late]; !ok {
			t.Errorf("from %q: a customer saved in the cursor's second after it was read is not listed", from)
		}
		if byID[seeded[3]].Data["OXFNAME"] != "Again" {
			t.Errorf("from %q: a second edit in the cursor's second is not listed", from)
		}
	}
}

// TestAddressAndNewsletterChangesAreCustomerChanges: a customer whose own
// row did not change but whose delivery address or newsletter row did is
// listed, with that change's time.
func TestAddressAndNewsletterChangesAreCustomerChanges(t *testing.T) {
	shop := oxidtest.New(t)
	l := lister(t, shop, 50)
	c := shop.Seed(3)
	addr := shop.AddDeliveryAddress(c[0], nil)
	_, cursor := connectortest.ListAll(t, l, connectors.ResourceCustomer, "")
	before, _ := shop.Customer(c[1])

	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"new delivery address", func() { shop.AddDeliveryAddress(c[1], map[string]any{"OXCITY": "Hamburg"}) }, c[1]},
		{"edited delivery address", func() {
			if err := shop.UpdateDeliveryAddress(addr, map[string]any{"OXZIP": "10117"}); err != nil {
				t.Fatal(err)
			}
		}, c[0]},
		{"newsletter subscription", func() { shop.Subscribe(c[2], 1) }, c[2]},
		{"newsletter unsubscription", func() { shop.Subscribe(c[2], 0) }, c[2]},
	}
	for _, s := range steps {
		nextSecond()
		s.change()
		got, next := connectortest.ListAll(t, l, connectors.ResourceCustomer, cursor)
		// The look-back lists earlier steps' customers again; the one
		// changed now is listed with its change's time.
		found := false
		for _, r := range got {
			if r.ExternalID == s.want && r.UpdatedAt.After(time.Now().Add(-2*time.Second)) {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s: listed %v, want %s with its change's time", s.name, ids(got), s.want)
		}
		cursor = next
	}
	after, _ := shop.Customer(c[1])
	if after["OXTIMESTAMP"] != before["OXTIMESTAMP"] {
		t.Error("the oxuser row itself changed; the test would prove nothing")
	}

	// The record carries what changed.
	f := build(t, map[string]any{"dsn": shop.DSN}).(connectors.Fetcher)
	rec, err := f.Fetch(context.Background(), connectors.ResourceCustomer, c[1])
	if err != nil {
		t.Fatal(err)
	}
	addrs, _ := rec.Data["addresses"].([]any)
	if len(addrs) != 1 || addrs[0].(map[string]any)["OXCITY"] != "Hamburg" || addrs[0].(map[string]any)["country"] != "DE" {
		t.Errorf("addresses = %v", rec.Data["addresses"])
	}
	rec, _ = f.Fetch(context.Background(), connectors.ResourceCustomer, c[2])
	if n, _ := rec.Data["newsletter"].(map[string]any); n == nil || n["OXDBOPTIN"] != "0" || n["consent_updated_at"] == nil {
		t.Errorf("newsletter = %v", rec.Data["newsletter"])
	}
	if _, leaked := rec.Data["OXPASSWORD"]; leaked {
		t.Error("record carries the password hash")
	}
}

// TestAdminsAndOtherShopsAreNotListed: shop administrators and customers
// of another OXSHOPID stay out; a deactivated customer comes as deleted.
func TestAdminsAndOtherShopsAreNotListed(t *testing.T) {
	shop := oxidtest.New(t)
	l := lister(t, shop, 50)
	cust := shop.Seed(1)[0]
	shop.CreateAdmin("admin@example.com")
	shop.CreateCustomer(map[string]any{"OXSHOPID": 2})
	gone := shop.CreateCustomer(map[string]any{"OXACTIVE": 0})
	got, _ := connectortest.ListAll(t, l, connectors.ResourceCustomer, "")
	m := ids(got)
	if len(got) != 2 || m[cust] != 1 || m[gone] != 1 {
		t.Fatalf("listed %v, want the customer and the deactivated one", m)
	}
	for _, r := range got {
		if r.Deleted != (r.ExternalID == gone) {
			t.Errorf("%s: Deleted = %v", r.ExternalID, r.Deleted)
		}
	}
}

func TestBadCursor(t *testing.T) {
	shop := oxidtest.New(t)
	l := lister(t, shop, 5)
	for _, c := range []string{"nonsense", `{"since":"yesterday"}`, `{"since":"2025-01-01 25:00:00"}`} {
		if _, err := l.List(context.Background(), connectors.ResourceCustomer, c); err == nil {
			t.Errorf("cursor %q accepted", c)
		}
	}
}

// TestResubscriptionConsentTime: OXID writes OXSUBSCRIBED only when the
// newsletter row is inserted, so a customer who unsubscribes and
// subscribes again keeps the first subscription's date there; the
// consent's time is then the row's last change, not that old date.
func TestResubscriptionConsentTime(t *testing.T) {
	shop := oxidtest.New(t)
	id := shop.Seed(1)[0]
	f := build(t, map[string]any{"dsn": shop.DSN}).(connectors.Fetcher)
	consent := func() (string, time.Time) {
		t.Helper()
		rec, err := f.Fetch(context.Background(), connectors.ResourceCustomer, id)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := rec.Data["newsletter"].(map[string]any)
		at, _ := time.Parse(time.RFC3339, fmt.Sprint(n["consent_updated_at"]))
		return fmt.Sprint(n["OXDBOPTIN"]), at
	}
	shop.Subscribe(id, 1)
	_, first := consent()
	nextSecond()
	shop.Subscribe(id, 0)
	state, unsub := consent()
	if state != "0" || !unsub.After(first) {
		t.Fatalf("after unsubscribing: OXDBOPTIN %s at %s (subscribed at %s)", state, unsub, first)
	}
	nextSecond()
	before := time.Now().Truncate(time.Second)
	shop.Subscribe(id, 1)
	if n, _ := shop.Newsletter(id); !strings.HasPrefix(fmt.Sprint(n["OXSUBSCRIBED"]), first.In(oxidtest.Zone).Format("2006-01-02 15:04")) {
		t.Fatalf("the emulator rewrote OXSUBSCRIBED on re-subscription: %v (first %s)", n["OXSUBSCRIBED"], first)
	}
	state, resub := consent()
	if state != "1" || resub.Before(before) {
		t.Errorf("re-subscription reads as OXDBOPTIN %s at %s, want 1 at or after %s (not the first subscription's %s)", state, resub, before, first)
	}
}
