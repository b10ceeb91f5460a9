package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/mappings"
)

// TestSixWayCustomerKeepsEveryField is issue 13's cross-system e2e: a
// Shopify customer with a region, a company and an address phone that is
// not the customer's phone reaches Shopware, Magento, OXID, Help Scout and
// Odoo. After every echo has come back, the hub and Shopify still hold
// every field Shopify gave, each other system holds exactly the hub's
// values on what it can hold (its coverage), and once idle nothing moves:
// no version, no vendor write.
func TestSixWayCustomerKeepsEveryField(t *testing.T) {
	t.Parallel()
	s := newSixEnv(t, sixOptions{})
	email := "hanna.hafen@example.com"
	addr := map[string]any{
		"first_name": "Hanna", "last_name": "Hafen", "company": "Hafen Kontor GmbH",
		"address1": "Jungfernstieg 7", "address2": "3. OG", "zip": "20354", "city": "Hamburg",
		"province": "Hamburg", "province_code": "HH", "country_code": "DE", "phone": "+49401234567", "default": true,
	}
	shopifyID := s.shopify.CreateCustomer(map[string]any{
		"email": email, "first_name": "Hanna", "last_name": "Hafen", "phone": "+4915111111111", "tags": "vip, b2b",
		"addresses": []any{addr},
	})

	// What Shopify holds, read before any echo could change it, is the
	// truth every later state is held against.
	sfTP, _ := s.app.Points.Get(tpShopify)
	shopifyDoc := func() mappings.Doc {
		rec, ok := s.shopify.Customer(shopifyID)
		if !ok {
			t.Fatalf("Shopify lost customer %s", shopifyID)
		}
		doc, err := sfTP.Mapping.Inbound(connectors.ResourceCustomer, rec)
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	truth := shopifyDoc()
	sfCov := s.coverageOf(t, tpShopify)
	for _, p := range []string{"phone", "billing_address.phone", "billing_address.region", "billing_address.company"} {
		if canon(valueAt(truth, p)) == "" {
			t.Fatalf("Shopify holds no %s: the fixture does not test what it should (%v)", p, truth)
		}
	}

	// Every field Shopify was given; one it was not given (the customer
	// number) another system may fill, as long as all agree on it.
	given := coverage{}
	for p := range sfCov {
		if canon(valueAt(truth, p)) != "" {
			given[p] = true
		}
	}
	// Shopify is watched all along: an echo that overwrites a field there
	// and a later one that restores it is still a lost field.
	var shopifyLost []string
	watchShopify := func() {
		if d := diffOnCoverage(given, truth, shopifyDoc()); len(d) > 0 && shopifyLost == nil {
			shopifyLost = d
		}
	}

	var links map[string]string
	var custID uint64
	eventually(t, 30*time.Second, "customer never reached all six touchpoints", func() bool {
		watchShopify()
		c, _ := s.hubCustomer(t, email)
		if c == nil {
			return false
		}
		custID = c.ID
		links = s.links(t, c.ID)
		for _, id := range links {
			if id == "" {
				return false
			}
		}
		return true
	})
	// Every echo comes back: the webhook systems' at once, the polled
	// systems' within a poll interval or two.
	settle := func() {
		s.quiet(t)
		for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
			watchShopify()
			time.Sleep(100 * time.Millisecond)
		}
		s.quiet(t)
		watchShopify()
	}
	settle()

	c, hubDoc, err := s.app.Store.Customer(t.Context(), custID)
	if err != nil {
		t.Fatal(err)
	}
	if shopifyLost != nil {
		t.Errorf("Shopify lost fields to an echo:\n  %s", strings.Join(shopifyLost, "\n  "))
	}
	if d := diffOnCoverage(given, truth, shopifyDoc()); len(d) > 0 {
		t.Errorf("Shopify at rest lost fields it was given:\n  %s", strings.Join(d, "\n  "))
	}
	if d := diffOnCoverage(given, truth, hubDoc); len(d) > 0 {
		t.Errorf("hub lost fields Shopify gave:\n  %s", strings.Join(d, "\n  "))
	}
	for _, n := range sixTouchpoints {
		if d := diffFromHub(s.coverageOf(t, n), hubDoc, s.view(t, n, links[n]), s.fillsAt(t, custID, n)); len(d) > 0 {
			t.Errorf("%s does not hold the hub's values on its coverage:\n  %s", n, strings.Join(d, "\n  "))
		}
	}

	// Idle: no version moves, no vendor is written again. The webhook
	// systems see no call at all; the polled ones are listed, so their
	// records' own change stamps show whether anything wrote them.
	reqBefore := s.requests()
	stamps := func() map[string]any {
		m, _ := s.mage.Customer(links[tpMagento])
		o, _ := s.oxid.Customer(links[tpOXID])
		p, _ := s.odoo.Customer(links[tpOdoo])
		return map[string]any{tpMagento: m["updated_at"], tpOXID: o["OXTIMESTAMP"], tpOdoo: p["write_date"]}
	}
	stampsBefore := stamps()
	for n, v := range stampsBefore {
		if canon(v) == "" {
			t.Fatalf("%s record has no change stamp to watch", n)
		}
	}
	time.Sleep(3 * time.Second)
	s.quiet(t)
	after, _, _ := s.app.Store.Customer(t.Context(), custID)
	if after.Version != c.Version {
		t.Errorf("hub version moved %d → %d while idle: an echo loop", c.Version, after.Version)
	}
	reqAfter := s.requests()
	for _, n := range []string{tpShopify, tpShopware, tpHelpScout} {
		if reqAfter[n] != reqBefore[n] {
			t.Errorf("%s: %d vendor calls while idle", n, reqAfter[n]-reqBefore[n])
		}
	}
	for n, v := range stamps() {
		if canon(v) != canon(stampsBefore[n]) {
			t.Errorf("%s record written while idle: %v → %v", n, stampsBefore[n], v)
		}
	}
	if t.Failed() {
		t.Logf("hub v%d: %v", c.Version, hubDoc)
		if v, err := s.app.Store.View(t.Context(), custID, 50); err == nil {
			for _, ch := range v.Changes {
				t.Logf("change v%d %s by %s at %s: %s → %s", ch.Version, ch.Field, ch.Instance, ch.SourceAt, ch.Old, ch.New)
			}
		}
	}
	for n, want := range map[string]int{tpShopware: s.shopware.Count(), tpMagento: s.mage.Count(), tpOXID: s.oxid.Count(),
		tpHelpScout: s.hs.Count(), tpOdoo: s.odoo.Count()} {
		if want != 1 {
			t.Errorf("%s holds %d customers, want 1", n, want)
		}
	}
}
