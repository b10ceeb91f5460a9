package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/erp/rest/resttest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/hub"
)

// TestCreateTimingOutOnceMakesOneRecord is issue 14's must-show: an ERP
// commits a create but its answer never arrives in time. The client does
// not repeat the create in place (Odoo and REST ERPs keep emails
// non-unique, so a repeat is a second customer); the push task's retry
// finds the record by email and links it. Exactly one record results.
func TestCreateTimingOutOnceMakesOneRecord(t *testing.T) {
	t.Parallel()
	type erp struct {
		start    func(t *testing.T) (config.Connector, func() int, func(func(*http.Request) bool))
		isCreate func(r *http.Request) bool
	}
	cases := map[string]erp{
		"odoo": {
			start: func(t *testing.T) (config.Connector, func() int, func(func(*http.Request) bool)) {
				emu := odootest.New(odootest.Options{})
				url := emu.Start()
				t.Cleanup(emu.Close)
				return config.Connector{Name: "erp", Type: "odoo", Settings: map[string]any{"url": url, "api_key": odootest.DefaultAPIKey,
					"database": odootest.DefaultDatabase, "partners": "individuals"}}, emu.Count, func(m func(*http.Request) bool) { emu.LoseAnswers(1, m) }
			},
			isCreate: func(r *http.Request) bool { return r.URL.Path == "/json/2/res.partner/create" },
		},
		"weclapp": {
			start: func(t *testing.T) (config.Connector, func() int, func(func(*http.Request) bool)) {
				emu := resttest.New(resttest.Options{Style: resttest.Weclapp})
				url := emu.Start()
				t.Cleanup(emu.Close)
				return config.Connector{Name: "erp", Type: "weclapp", Settings: map[string]any{"base_url": url, "token": resttest.DefaultToken}},
					emu.Count, func(m func(*http.Request) bool) { emu.LoseAnswers(1, m) }
			},
			isCreate: func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/customer")
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var count func() int
			var lose func(func(*http.Request) bool)
			e := newEnv(t, envOptions{tune: func(cfg *config.Config) {
				onlyShopify(cfg)
				var conn config.Connector
				conn, count, lose = c.start(t)
				// Short enough that the held answer times out; the emulator
				// answers everything else at once.
				conn.Timeout = config.Duration(2 * time.Second)
				cfg.Connectors = append(cfg.Connectors, conn)
			}})
			lose(c.isCreate)
			email := "langsam@example.com"
			e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Lena", "last_name": "Langsam"})
			eventually(t, 30*time.Second, "customer never linked to the ERP", func() bool {
				cust, _ := e.hubCustomer(t, email)
				return cust != nil && e.linkOf(t, cust.ID, "erp") != ""
			})
			e.quiet(t)
			if n := count(); n != 1 {
				t.Errorf("%d %s records after a create that timed out once, want 1", n, name)
			}
		})
	}
}

// deletionCase is one vendor where a customer is deleted, and how.
type deletionCase struct {
	name string
	// instance is the connector instance the customer is deleted at.
	instance string
	// add configures the vendor's connector (nil for the two shops, which
	// every env has) and returns its count of records, bystanders aside.
	add func(t *testing.T, c *config.Config) (count func() int)
	// del deletes the customer's record extID at the vendor, the way its
	// operator does; where no webhook or poll can tell, the reconciliation
	// sweep finds the record gone.
	del func(t *testing.T, e *env, extID string)
	// by is how the hub learns of the deletion (the link's deleted_by);
	// detectedOnPush: only the next push finds the record gone.
	by             string
	detectedOnPush bool
	// archived: the record stays at the vendor, inactive.
	archived bool
}

