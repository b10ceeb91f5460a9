package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/magento/magentotest"
)

// TestMagentoCustomerReachesShopsAndBack is the Magento issue's must-show
// 2: a customer changed in Magento reaches Shopify and Shopware within one
// poll interval; a Shopware change reaches Magento; a custom attribute and
// an address shophub does not map survive shophub's full-save update.
func TestMagentoCustomerReachesShopsAndBack(t *testing.T) {
	t.Parallel()
	const pollInterval = time.Second
	mage, withMagento := newMagento(t, pollInterval) // push_e2e_test.go

	email := "magda@example.com"
	magentoID := mage.CreateCustomer(map[string]any{
		"email": email, "firstname": "Magda", "lastname": "Lena", "dob": "1980-04-01", "group_id": 2,
		"custom_attributes": []any{map[string]any{"attribute_code": "loyalty_number", "value": "LY-1"}},
		"addresses": []any{
			map[string]any{"firstname": "Magda", "lastname": "Lena", "street": []any{"Domplatz 1"}, "city": "Köln", "postcode": "50667",
				"country_id": "DE", "telephone": "0221 123456", "default_billing": true, "default_shipping": true},
			map[string]any{"firstname": "Magda", "lastname": "Lena", "street": []any{"Strandweg 9"}, "city": "Sylt", "postcode": "25980",
				"country_id": "DE", "telephone": "04651 1"},
		},
	})

	e := newEnv(t, envOptions{tune: withMagento})

	// Magento → hub → Shopify and Shopware.
	var shopifyID, shopwareID string
	eventually(t, 15*time.Second, "Magento customer never reached both shops", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		shopifyID, shopwareID = e.linkOf(t, c.ID, "shopify"), e.linkOf(t, c.ID, "shopware")
		return shopifyID != "" && shopwareID != ""
	})
	e.quiet(t)

	// A change in Magento reaches both shops within one poll interval
	// (plus the pipeline's own few hundred milliseconds). Magento stamps
	// updated_at in whole seconds: an edit in the very second the record
	// was created and already polled would look unchanged, so the merchant
	// edits in a later second, as any human does.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	changed := time.Now()
	if err := mage.UpdateCustomer(magentoID, map[string]any{"lastname": "Lenz"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, pollInterval+5*time.Second, "Magento edit never reached Shopify and Shopware", func() bool {
		sf, ok1 := e.shopify.Customer(shopifyID)
		sw, ok2 := e.shopware.Customer(shopwareID)
		return ok1 && ok2 && sf["last_name"] == "Lenz" && sw["lastName"] == "Lenz"
	})
	t.Logf("Magento edit reached both shops after %s (poll interval %s)", time.Since(changed).Round(10*time.Millisecond), pollInterval)
	if sf, _ := e.shopify.Customer(shopifyID); sf["phone"] != "+49221123456" {
		t.Errorf("Shopify phone %v, want Magento's billing telephone in E.164", sf["phone"])
	}

	// Shopware → hub → Magento, through Magento's full-save PUT.
	e.quiet(t)
	if !e.shopware.UpdateCustomer(shopwareID, map[string]any{"firstName": "Magdalena"}) {
		t.Fatalf("Shopware has no customer %s", shopwareID)
	}
	eventually(t, 15*time.Second, "Shopware edit never reached Magento", func() bool {
		c, ok := mage.Customer(magentoID)
		return ok && c["firstname"] == "Magdalena"
	})
	e.quiet(t)
	c, _ := mage.Customer(magentoID)
	ca, _ := c["custom_attributes"].([]any)
	if len(ca) != 1 || ca[0].(map[string]any)["value"] != "LY-1" {
		t.Errorf("custom attribute did not survive shophub's update: %v", c["custom_attributes"])
	}
	if c["group_id"] != int64(2) || c["dob"] != "1980-04-01" {
		t.Errorf("group %v / dob %v changed by shophub's update", c["group_id"], c["dob"])
	}
	addrs, _ := c["addresses"].([]any)
	sylt := false
	for _, a := range addrs {
		if a.(map[string]any)["city"] == "Sylt" {
			sylt = true
		}
	}
	if len(addrs) != 2 || !sylt {
		t.Errorf("unmapped address did not survive shophub's update: %v", addrs)
	}
	if n := mage.Count(); n != 1 {
		t.Errorf("%d Magento customers, want 1", n)
	}

	// Idle: Magento's polled echo of shophub's own write changes nothing.
	before, _ := e.hubCustomer(t, email)
	time.Sleep(3 * pollInterval)
	e.quiet(t)
	after, _ := e.hubCustomer(t, email)
	if after.Version != before.Version {
		t.Errorf("hub version moved from %d to %d with nobody editing: an echo loop", before.Version, after.Version)
	}
}

