package hub_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/mappings"
)

// coverageOf compiles a mapping and returns its customer coverage.
func coverageOf(t *testing.T, src string) *mappings.Coverage {
	t.Helper()
	m, err := mappings.Compile("test.yaml", []byte(src), mappings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m.Coverage("customer")
}

// Touchpoints shaped like the vendors of issue 13: a shop with one address
// slot and regions (Shopify), a shop without regions whose one address
// phone carries the customer phone too (Shopware), and a helpdesk that
// knows names and phones but no address (HelpScout).
const (
	oneSlotShop = `version: 1
resources:
  customer:
    inbound:
      fields:
        email: email
        first_name: first_name
        phone: phone
        billing_address:
          from: default_address
          object: {first_name: first_name, last_name: last_name, company: company, street: address1, zip: zip, city: city, region: province_code, country: country_code, phone: phone}
    outbound:
      fields:
        email: email
        first_name: first_name
        phone: phone
        default_address:
          from: billing_address
          object: {first_name: first_name, last_name: last_name, company: company, address1: street, zip: zip, city: city, province_code: region, country_code: country, phone: phone}
`
	noRegionShop = `version: 1
resources:
  customer:
    inbound:
      fields:
        email: email
        first_name: firstName
        phone: defaultBillingAddress.phoneNumber
        billing_address:
          from: defaultBillingAddress
          object: &a {first_name: firstName, last_name: lastName, street: street, zip: zipcode, city: city, country: countryIso, phone: phoneNumber}
        shipping_address:
          from: defaultShippingAddress
          object: *a
    outbound:
      fields:
        email: email
        firstName: first_name
        defaultBillingAddress:
          object:
            firstName: billing_address.first_name
            lastName: billing_address.last_name
            street: billing_address.street
            zipcode: billing_address.zip
            city: billing_address.city
            countryIso: billing_address.country
            phoneNumber: {from: [phone, billing_address.phone]}
        defaultShippingAddress:
          from: shipping_address
          object: {firstName: first_name, lastName: last_name, street: street, zipcode: zip, city: city, countryIso: country, phoneNumber: phone}
`
	helpdesk = `version: 1
resources:
  customer:
    inbound:
      fields:
        email: email
        first_name: firstName
        phone: phone
    outbound:
      fields:
        email: email
        firstName: first_name
        phone: phone
        address.city: billing_address.city
`
)

var fullBilling = map[string]any{"first_name": "Jana", "last_name": "Berg", "company": "Berg GmbH", "street": "Jungfernstieg 1",
	"zip": "20354", "city": "Hamburg", "region": "DE-HH", "country": "DE", "phone": "+49221999999"}

var fullShipping = map[string]any{"first_name": "Jana", "last_name": "Berg", "street": "Lager 2", "zip": "20457", "city": "Hamburg", "country": "DE"}

// restrict is doc as a touchpoint with coverage cov would send it back:
// only the paths it reads, an address with only its keys.
func restrict(cov *mappings.Coverage, doc map[string]any) map[string]any {
	out := map[string]any{}
	for f, v := range doc {
		if a, ok := v.(map[string]any); ok && (f == "billing_address" || f == "shipping_address") {
			keys := cov.SubFields(f)
			if len(keys) == 0 {
				continue
			}
			sub := map[string]any{}
			for _, k := range keys {
				if x, ok := a[k]; ok {
					sub[k] = x
				}
			}
			out[f] = sub
			continue
		}
		if cov.Assert(f) != mappings.AssertNone {
			out[f] = v
		}
	}
	return out
}

// pushedView is what the push path records on the link: the pushed doc's
// top-level fields the touchpoint maps in, whole.
func pushedView(cov *mappings.Coverage, doc map[string]any) map[string]any {
	out := map[string]any{}
	for _, p := range cov.Inbound {
		f, _, _ := strings.Cut(p, ".")
		if v, ok := doc[f]; ok {
			out[f] = v
		}
	}
	return clone(out)
}

func TestEchoOfATouchpointLosesNothingItCannotHold(t *testing.T) {
	t.Parallel()
	original := map[string]any{"email": "jana@example.com", "first_name": "Jana", "phone": "+4915111111111",
		"billing_address": fullBilling, "shipping_address": fullShipping}
	tests := []struct {
		name string
		cov  string
		// echo turns what was pushed into what the vendor sends back.
		echo func(cov *mappings.Coverage, pushed map[string]any) map[string]any
	}{
		{"a shop without regions echoes the address", noRegionShop, func(cov *mappings.Coverage, p map[string]any) map[string]any {
			return restrict(cov, p)
		}},
		{"its one address phone comes back holding the customer phone", noRegionShop, func(cov *mappings.Coverage, p map[string]any) map[string]any {
			doc := restrict(cov, p)
			doc["billing_address"].(map[string]any)["phone"] = p["phone"]
			return doc
		}},
		{"a shop with one address slot echoes", oneSlotShop, func(cov *mappings.Coverage, p map[string]any) map[string]any {
			return restrict(cov, p)
		}},
		{"a helpdesk without addresses echoes", helpdesk, func(cov *mappings.Coverage, p map[string]any) map[string]any {
			return restrict(cov, p)
		}},
		{"an echo lacking a key the vendor never sent before clears nothing", noRegionShop, func(cov *mappings.Coverage, p map[string]any) map[string]any {
			doc := restrict(cov, p)
			delete(doc["billing_address"].(map[string]any), "street")
			return doc
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range hubtest.Stores(t) {
				t.Run(st.Name, func(t *testing.T) {
					s, ctx := st.Store, context.Background()
					cov := coverageOf(t, tc.cov)
					a := mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0, clone(original)))
					before, v0 := profile(t, s, a.CustomerID)
					// Pushed to the touchpoint (whole fields, as the push path
					// records them), which then echoes it, stamped later.
					if _, err := s.Pushed(ctx, a.CustomerID, "vendor", "customer", "V1", "h", a.Version, pushedView(cov, before)); err != nil {
						t.Fatal(err)
					}
					x := in("vendor", "V1", t0.Add(4*time.Second), tc.echo(cov, clone(before)))
					x.Coverage = cov
					r := mustMerge(t, s, hub.Policy{}, x)
					after, v1 := profile(t, s, a.CustomerID)
					if diff := cmp.Diff(before, after); diff != "" {
						t.Errorf("the echo changed the hub (-before +after):\n%s", diff)
					}
					if v1 != v0 || len(r.Changed) != 0 || r.OriginStale {
						t.Errorf("version %d → %d, changed %v, stale %v: an echo must assert nothing", v0, v1, r.Changed, r.OriginStale)
					}
					// The same record once more (a poll) changes nothing either.
					x.EventID += "-poll"
					x.SourceAt = x.SourceAt.Add(time.Minute)
					if r := mustMerge(t, s, hub.Policy{}, x); len(r.Changed) != 0 {
						t.Errorf("a re-polled echo changed %v", r.Changed)
					}
				})
			}
		})
	}
}

