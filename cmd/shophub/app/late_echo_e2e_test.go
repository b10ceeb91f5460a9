package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The push of a Shopware edit to Shopify is computed, then the user edits
// the same field at Shopware again and that edit is merged, and only then
// does the push's write land at Shopify. Shopify's webhook of our write
// carries the record (no fetch, no record lock of its own) stamped after
// the second edit, and reaches shophub before the push has recorded what
// it wrote. Merged then, it looked like an edit at Shopify newer than the
// second one and took the hub back to the first. It is our own write: it
// is merged once the push has recorded it, found stale, and Shopify gets
// the second edit.
func TestLateShopifyEchoOfAnOvertakenPushRevertsNothing(t *testing.T) {
	t.Parallel()
	var armed atomic.Bool
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	e := newEnv(t, envOptions{shopifyVia: func(target string) string {
		return proxyTo(t, target, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
			if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, "/customers/") || !armed.CompareAndSwap(true, false) {
				next.ServeHTTP(w, r)
				return
			}
			// The write waits until the second edit is merged, lands,
			// and its answer comes back a second later, after the
			// webhook of that write.
			arrived <- struct{}{}
			<-release
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			time.Sleep(time.Second)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
		})
	}})
	email := "overtaken@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Anfang", "last_name": "Echo",
		"addresses": []any{map[string]any{"address1": "Am Markt 1", "city": "Jena", "zip": "07743", "country_code": "DE", "default": true}}})
	_, shopwareID := e.atShopware(t, email)
	e.quiet(t)

	armed.Store(true)
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Eins"}) {
		t.Fatal("no Shopware customer")
	}
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatal("the push of the first edit never wrote to Shopify")
	}
	time.Sleep(100 * time.Millisecond)
	e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Zwei"})
	eventually(t, 10*time.Second, "the second edit never reached the hub", func() bool {
		_, data := e.hubCustomer(t, email)
		return data["first_name"] == "Zwei"
	})
	close(release)
	if err := e.shopify.WaitDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	e.quiet(t)

	c, data := e.hubCustomer(t, email)
	sf, _ := e.shopify.Customer(shopifyID)
	sw, _ := e.shopware.Customer(shopwareID)
	if data["first_name"] != "Zwei" || sf["first_name"] != "Zwei" || sw["firstName"] != "Zwei" {
		t.Errorf("hub %v, Shopify %v, Shopware %v; want Zwei everywhere", data["first_name"], sf["first_name"], sw["firstName"])
		if v, err := e.app.Store.View(context.Background(), c.ID, 10); err == nil {
			for _, ch := range v.Changes {
				t.Logf("  change v%d %s by %s at %s: %s → %s %s", ch.Version, ch.Field, ch.Instance, ch.SourceAt, ch.Old, ch.New, ch.Rejected)
			}
		}
	}
}