// TestMagentoEditOverwrittenOnTheWireIsRecovered: an admin saves a
// Magento customer while our full-save PUT is on its way (after the
// writer's check, before the PUT lands). Magento has no conditional write:
// the PUT reverts the admin's save, and the record fetched for the save's
// webhook already holds our values. The webhook's own record still shows
// the admin's edit (connectors.Event.Snapshot); the hub takes it, and
// Magento and Shopify end with both edits.
func TestMagentoEditOverwrittenOnTheWireIsRecovered(t *testing.T) {
	t.Parallel()
	mage := magentotest.New(magentotest.Options{})
	mageURL := mage.Start()
	t.Cleanup(mage.Close)
	// In front of Magento: the first armed PUT of a customer waits for the
	// admin's save before it is sent on.
	var armed atomic.Pointer[func()]
	target, _ := url.Parse(mageURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/V1/customers/") {
			if f := armed.Swap(nil); f != nil {
				(*f)()
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(proxy.Close)
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{Name: "magento", Type: "magento", PollInterval: config.Duration(time.Second),
			Settings: map[string]any{"base_url": proxy.URL, "access_token": magentotest.DefaultIntegrationToken, "page_size": 50,
				"webhook_public_key": mage.PublicKeyPEM()}})
	}})
	shopifyID, custID, magentoID := e.shopifyCustomerAtMagento(t, mage, "wire@example.com", "Wilma", "Draht")

	// The admin renames her while our push of the Shopify edit is on the wire.
	admin := func() {
		if err := mage.UpdateCustomer(magentoID, map[string]any{"lastname": "Kabel"}); err != nil {
			t.Error(err)
		}
	}
	armed.Store(&admin)
	nextSecond()
	if err := e.shopify.UpdateCustomer(shopifyID, map[string]any{"first_name": "Wilhelmine"}); err != nil {
		t.Fatal(err)
	}
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("last seen: %s", last)
		}
	}()
	eventually(t, 60*time.Second, "Magento and Shopify never held both edits", func() bool {
		m, _ := mage.Customer(magentoID)
		s, _ := e.shopify.Customer(shopifyID)
		_, hub, _ := e.app.Store.Customer(context.Background(), custID)
		last = fmt.Sprintf("armed %v; magento %v %v; shopify %v %v; hub %v %v", armed.Load() != nil, m["firstname"], m["lastname"],
			s["first_name"], s["last_name"], hub["first_name"], hub["last_name"])
		return armed.Load() == nil && m["firstname"] == "Wilhelmine" && m["lastname"] == "Kabel" &&
			s["first_name"] == "Wilhelmine" && s["last_name"] == "Kabel" && hub["last_name"] == "Kabel"
	})
	e.quiet(t)
	if m, _ := mage.Customer(magentoID); m["lastname"] != "Kabel" {
		t.Errorf("Magento lastname %v after quiet, want the admin's Kabel", m["lastname"])
	}
}

