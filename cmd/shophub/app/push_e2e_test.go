package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/hub"
)

// apiCustomer reads the 360° view the admin API serves for a customer.
func (e *env) apiCustomer(t *testing.T, id uint64) hub.View {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.app.URL()+"/api/customers/"+strconv.FormatUint(id, 10), nil)
	req.Header.Set("Authorization", "Bearer "+e.cfg.Server.AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/customers/%d: %d %s", id, resp.StatusCode, b)
	}
	var v hub.View
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("360° view: %v: %s", err, b)
	}
	return v
}

func withAdminAPI(c *config.Config) { c.Server.AdminToken = "push-test-token" }

func (e *env) deadLetterCount(t *testing.T) int {
	t.Helper()
	counts, err := e.app.DeadLetters.Counts()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	return n
}

// A customer Shopware cannot hold yet (no address) is no failure: the push
// waits, visibly, without a dead letter, and follows once Shopify adds an
// address.
func TestCustomerWithoutAddressWaitsForShopware(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: withAdminAPI})
	email := "ohne.adresse@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Olga", "last_name": "Ohne"})

	var cust *hub.Customer
	eventually(t, 15*time.Second, "customer never reached the hub", func() bool {
		cust, _ = e.hubCustomer(t, email)
		return cust != nil
	})
	e.quiet(t)
	v := e.apiCustomer(t, cust.ID)
	if len(v.Waiting) != 1 || v.Waiting[0].Instance != "shopware" || v.Waiting[0].Reason == "" {
		t.Fatalf("360° view waiting = %+v, want shopware waiting with a reason", v.Waiting)
	}
	if id := e.linkOf(t, cust.ID, "shopware"); id != "" {
		t.Errorf("linked to Shopware record %s while waiting", id)
	}
	if n := e.deadLetterCount(t); n != 0 {
		t.Errorf("%d dead letters, want none: a customer without an address is not a failure", n)
	}
	counts, err := e.app.Store.WaitingCounts(context.Background())
	if err != nil || counts["shopware"] != 1 {
		t.Errorf("waiting counts %v (%v), want shopware 1", counts, err)
	}

	// The missing data arrives: the customer follows, and waits no more.
	if err := e.shopify.UpdateCustomer(shopifyID, map[string]any{"addresses": []any{map[string]any{
		"address1": "Domstraße 1", "city": "Köln", "zip": "50667", "country_code": "DE", "default": true}}}); err != nil {
		t.Fatal(err)
	}
	var shopwareID string
	eventually(t, 15*time.Second, "customer never reached Shopware once it had an address", func() bool {
		shopwareID = e.linkOf(t, cust.ID, "shopware")
		return shopwareID != ""
	})
	e.quiet(t)
	sw, ok := e.shopware.Customer(shopwareID)
	if !ok {
		t.Fatalf("hub links Shopware record %s, the emulator has none", shopwareID)
	}
	bill, _ := sw["defaultBillingAddress"].(map[string]any)
	if sw["email"] != email || bill == nil || bill["city"] != "Köln" {
		t.Errorf("Shopware holds email %v, billing address %v", sw["email"], bill)
	}
	if v := e.apiCustomer(t, cust.ID); len(v.Waiting) != 0 {
		t.Errorf("still waiting after the push: %+v", v.Waiting)
	}
	if n := e.deadLetterCount(t); n != 0 {
		t.Errorf("%d dead letters, want none", n)
	}
}

// writes is how many write requests each emulator has received.
type writes struct{ shopify, shopware, magento int64 }

func (w writes) minus(o writes) writes {
	return writes{w.shopify - o.shopify, w.shopware - o.shopware, w.magento - o.magento}
}