// An echo that arrives before the push is recorded: the touchpoint's record
// is not compared with any push, so only coverage and the source's own
// baseline protect the hub.
func TestRecordBeforeAnyPushClearsOnlyWhatItHeld(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			cov := coverageOf(t, noRegionShop)
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0, map[string]any{"email": "k@example.com", "phone": "+4915111111111", "billing_address": clone(fullBilling)}))
			// The vendor's own record of the person: no region, its one
			// phone is the customer phone, a different street.
			x := in("shopware", "W1", t0.Add(time.Minute), map[string]any{"email": "k@example.com", "phone": "+4915111111111",
				"billing_address": map[string]any{"street": "Neuer Wall 5", "city": "Hamburg", "zip": "20354", "country": "DE", "phone": "+4915111111111", "first_name": "Jana", "last_name": "Berg"}})
			x.Coverage = cov
			mustMerge(t, s, hub.Policy{}, x)
			got, _ := profile(t, s, a.CustomerID)
			want := clone(fullBilling)
			want["street"] = "Neuer Wall 5"
			if diff := cmp.Diff(want, got["billing_address"]); diff != "" {
				t.Errorf("billing address (-want +got):\n%s", diff)
			}
			// The vendor then really clears a key it holds.
			x = in("shopware", "W1", t0.Add(2*time.Minute), map[string]any{"email": "k@example.com", "phone": "+4915111111111",
				"billing_address": map[string]any{"street": "Neuer Wall 5", "city": "Hamburg", "zip": "20354", "country": "DE", "phone": "+4915111111111", "first_name": "Jana"}})
			x.Coverage = cov
			mustMerge(t, s, hub.Policy{}, x)
			got, _ = profile(t, s, a.CustomerID)
			delete(want, "last_name")
			if diff := cmp.Diff(want, got["billing_address"]); diff != "" {
				t.Errorf("after clearing last_name (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddressSubFieldsKeepTheirOwnProvenance(t *testing.T) {
	t.Parallel()
	for _, order := range []string{"in order", "phone edit first"} {
		t.Run(order, func(t *testing.T) {
			for _, st := range hubtest.Stores(t) {
				t.Run(st.Name, func(t *testing.T) {
					s, ctx := st.Store, context.Background()
					a := mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0, map[string]any{"email": "p@example.com", "billing_address": clone(fullBilling)}))
					// Both systems hold the address (their first records).
					for _, sys := range []struct{ inst, ext string }{{"erp", "E1"}, {"shopware", "W1"}} {
						mustMerge(t, s, hub.Policy{}, in(sys.inst, sys.ext, t0, map[string]any{"email": "p@example.com", "billing_address": clone(fullBilling)}))
					}
					// City edited in the ERP at t+1, the same address's phone
					// in the shop at t+2; each record carries the whole address.
					city := clone(fullBilling)
					city["city"] = "Altona"
					phone := clone(fullBilling)
					phone["phone"] = "+49401234567"
					edits := []hub.Inbound{in("erp", "E1", t0.Add(time.Second), map[string]any{"email": "p@example.com", "billing_address": city}),
						in("shopware", "W1", t0.Add(2*time.Second), map[string]any{"email": "p@example.com", "billing_address": phone})}
					if order != "in order" {
						edits[0], edits[1] = edits[1], edits[0]
					}
					for _, e := range edits {
						mustMerge(t, s, hub.Policy{}, e)
					}
					got, _ := profile(t, s, a.CustomerID)
					addr := got["billing_address"].(map[string]any)
					if addr["city"] != "Altona" || addr["phone"] != "+49401234567" || addr["region"] != "DE-HH" {
						t.Errorf("billing address %v: both edits and the untouched region must survive", addr)
					}
					v, err := s.View(ctx, a.CustomerID, 20)
					if err != nil {
						t.Fatal(err)
					}
					for path, inst := range map[string]string{"billing_address.city": "erp", "billing_address.phone": "shopware", "billing_address.region": "shopify"} {
						if p := v.Provenance[path]; p.Instance != inst {
							t.Errorf("provenance of %s: %+v, want %s", path, p, inst)
						}
					}
					var rows []hub.Change
					s.DB().Where("customer_id = ? AND field <> ?", a.CustomerID, hub.CreatedField).Order("id").Find(&rows)
					var fields []string
					for _, r := range rows {
						fields = append(fields, r.Field+"="+r.NewValue+"@"+r.Instance)
					}
					want := []string{`billing_address.city="Altona"@erp`, `billing_address.phone="+49401234567"@shopware`}
					if order != "in order" {
						want[0], want[1] = want[1], want[0]
					}
					if diff := cmp.Diff(want, fields); diff != "" {
						t.Errorf("change log (-want +got):\n%s", diff)
					}
				})
			}
		})
	}
}