// TestMagentoAddressSetBackReachesHub: convergence seed 7, a value set
// back at a vendor to one it held before.
//
// Magento: our pushes write a billing city Ulm, Kiel, Ulm; an admin sets
// Kiel again. Magento keeps updated_at on an address-only save
// (magento/magento2 #5013), so that save sends the webhook our Kiel push
// caused, byte for byte, and no poll by updated_at lists it (the poll
// here is an hour away anyway). The body's hash is no delivery id: the
// delivery is fetched and the hub takes Kiel. Before, the ingest dropped
// it as a re-delivery of an applied event, and Magento alone held Kiel.
//
// Shopify: it holds Kiel from our push when its own edit sets Bonn; then
// the Magento admin sets Kiel again. The hub's Kiel renders for Shopify
// as our last push there did, yet Shopify holds its own Bonn: the push
// must write. Before, it was skipped as "rendered as last pushed" and
// Shopify kept Bonn.
func TestMagentoAddressSetBackReachesHub(t *testing.T) {
	t.Parallel()
	c := newMagentoCities(t, "setback@example.com", "Berta", "Zurück")
	before := c.updatedAt()

	c.atShopify("Ulm")
	c.atShopify("Kiel")
	c.atShopify("Ulm")
	c.atMagento("Kiel") // the body of our Kiel push's webhook again; pushed to Shopify
	c.atShopify("Bonn")
	c.atMagento("Kiel") // the admin's first Kiel body again; Shopify last got Kiel from us and holds its own Bonn
	if after := c.updatedAt(); after != before {
		t.Errorf("Magento's updated_at moved from %v to %v on address-only saves: the emulator no longer keeps it and this test proves less", before, after)
	}
}

// TestMagentoOldValueIsNoSetBack: a Magento admin's edit that the hub
// took and another shop then replaced is no value set back at Magento.
//
// Our push writes Ulm; the admin sets Bonn (address-only: updated_at
// stays at the customer's creation, a second before that push); the hub
// takes Bonn and pushes nothing back to Magento; Shopify sets Ulm again.
// The push of Ulm to Magento reads Bonn there. Judged by Magento's stamp,
// the Bonn record the hub last took predated our Ulm push, so Bonn read
// after that push looked written back over it, an edit after our push of
// the hub's value: the hub took Bonn back over Shopify's newer Ulm. It
// was read after that push, so it is the value the hub already took and
// Shopify replaced: Ulm, the newest edit, must hold everywhere.
func TestMagentoOldValueIsNoSetBack(t *testing.T) {
	t.Parallel()
	c := newMagentoCities(t, "oldvalue@example.com", "Olga", "Alt")
	before := c.updatedAt()

	c.atShopify("Ulm") // our push of Ulm, in a second after Magento's stamp
	c.atMagento("Bonn")
	c.atShopify("Ulm")
	if after := c.updatedAt(); after != before {
		t.Errorf("Magento's updated_at moved from %v to %v on an address-only save: the emulator no longer keeps it and this test proves less", before, after)
	}
}

// magentoCities is a Shopify customer pushed to Magento (billing city
// Kiel), whose billing city the tests edit at either shop and follow at
// Magento, in the hub and at Shopify. Magento's poll is an hour away:
// only its webhooks bring its edits.
type magentoCities struct {
	t                    *testing.T
	e                    *env
	mage                 *magentotest.Emulator
	shopifyID, magentoID string
	custID               uint64
}

func newMagentoCities(t *testing.T, email, first, last string) *magentoCities {
	t.Helper()
	mage := magentotest.New(magentotest.Options{})
	mageURL := mage.Start()
	t.Cleanup(mage.Close)
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		c.Connectors = append(c.Connectors, config.Connector{Name: "magento", Type: "magento", PollInterval: config.Duration(time.Hour),
			Settings: map[string]any{"base_url": mageURL, "access_token": magentotest.DefaultIntegrationToken, "page_size": 50,
				"webhook_public_key": mage.PublicKeyPEM()}})
	}})
	c := &magentoCities{t: t, e: e, mage: mage}
	c.shopifyID, c.custID, c.magentoID = e.shopifyCustomerAtMagento(t, mage, email, first, last)
	return c
}