func deletionCases() []deletionCase {
	var odooEmu *odootest.Emulator
	var mage *magentotest.Emulator
	var shop *oxidtest.Shop
	addOdoo := func(t *testing.T, c *config.Config) func() int {
		odooEmu = odootest.New(odootest.Options{})
		url := odooEmu.Start()
		t.Cleanup(odooEmu.Close)
		c.Connectors = append(c.Connectors, config.Connector{Name: "erp", Type: "odoo", PollInterval: config.Duration(time.Second),
			Settings: map[string]any{"url": url, "api_key": odootest.DefaultAPIKey, "database": odootest.DefaultDatabase, "partners": "individuals"}})
		return odooEmu.Count
	}
	return []deletionCase{
		{name: "shopify webhook", instance: "shopify", by: "webhook",
			del: func(t *testing.T, e *env, id string) {
				if !e.shopify.DeleteCustomer(id) {
					t.Fatal("no Shopify customer")
				}
			}},
		{name: "shopware webhook", instance: "shopware", by: "webhook",
			del: func(t *testing.T, e *env, id string) {
				if !e.shopware.DeleteCustomer(id) {
					t.Fatal("no Shopware customer")
				}
			}},
		{name: "odoo archive", instance: "erp", add: addOdoo, by: "poll: archived or deactivated", archived: true,
			del: func(t *testing.T, e *env, id string) {
				nextSecond()
				if err := odooEmu.UpdateCustomer(id, map[string]any{"active": false}); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "odoo unlink", instance: "erp", add: addOdoo, by: "push: not found at the vendor", detectedOnPush: true,
			del: func(t *testing.T, e *env, id string) {
				if !odooEmu.DeleteCustomer(id) {
					t.Fatal("no Odoo partner")
				}
			}},
		{name: "magento delete", instance: "magento", by: "sweep: gone at the vendor",
			add: func(t *testing.T, c *config.Config) func() int {
				mage = magentotest.New(magentotest.Options{})
				url := mage.Start()
				t.Cleanup(mage.Close)
				c.Connectors = append(c.Connectors, config.Connector{Name: "magento", Type: "magento", PollInterval: config.Duration(time.Second),
					Settings: map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken}})
				// A sweep that lists nobody sends no deletions: a bystander.
				mage.CreateCustomer(map[string]any{"email": "bleibt@example.com", "firstname": "Bea", "lastname": "Bleibt"})
				return func() int { return mage.Count() - 1 }
			},
			del: func(t *testing.T, e *env, id string) {
				if !mage.DeleteCustomer(id) {
					t.Fatal("no Magento customer")
				}
				sweep(t, e.app, "magento") // reconcile_e2e_test.go
			}},
		{name: "oxid row deleted", instance: "oxid", by: "sweep: gone at the vendor",
			add: func(t *testing.T, c *config.Config) func() int {
				shop = oxidtest.New(t)
				c.Connectors = append(c.Connectors, config.Connector{Name: "oxid", Type: "oxid", PollInterval: config.Duration(time.Second),
					Settings: map[string]any{"dsn": oxidtest.RestrictedDSN(t, shop.DSN)}})
				shop.CreateCustomer(map[string]any{"OXUSERNAME": "bleibt@example.com", "OXFNAME": "Bea", "OXLNAME": "Bleibt"})
				return func() int { return shop.Count() - 1 }
			},
			del: func(t *testing.T, e *env, id string) {
				// The OXID admin deletes rows physically.
				if _, err := shop.DB.Exec("DELETE FROM oxuser WHERE OXID = ?", id); err != nil {
					t.Fatal(err)
				}
				sweep(t, e.app, "oxid")
			}},
	}
}