// A push writes only what the hub changed, and one edit makes at most one
// write per touchpoint: an edit of the first name in Shopify leaves
// Magento's mixed-case email, its local phone format and its empty
// company alone, and an address edit neither writes twice nor duplicates
// the address in Magento.
func TestPushWritesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	const pollInterval = time.Second
	mage, withMagento := newMagento(t, pollInterval)
	email := "Magda.Mixed@Example.com"
	magentoID := mage.CreateCustomer(map[string]any{
		"email": email, "firstname": "Magda", "lastname": "Lena",
		"addresses": []any{map[string]any{"firstname": "Magda", "lastname": "Lena", "street": []any{"Domplatz 1"}, "city": "Köln", "postcode": "50667",
			"country_id": "DE", "telephone": "030 1234567", "default_billing": true, "default_shipping": true}},
	})
	e := newEnv(t, envOptions{tune: withMagento})
	count := func() writes { return writes{e.shopify.Writes(), e.shopware.Writes(), mage.Writes()} }

	var shopifyID, shopwareID string
	eventually(t, 15*time.Second, "Magento customer never reached both shops", func() bool {
		c, _ := e.hubCustomer(t, "magda.mixed@example.com")
		if c == nil {
			return false
		}
		shopifyID, shopwareID = e.linkOf(t, c.ID, "shopify"), e.linkOf(t, c.ID, "shopware")
		return shopifyID != "" && shopwareID != ""
	})
	time.Sleep(2 * pollInterval) // Magento's poll reads shophub's echoes back
	e.quiet(t)
	before, _ := mage.Customer(magentoID)

	// One edit in Shopify costs each other touchpoint one write, and
	// Shopify none.
	edit := func(what string, fields map[string]any, arrived func() bool) {
		t.Helper()
		start := count()
		nextSecond()
		if err := e.shopify.UpdateCustomer(shopifyID, fields); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, what+" in Shopify never reached Magento and Shopware", arrived)
		time.Sleep(2 * pollInterval) // Magento's poll reads shophub's write back
		e.quiet(t)
		n := count().minus(start)
		t.Logf("writes for one %s in Shopify: shopify %d, shopware %d, magento %d", what, n.shopify, n.shopware, n.magento)
		if n != (writes{0, 1, 1}) {
			t.Errorf("one %s in Shopify wrote shopify %d, shopware %d, magento %d times; want 0, 1, 1", what, n.shopify, n.shopware, n.magento)
		}
	}

	// An unrelated edit: the first name.
	edit("first-name edit", map[string]any{"first_name": "Magdalena"}, func() bool {
		m, _ := mage.Customer(magentoID)
		sw, _ := e.shopware.Customer(shopwareID)
		return m["firstname"] == "Magdalena" && sw["firstName"] == "Magdalena"
	})
	after, _ := mage.Customer(magentoID)
	if after["email"] != before["email"] || after["email"] != email {
		t.Errorf("Magento email %v → %v: a push rewrote what nobody changed", before["email"], after["email"])
	}
	addrBefore, addrAfter := magentoAddresses(before), magentoAddresses(after)
	if len(addrAfter) != 1 || addrAfter[0]["telephone"] != "030 1234567" || addrAfter[0]["company"] != addrBefore[0]["company"] {
		t.Errorf("Magento addresses %v → %v: a push rewrote what nobody changed", addrBefore, addrAfter)
	}

	// An address edit: no second address in Magento.
	sf, _ := e.shopify.Customer(shopifyID)
	def, _ := sf["default_address"].(map[string]any)
	edit("address edit", map[string]any{"addresses": []any{map[string]any{"id": def["id"], "city": "Bonn", "zip": "53111"}}}, func() bool {
		m, _ := mage.Customer(magentoID)
		sw, _ := e.shopware.Customer(shopwareID)
		a := magentoAddresses(m)
		bill, _ := sw["defaultBillingAddress"].(map[string]any)
		return len(a) > 0 && a[0]["city"] == "Bonn" && bill != nil && bill["city"] == "Bonn"
	})
	m, _ := mage.Customer(magentoID)
	if a := magentoAddresses(m); len(a) != 1 || a[0]["telephone"] != "030 1234567" {
		t.Errorf("Magento addresses after the edit: %v; want the one address, its phone as Magento had it", a)
	}

	// Idle: nothing is written any more.
	start := count()
	time.Sleep(3 * pollInterval)
	e.quiet(t)
	if idle := count().minus(start); idle != (writes{}) {
		t.Errorf("writes while idle: %+v", idle)
	}
}

func magentoAddresses(c map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := c["addresses"].([]any)
	for _, a := range list {
		if m, ok := a.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// newMagento starts a Magento emulator for the test and returns it with the
// config change that adds it as instance "magento", polled every interval.
func newMagento(t *testing.T, pollInterval time.Duration) (*magentotest.Emulator, func(*config.Config)) {
	mage := magentotest.New(magentotest.Options{})
	url := mage.Start()
	t.Cleanup(mage.Close)
	return mage, func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{
			Name: "magento", Type: "magento", PollInterval: config.Duration(pollInterval),
			Settings: map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "page_size": 50},
		})
	}
}