// magento is the Magento customer and its default billing city.
func (c *magentoCities) magento() (string, map[string]any) {
	m, _ := c.mage.Customer(c.magentoID)
	addrs, _ := m["addresses"].([]any)
	for _, x := range addrs {
		if a, _ := x.(map[string]any); a != nil && a["default_billing"] == true {
			s, _ := a["city"].(string)
			return s, m
		}
	}
	return "", m
}

func (c *magentoCities) updatedAt() any {
	_, m := c.magento()
	return m["updated_at"]
}

func (c *magentoCities) cities() (m, h, s string) {
	m, _ = c.magento()
	_, doc, _ := c.e.app.Store.Customer(context.Background(), c.custID)
	sf, _ := c.e.shopify.Customer(c.shopifyID)
	da, _ := sf["default_address"].(map[string]any)
	s, _ = da["city"].(string)
	return m, billingCity(doc), s
}

// everywhere waits until Magento, the hub and Shopify hold city, and
// checks they still do once the pipeline is quiet.
func (c *magentoCities) everywhere(city, what string) {
	t := c.t
	t.Helper()
	var last string
	defer func() {
		if t.Failed() {
			t.Logf("%s %s, last seen: %s", what, city, last)
		}
	}()
	eventually(t, 15*time.Second, what+": "+city+" never reached Magento, the hub and Shopify", func() bool {
		m, h, s := c.cities()
		last = fmt.Sprintf("magento %s, hub %s, shopify %s", m, h, s)
		return m == city && h == city && s == city
	})
	c.e.quiet(t)
	if m, h, s := c.cities(); m != city || h != city || s != city {
		t.Fatalf("%s, after quiet: magento %s, hub %s, shopify %s; want %s everywhere (last seen: %s)", what, m, h, s, city, last)
	}
}

// Each edit in a later second, as people edit (the vendors stamp whole
// seconds or milliseconds of their own clocks).

func (c *magentoCities) atShopify(city string) {
	c.t.Helper()
	nextSecond()
	if err := shopifyEdit(&sixEnv{env: c.e}, c.shopifyID, map[string]any{"city": city}); err != nil {
		c.t.Fatal(err)
	}
	c.everywhere(city, "Shopify's edit")
}

// atMagento is an admin's address-only save, which keeps the customer's
// updated_at (magento/magento2 #5013).
func (c *magentoCities) atMagento(city string) {
	c.t.Helper()
	nextSecond()
	_, m := c.magento()
	addrs, _ := m["addresses"].([]any)
	for _, x := range addrs {
		if a, _ := x.(map[string]any); a != nil && a["default_billing"] == true {
			a["city"] = city
		}
	}
	if err := c.mage.UpdateCustomer(c.magentoID, map[string]any{"addresses": addrs}); err != nil {
		c.t.Fatal(err)
	}
	c.everywhere(city, "the Magento admin's edit")
}

// shopifyCustomerAtMagento points mage's webhooks at shophub, creates a
// Shopify customer with a billing address in Kiel, and waits until the
// hub has pushed her to Magento and is quiet.
func (e *env) shopifyCustomerAtMagento(t *testing.T, mage *magentotest.Emulator, email, first, last string) (shopifyID string, custID uint64, magentoID string) {
	t.Helper()
	mage.SetWebhookURL(e.app.URL() + "/webhooks/magento")
	shopifyID = e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": first, "last_name": last,
		"addresses": []any{map[string]any{"address1": "Ringstraße 1", "city": "Kiel", "zip": "24103", "country_code": "DE", "default": true}}})
	eventually(t, 30*time.Second, "customer never reached Magento", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		custID, magentoID = c.ID, e.linkOf(t, c.ID, "magento")
		return magentoID != ""
	})
	e.quiet(t)
	return shopifyID, custID, magentoID
}