// deletionEnv starts shophub with both shops and the case's vendor, every
// instance erasing by delete and the vendor deleting per policy, and a
// customer from Shopify known everywhere. It returns the customer's hub id
// and record ids per instance.
func deletionEnv(t *testing.T, c deletionCase, policy string) (*env, func() int, uint64, map[string]string) {
	t.Helper()
	var count func() int
	e := newEnv(t, envOptions{tune: func(cfg *config.Config) {
		if c.add != nil {
			count = c.add(t, cfg)
		}
		for i := range cfg.Connectors {
			cfg.Connectors[i].Erasure = config.ErasureDelete
			if cfg.Connectors[i].Name == c.instance {
				cfg.Connectors[i].OnDelete = policy
			}
		}
	}})
	switch c.instance {
	case "shopify":
		count = e.shopify.Count
	case "shopware":
		count = e.shopware.Count
	}
	email := "geloescht@example.com"
	e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Greta", "last_name": "Gelöscht",
		"addresses": []any{map[string]any{"address1": "Am Hang 3", "city": "Jena", "zip": "07743", "country_code": "DE", "default": true}}})
	ids := map[string]string{}
	var custID uint64
	eventually(t, 30*time.Second, "customer never reached every touchpoint", func() bool {
		cust, _ := e.hubCustomer(t, email)
		if cust == nil {
			return false
		}
		custID = cust.ID
		for _, cc := range e.cfg.Connectors {
			if ids[cc.Name] = e.linkOf(t, cust.ID, cc.Name); ids[cc.Name] == "" {
				return false
			}
		}
		return true
	})
	e.quiet(t)
	return e, count, custID, ids
}

// editElsewhere changes the customer's first name at a shop other than
// instance and returns a check that the change arrived at every other
// live touchpoint that holds names.
func editElsewhere(t *testing.T, e *env, instance string, ids map[string]string) func() bool {
	t.Helper()
	nextSecond()
	if instance == "shopify" {
		if !e.shopware.UpdateCustomer(ids["shopware"], map[string]any{"firstName": "Gerda"}) {
			t.Fatal("no Shopware customer")
		}
		return func() bool { return true }
	}
	if err := e.shopify.UpdateCustomer(ids["shopify"], map[string]any{"first_name": "Gerda"}); err != nil {
		t.Fatal(err)
	}
	if instance == "shopware" {
		return func() bool { return true }
	}
	return func() bool {
		sw, _ := e.shopware.Customer(ids["shopware"])
		return sw["firstName"] == "Gerda"
	}
}

// TestVendorDeletionUnlinkNeverRecreates is issue 14's must-show for
// on_delete: unlink (the default): a customer deleted at each vendor —
// by webhook (Shopify, Shopware), archived (Odoo, seen by polling),
// deleted without a trace (Odoo unlink, found by the next push; Magento
// and OXID, found by the reconciliation sweep) — is not re-created there by a
// later edit elsewhere; the hub keeps the person, the link says deleted
// with its source, and the change log records it.
func TestVendorDeletionUnlinkNeverRecreates(t *testing.T) {
	t.Parallel()
	for _, c := range deletionCases() {
		t.Run(c.name, func(t *testing.T) {
			e, count, custID, ids := deletionEnv(t, c, "") // the default policy
			c.del(t, e, ids[c.instance])
			deleted := func() *hub.Link {
				l, err := e.app.Store.Link(context.Background(), custID, c.instance, "customer")
				if err != nil || l.VendorDeletedAt == nil {
					return nil
				}
				return l
			}
			if !c.detectedOnPush {
				eventually(t, 15*time.Second, "deletion never recorded on the link", func() bool { return deleted() != nil })
			}
			arrived := editElsewhere(t, e, c.instance, ids)
			eventually(t, 15*time.Second, "edit never reached the other touchpoints", func() bool {
				_, data := e.hubCustomer(t, "geloescht@example.com")
				return data["first_name"] == "Gerda" && arrived()
			})
			e.quiet(t)
			time.Sleep(1500 * time.Millisecond) // a poll or two more
			e.quiet(t)
			want := 0
			if c.archived {
				want = 1 // the archived one
			}
			if n := count(); n != want {
				t.Errorf("%s holds %d customers after the deletion and an edit elsewhere, want %d (re-created)", c.instance, n, want)
			}
			l := deleted()
			if l == nil {
				t.Fatalf("%s link not marked deleted", c.instance)
			}
			if l.VendorDeletedBy != c.by || l.ExternalID != ids[c.instance] {
				t.Errorf("link %s deleted by %q, want record %s deleted by %q", l.ExternalID, l.VendorDeletedBy, ids[c.instance], c.by)
			}
			v, err := e.app.Store.View(context.Background(), custID, 50)
			if err != nil {
				t.Fatal(err)
			}
			var shown bool
			for _, lv := range v.Links {
				shown = shown || (lv.Instance == c.instance && lv.DeletedBy == c.by && lv.DeletedAt != "")
			}
			var logged bool
			for _, ch := range v.Changes {
				logged = logged || (ch.Field == hub.DeletedField && ch.Instance == c.instance && strings.Contains(string(ch.New), c.by))
			}
			if !shown || !logged {
				t.Errorf("360° view: deletion shown on the link %v, in the change log %v; want both", shown, logged)
			}
		})
	}
}