// Customers merged before provenance was kept per sub-field have one
// provenance for the whole address; each sub-field falls back to it.
func TestWholeAddressProvenanceStillDecides(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s, ctx := st.Store, context.Background()
			a := mustMerge(t, s, hub.Policy{}, in("erp", "E1", t0.Add(time.Hour), map[string]any{"email": "o@example.com", "billing_address": clone(fullBilling)}))
			old, _ := json.Marshal(map[string]hub.Provenance{"email": {Instance: "erp", At: t0.Add(time.Hour)}, "billing_address": {Instance: "erp", At: t0.Add(time.Hour)}})
			if err := s.DB().Model(&hub.Customer{}).Where("id = ?", a.CustomerID).Update("provenance", string(old)).Error; err != nil {
				t.Fatal(err)
			}
			older := clone(fullBilling)
			older["city"] = "Older"
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0, map[string]any{"email": "o@example.com", "billing_address": older}))
			got, _ := profile(t, s, a.CustomerID)
			if got["billing_address"].(map[string]any)["city"] != "Hamburg" || !r.OriginStale {
				t.Errorf("an edit older than the address's provenance won: %v (stale %v)", got["billing_address"], r.OriginStale)
			}
			v, err := s.View(ctx, a.CustomerID, 5)
			if err != nil {
				t.Fatal(err)
			}
			if p := v.Provenance["billing_address.zip"]; p.Instance != "erp" {
				t.Errorf("view provenance of billing_address.zip %+v, want the address's (erp)", p)
			}
			if _, ok := v.Provenance["billing_address"]; ok {
				t.Errorf("view still shows a whole-address provenance: %v", v.Provenance)
			}
		})
	}
}