// The stale push: the first name is edited in Shopware at t, the
// last name in Shopify at t+2s while the push of the first edit to Shopify
// waits on Shopify's rate limit. At quiescence every system holds both
// edits: the push reads Shopify before it writes, writes only the first
// name, and a push overtaken by a change is repeated.
func TestStalePushDoesNotRevertANewerEdit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	email := "stale@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Stefan", "last_name": "Alt",
		"addresses": []any{map[string]any{"address1": "Ringstraße 1", "city": "Kiel", "zip": "24103", "country_code": "DE", "default": true}}})
	_, shopwareID := e.atShopware(t, email)
	e.quiet(t)

	// Shopify answers 429 twice with Retry-After 2s: the push of the
	// Shopware edit waits 4s in place (the client's two in-place retries).
	e.shopify.Throttle(2, 2*time.Second)
	nextSecond()
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Stefanie"}) {
		t.Fatal("no Shopware customer")
	}
	eventually(t, 5*time.Second, "Shopware edit never reached the hub", func() bool {
		_, data := e.hubCustomer(t, email)
		return data["first_name"] == "Stefanie"
	})
	time.Sleep(2 * time.Second)
	if err := e.shopify.UpdateCustomer(shopifyID, map[string]any{"last_name": "Neu"}); err != nil {
		t.Fatal(err)
	}

	eventually(t, 30*time.Second, "systems never all held both edits", func() bool {
		_, data := e.hubCustomer(t, email)
		sf, _ := e.shopify.Customer(shopifyID)
		sw, _ := e.shopware.Customer(shopwareID)
		return data["first_name"] == "Stefanie" && data["last_name"] == "Neu" &&
			sf["first_name"] == "Stefanie" && sf["last_name"] == "Neu" &&
			sw["firstName"] == "Stefanie" && sw["lastName"] == "Neu"
	})
	e.quiet(t)
	time.Sleep(time.Second)
	e.quiet(t)
	_, data := e.hubCustomer(t, email)
	sf, _ := e.shopify.Customer(shopifyID)
	sw, _ := e.shopware.Customer(shopwareID)
	for _, got := range [][2]any{{data["first_name"], data["last_name"]}, {sf["first_name"], sf["last_name"]}, {sw["firstName"], sw["lastName"]}} {
		if got[0] != "Stefanie" || got[1] != "Neu" {
			t.Errorf("at quiescence hub %v %v, Shopify %v %v, Shopware %v %v; want Stefanie Neu everywhere",
				data["first_name"], data["last_name"], sf["first_name"], sf["last_name"], sw["firstName"], sw["lastName"])
			break
		}
	}
}

// Two edits of one customer within one second, each delivered by Shopify's
// webhook (and the first one again, late, as a retry), processed
// concurrently: the second edit wins everywhere. Shopify's updated_at has
// whole seconds; X-Shopify-Triggered-At orders them.
func TestTwoEditsWithinASecondKeepTheirOrder(t *testing.T) {
	t.Parallel()
	const n = 40
	e := newEnv(t, envOptions{})
	url := e.app.URL() + "/webhooks/shopify"
	ids := make([]string, n)
	for i := range ids {
		ids[i] = e.shopify.CreateCustomer(map[string]any{"email": fmt.Sprintf("order-%02d@example.com", i), "first_name": "Erst", "last_name": "Order",
			"addresses": []any{map[string]any{"address1": "Am Markt 1", "city": "Jena", "zip": "07743", "country_code": "DE", "default": true}}})
	}
	shopwareIDs := make([]string, n)
	eventually(t, 30*time.Second, "customers never all reached Shopware", func() bool {
		for i := range ids {
			if shopwareIDs[i] != "" {
				continue
			}
			c, _ := e.hubCustomer(t, fmt.Sprintf("order-%02d@example.com", i))
			if c == nil {
				return false
			}
			if shopwareIDs[i] = e.linkOf(t, c.ID, "shopware"); shopwareIDs[i] == "" {
				return false
			}
		}
		return true
	})
	e.quiet(t)

	var wg gosync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := e.shopify.UpdateCustomer(id, map[string]any{"first_name": fmt.Sprintf("Eins-%02d", i)}); err != nil {
				t.Error(err)
				return
			}
			first, _ := e.shopify.Customer(id)
			firstAt := time.Now() // after the first event, before the second
			// X-Shopify-Triggered-At has milliseconds: two edits within
			// one are not ordered by anything Shopify sends.
			time.Sleep(5 * time.Millisecond)
			if err := e.shopify.UpdateCustomer(id, map[string]any{"first_name": fmt.Sprintf("Zwei-%02d", i)}); err != nil {
				t.Error(err)
				return
			}
			// Shopify retries the first delivery; the retry arrives after
			// the second one, with the first event's time.
			h, body := e.shopify.SignedDelivery("customers/update", first)
			h.Set("X-Shopify-Triggered-At", firstAt.UTC().Format(time.RFC3339Nano))
			if code, resp := postWebhook(t, url, h, body); code != http.StatusOK {
				t.Errorf("late first delivery: %d %s", code, resp)
			}
		}()
	}
	wg.Wait()
	if err := e.shopify.WaitDeliveries(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.quiet(t)

	wrong := 0
	for i, id := range ids {
		want := fmt.Sprintf("Zwei-%02d", i)
		_, data := e.hubCustomer(t, fmt.Sprintf("order-%02d@example.com", i))
		sf, _ := e.shopify.Customer(id)
		sw, _ := e.shopware.Customer(shopwareIDs[i])
		if data["first_name"] != want || sf["first_name"] != want || sw["firstName"] != want {
			wrong++
			if wrong <= 3 {
				t.Errorf("customer %d: hub %v, Shopify %v, Shopware %v; want %s everywhere", i, data["first_name"], sf["first_name"], sw["firstName"], want)
				c, _ := e.hubCustomer(t, fmt.Sprintf("order-%02d@example.com", i))
				if v, err := e.app.Store.View(context.Background(), c.ID, 10); err == nil {
					for _, ch := range v.Changes {
						t.Logf("  change v%d %s by %s at %s: %s → %s %s", ch.Version, ch.Field, ch.Instance, ch.SourceAt, ch.Old, ch.New, ch.Rejected)
					}
				}
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d customers ended on the first of two edits somewhere", wrong, n)
	}
}