// TestVendorDeletionPropagates is the must-show for on_delete: propagate:
// the deletion at one vendor erases the person everywhere through the
// erasure machinery, and the audit names the deletion as its source, with
// no step at the record that is gone and a delete at every other one.
func TestVendorDeletionPropagates(t *testing.T) {
	t.Parallel()
	for _, c := range deletionCases() {
		t.Run(c.name, func(t *testing.T) {
			e, count, custID, ids := deletionEnv(t, c, config.OnDeletePropagate)
			c.del(t, e, ids[c.instance])
			if c.detectedOnPush {
				editElsewhere(t, e, c.instance, ids)
			}
			var req hub.PrivacyRequest
			eventually(t, 20*time.Second, "no erasure recorded for the deletion", func() bool {
				return e.app.Store.DB().Where("customer_id = ?", custID).Take(&req).Error == nil
			})
			eventually(t, 20*time.Second, "erasure never finished", func() bool {
				e.app.Store.DB().Where("id = ?", req.ID).Take(&req)
				if req.Status != hub.PrivacyDone {
					var steps []hub.PrivacyStep
					e.app.Store.DB().Where("request_id = ?", req.ID).Find(&steps)
					t.Logf("request %+v steps %+v", req, steps)
				}
				return req.Status == hub.PrivacyDone
			})
			e.quiet(t)
			if !strings.Contains(req.Source, "deletion") || !strings.Contains(req.Source, c.by) || req.Instance != c.instance {
				t.Errorf("audit source %q instance %q, want the deletion at %s by %q", req.Source, req.Instance, c.instance, c.by)
			}
			var steps []hub.PrivacyStep
			e.app.Store.DB().Where("request_id = ?", req.ID).Order("instance").Find(&steps)
			got := map[string]string{}
			for _, st := range steps {
				got[st.Instance] = st.Action + "/" + st.Status
			}
			want := map[string]string{}
			for _, cc := range e.cfg.Connectors {
				want[cc.Name] = hub.ActionDelete + "/" + hub.PrivacyDone
			}
			if !c.archived { // gone already: nothing to do there
				want[c.instance] = hub.ActionNone + "/" + hub.PrivacySkipped
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("audit steps %v, want %v", got, want)
			}
			if cust, _ := e.hubCustomer(t, "geloescht@example.com"); cust != nil {
				t.Errorf("hub still holds the customer")
			}
			if n := count(); n != 0 {
				t.Errorf("%s holds %d customers of the person, want 0", c.instance, n)
			}
			_, atShopify := e.shopify.Customer(ids["shopify"])
			_, atShopware := e.shopware.Customer(ids["shopware"])
			if atShopify || atShopware {
				t.Errorf("the person's record still at Shopify %v, Shopware %v; want deleted everywhere", atShopify, atShopware)
			}
		})
	}
}