func TestFillOnlyFieldsFillGapsAtTheOrigin(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s, ctx := st.Store, context.Background()
			cov := coverageOf(t, noRegionShop)
			// Created by the shop that keeps one phone: the address phone
			// it reports is all the hub knows.
			x := in("shopware", "W1", t0, map[string]any{"email": "f@example.com", "phone": "+4915111111111",
				"billing_address": map[string]any{"city": "Köln", "phone": "+4915111111111"}})
			x.Coverage = cov
			a := mustMerge(t, s, hub.Policy{}, x)
			got, _ := profile(t, s, a.CustomerID)
			if got["billing_address"].(map[string]any)["phone"] != "+4915111111111" {
				t.Fatalf("created without the address phone: %v", got)
			}
			// Another system sets a different address phone; the hub pushes
			// to the shop, whose record then carries the customer phone.
			mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0.Add(time.Minute), map[string]any{"email": "f@example.com",
				"billing_address": map[string]any{"city": "Köln", "phone": "+49221999999"}}))
			cur, v0 := profile(t, s, a.CustomerID)
			if _, err := s.Pushed(ctx, a.CustomerID, "shopware", "customer", "W1", "h", v0, pushedView(cov, cur)); err != nil {
				t.Fatal(err)
			}
			x = in("shopware", "W1", t0.Add(2*time.Minute), map[string]any{"email": "f@example.com", "phone": "+4915111111111",
				"billing_address": map[string]any{"city": "Köln", "phone": "+4915111111111"}})
			x.Coverage = cov
			if r := mustMerge(t, s, hub.Policy{}, x); len(r.Changed) != 0 || r.OriginStale {
				t.Errorf("echo changed %v (stale %v)", r.Changed, r.OriginStale)
			}
			if got, v1 := profile(t, s, a.CustomerID); got["billing_address"].(map[string]any)["phone"] != "+49221999999" || v1 != v0 {
				t.Errorf("address phone %v (version %d → %d): the shop's one phone overwrote it", got["billing_address"], v0, v1)
			}
			// A source the hub never pushes to has no echoes: its value
			// counts like any edit.
			x = in("shopware", "W1", t0.Add(3*time.Minute), map[string]any{"email": "f@example.com", "phone": "+4915122222222",
				"billing_address": map[string]any{"city": "Köln", "phone": "+4915122222222"}})
			x.Coverage = cov.AsSource()
			mustMerge(t, s, hub.Policy{}, x)
			if got, _ := profile(t, s, a.CustomerID); got["billing_address"].(map[string]any)["phone"] != "+4915122222222" || got["phone"] != "+4915122222222" {
				t.Errorf("read-only source: %v", got)
			}
		})
	}
}

func clone(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// A fill-only value fills the hub's gap only from a record known before and
// never pushed to: the first sight of a record may be one a push is
// creating right now (OXID numbers it, Shopware copies the customer phone
// into it), read before the push could record the link.
func TestFillOnlyNeedsAKnownRecord(t *testing.T) {
	t.Parallel()
	cov := coverageOf(t, noRegionShop)
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "S1", t0, map[string]any{"email": "g@example.com", "phone": "+4915111111111",
				"billing_address": map[string]any{"city": "Köln"}}))
			shop := func(at time.Time) hub.Inbound {
				x := in("shopware", "W1", at, map[string]any{"email": "g@example.com", "phone": "+4915111111111",
					"billing_address": map[string]any{"city": "Köln", "phone": "+4915111111111"}})
				x.Coverage = cov
				return x
			}
			// First sight, matched by email: not taken.
			mustMerge(t, s, hub.Policy{}, shop(t0.Add(time.Minute)))
			if got, _ := profile(t, s, a.CustomerID); got["billing_address"].(map[string]any)["phone"] != nil {
				t.Errorf("a new link's fill-only value was taken: %v", got["billing_address"])
			}
			// The record again, its link known and never pushed to, its
			// phone changed there: the gap is filled.
			x := shop(t0.Add(2 * time.Minute))
			x.Doc["billing_address"].(map[string]any)["phone"] = "+4915122222222"
			mustMerge(t, s, hub.Policy{}, x)
			if got, _ := profile(t, s, a.CustomerID); got["billing_address"].(map[string]any)["phone"] != "+4915122222222" {
				t.Errorf("a known record's fill-only value did not fill the gap: %v", got["billing_address"])
			}
		})
	}
}