// TestStrangersNeverTakeOverAPerson is issue 14's must-show for identity
// by trust: a Shopware guest checkout and a Shopify sign-up whose email
// nobody verified, both using a known person's email with their own name,
// address and phone. They link to the person (one email, one customer),
// but the person's fields stay as they were in the hub and at every
// touchpoint, and the stranger's account receives none of the person's
// data.
func TestStrangersNeverTakeOverAPerson(t *testing.T) {
	t.Parallel()
	const email = "paula@example.com"
	person := map[string]any{"email": email, "firstName": "Paula", "lastName": "Person",
		"defaultBillingAddress": map[string]any{"firstName": "Paula", "lastName": "Person", "street": "Echtweg 1", "zipcode": "10115",
			"city": "Berlin", "countryIso": "DE", "phoneNumber": "+49301234567"}}
	for _, c := range []struct {
		name string
		// keys are hub.match_keys, the default when nil.
		keys []string
		// stranger creates the stranger's account and returns a snapshot
		// of it: what it must still say at the end.
		stranger func(e *env) (instance, id string, snap func() string)
	}{
		{"shopware guest checkout", nil, func(e *env) (string, string, func() string) {
			id := e.shopware.CreateCustomer(map[string]any{"email": email, "guest": true, "firstName": "Gus", "lastName": "Gast",
				"defaultBillingAddress": map[string]any{"firstName": "Gus", "lastName": "Gast", "street": "Fremdweg 9", "zipcode": "99084",
					"city": "Erfurt", "countryIso": "DE", "phoneNumber": "+49361999999"}})
			return "shopware", id, func() string {
				sw, _ := e.shopware.Customer(id)
				ba, _ := sw["defaultBillingAddress"].(map[string]any)
				return fmt.Sprint(sw["firstName"], sw["lastName"], ba["street"], ba["city"], ba["phoneNumber"])
			}
		}},
		{"shopify unverified sign-up", nil, shopifyStranger(email, false)},
		// email_name: Shopify verified the email, but the names are not
		// the person's — an unverified match all the same.
		{"shopify verified sign-up, other names, email_name", []string{"email_name"}, shopifyStranger(email, true)},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts envOptions
			if c.keys != nil {
				opts.tune = func(cfg *config.Config) { cfg.Hub.MatchKeys = c.keys }
			}
			e := newEnv(t, opts)
			if strings.HasPrefix(c.name, "shopify") {
				// The person's push to Shopify waits until the stranger's
				// account exists there: Shopify holds one account per email.
				e.shopify.FailNext(1_000_000, http.StatusServiceUnavailable)
			}
			personID := e.shopware.CreateCustomer(person)
			var before map[string]any
			eventually(t, 15*time.Second, "person never reached the hub", func() bool {
				_, before = e.hubCustomer(t, email)
				return before != nil
			})
			if c.name == "shopware guest checkout" {
				eventually(t, 15*time.Second, "person never reached Shopify", func() bool {
					cust, _ := e.hubCustomer(t, email)
					return e.linkOf(t, cust.ID, "shopify") != ""
				})
				e.quiet(t)
				_, before = e.hubCustomer(t, email)
			}
			personAt := func() string {
				sw, _ := e.shopware.Customer(personID)
				ba, _ := sw["defaultBillingAddress"].(map[string]any)
				out := fmt.Sprint(sw["firstName"], sw["lastName"], ba["street"], ba["city"], ba["phoneNumber"])
				cust, _ := e.hubCustomer(t, email)
				if sfID := e.linkOf(t, cust.ID, "shopify"); sfID != "" && c.name == "shopware guest checkout" {
					sf, _ := e.shopify.Customer(sfID)
					da, _ := sf["default_address"].(map[string]any)
					out += fmt.Sprint(" | ", sf["first_name"], sf["last_name"], da["address1"], da["city"])
				}
				return out
			}
			personBefore := personAt()

			instance, strangerID, snap := c.stranger(e)
			strangerBefore := snap()
			var cust *hub.Customer
			eventually(t, 15*time.Second, "stranger's record never linked", func() bool {
				cust, _ = e.hubCustomer(t, email)
				var l hub.Link
				return e.app.Store.DB().Where("instance = ? AND external_id = ?", instance, strangerID).Take(&l).Error == nil
			})
			e.shopify.FailNext(0, 0)
			e.quiet(t)
			time.Sleep(1500 * time.Millisecond) // retries and echoes, if any
			e.quiet(t)

			_, after := e.hubCustomer(t, email)
			for f, v := range before {
				if fmt.Sprint(after[f]) != fmt.Sprint(v) {
					t.Errorf("hub field %s changed by the stranger: %v → %v", f, v, after[f])
				}
			}
			if got := personAt(); got != personBefore {
				t.Errorf("person's records changed:\n got %s\nwant %s", got, personBefore)
			}
			if got := snap(); got != strangerBefore {
				t.Errorf("stranger's %s account changed (the person's data pushed into it):\n got %s\nwant %s", instance, got, strangerBefore)
			}
			if instance == "shopify" && e.shopify.Count() != 1 {
				t.Errorf("%d Shopify accounts, want only the stranger's", e.shopify.Count())
			}
			var l hub.Link
			e.app.Store.DB().Where("instance = ? AND external_id = ?", instance, strangerID).Take(&l)
			if !l.Unverified || l.CustomerID != cust.ID {
				t.Errorf("stranger's link: customer %d unverified %v; want the person's (%d), unverified", l.CustomerID, l.Unverified, cust.ID)
			}
		})
	}
}

// TestVendorDeletionRecreate: on_delete: recreate keeps shophub's old
// behaviour on purpose — the deletion is logged, the link dropped, and the
// next change creates the record anew.
func TestVendorDeletionRecreate(t *testing.T) {
	t.Parallel()
	c := deletionCases()[0] // Shopify, by webhook
	e, _, custID, ids := deletionEnv(t, c, config.OnDeleteRecreate)
	c.del(t, e, ids["shopify"])
	eventually(t, 15*time.Second, "link never dropped", func() bool { return e.linkOf(t, custID, "shopify") == "" })
	editElsewhere(t, e, "shopify", ids)
	var newID string
	eventually(t, 15*time.Second, "record never re-created", func() bool {
		newID = e.linkOf(t, custID, "shopify")
		return newID != ""
	})
	e.quiet(t)
	if sf, ok := e.shopify.Customer(newID); !ok || newID == ids["shopify"] || sf["first_name"] != "Gerda" || e.shopify.Count() != 1 {
		t.Errorf("re-created record %s (old %s): %v, %d Shopify customers", newID, ids["shopify"], sf, e.shopify.Count())
	}
	v, err := e.app.Store.View(context.Background(), custID, 50)
	if err != nil {
		t.Fatal(err)
	}
	var logged bool
	for _, ch := range v.Changes {
		logged = logged || (ch.Field == hub.DeletedField && ch.Instance == "shopify")
	}
	if !logged {
		t.Error("deletion not in the change log")
	}
}

// shopifyStranger signs a stranger up at Shopify with the person's email
// (verified_email as given) and snapshots what the account must still say.
func shopifyStranger(email string, verified bool) func(e *env) (string, string, func() string) {
	return func(e *env) (string, string, func() string) {
		id := e.shopify.CreateCustomer(map[string]any{"email": email, "verified_email": verified, "first_name": "Sam", "last_name": "Stranger",
			"phone": "+4915112345678", "addresses": []any{map[string]any{"address1": "Fremdweg 9", "city": "Erfurt", "zip": "99084",
				"country_code": "DE", "default": true}}})
		return "shopify", id, func() string {
			sf, _ := e.shopify.Customer(id)
			da, _ := sf["default_address"].(map[string]any)
			return fmt.Sprint(sf["first_name"], sf["last_name"], sf["phone"], da["address1"], da["city"])
		}
	}
}
