package magento_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/magento/magentotest"
)

// seedRich creates the fixture customer (custom attributes, group, gender,
// three addresses) in the emulator.
func seedRich(t *testing.T, emu *magentotest.Emulator) string {
	t.Helper()
	c := decodeFixture(t, "customer.json")
	delete(c, "id")
	for _, a := range c["addresses"].([]any) {
		delete(a.(map[string]any), "id")
		delete(a.(map[string]any), "customer_id")
	}
	return emu.CreateCustomer(c)
}

func addressByCity(c map[string]any, city string) map[string]any {
	for _, x := range c["addresses"].([]any) {
		if a := x.(map[string]any); a["city"] == city {
			return a
		}
	}
	return nil
}

// TestUpdateKeepsWhatShophubDoesNotMap is must-show 2's second half at the
// connector level: custom attributes, group, gender and an address shophub
// does not know survive Magento's full-save PUT.
func TestUpdateKeepsWhatShophubDoesNotMap(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	id := seedRich(t, emu)
	before, _ := emu.Customer(id)
	w := newConnector(t, url, 5).(connectors.Writer)
	_, err := w.Upsert(context.Background(), "customer", id, map[string]any{
		"firstname":               "Margarete",
		"extension_attributes":    map[string]any{"is_subscribed": false},
		"default_billing_address": map[string]any{"street": []any{"Neue Straße 5"}, "postcode": "10115", "telephone": "+4930999"},
	})
	if err != nil {
		t.Fatal(err)
	}
	after, _ := emu.Customer(id)
	for _, k := range []string{"custom_attributes", "group_id", "gender", "taxvat", "dob", "default_billing", "default_shipping"} {
		if diff := cmp.Diff(connectors.JSONForm(before[k]), connectors.JSONForm(after[k])); diff != "" {
			t.Errorf("%s changed (-before +after):\n%s", k, diff)
		}
	}
	if after["firstname"] != "Margarete" || after["extension_attributes"].(map[string]any)["is_subscribed"] != false {
		t.Errorf("mapped fields not written: firstname %v, extension_attributes %v", after["firstname"], after["extension_attributes"])
	}
	if after["extension_attributes"].(map[string]any)["company_attributes"] == nil {
		t.Error("extension attribute shophub does not map was dropped")
	}
	if diff := cmp.Diff(connectors.JSONForm(addressByCity(before, "Wien")), connectors.JSONForm(addressByCity(after, "Wien"))); diff != "" {
		t.Errorf("unmapped address changed (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(connectors.JSONForm(addressByCity(before, "Hamburg")), connectors.JSONForm(addressByCity(after, "Hamburg"))); diff != "" {
		t.Errorf("shipping address changed by a billing patch (-before +after):\n%s", diff)
	}
	b := addressByCity(after, "Berlin")
	want := map[string]any{"street": []any{"Neue Straße 5"}, "postcode": "10115", "telephone": "+4930999",
		"vat_id": "DE123456789", "company": "Hoffmann Feinkost GmbH", "default_billing": true}
	for k, v := range want {
		if diff := cmp.Diff(connectors.JSONForm(v), connectors.JSONForm(b[k])); diff != "" {
			t.Errorf("billing address %s (-want +got):\n%s", k, diff)
		}
	}
	if len(after["addresses"].([]any)) != 3 {
		t.Errorf("%d addresses, want 3", len(after["addresses"].([]any)))
	}
}

func TestUpsertAddresses(t *testing.T) {
	berlin := map[string]any{"firstname": "", "lastname": "", "company": "", "street": []any{"Unter den Linden 1"},
		"postcode": "10117", "city": "Berlin", "region": map[string]any{"region_code": ""}, "country_id": "DE", "telephone": "+4930111"}
	kiel := map[string]any{"street": []any{"Hafen 1"}, "postcode": "24103", "city": "Kiel", "country_id": "DE", "telephone": "+49431"}
	tests := []struct {
		name    string
		seed    map[string]any
		payload map[string]any
		// check inspects the stored customer.
		check func(t *testing.T, c map[string]any)
	}{
		{"billing added to a customer without addresses, names from the customer",
			map[string]any{"email": "a@example.com", "firstname": "Ann", "lastname": "A"},
			map[string]any{"default_billing_address": berlin, "default_shipping_address": berlin},
			func(t *testing.T, c map[string]any) {
				as := c["addresses"].([]any)
				if len(as) != 1 {
					t.Fatalf("%d addresses, want one serving both defaults", len(as))
				}
				a := as[0].(map[string]any)
				if a["firstname"] != "Ann" || a["default_billing"] != true || a["default_shipping"] != true {
					t.Errorf("address %v", a)
				}
				if c["default_billing"] == nil || c["default_billing"] != c["default_shipping"] {
					t.Errorf("default ids %v/%v", c["default_billing"], c["default_shipping"])
				}
			}},
		{"a shared default address is split when shipping differs",
			map[string]any{"email": "b@example.com", "firstname": "Ben", "lastname": "B", "addresses": []any{
				map[string]any{"firstname": "Ben", "lastname": "B", "street": []any{"Unter den Linden 1"}, "city": "Berlin",
					"postcode": "10117", "country_id": "DE", "telephone": "+4930111", "default_billing": true, "default_shipping": true}}},
			map[string]any{"default_billing_address": berlin, "default_shipping_address": kiel},
			func(t *testing.T, c map[string]any) {
				b, s := addressByCity(c, "Berlin"), addressByCity(c, "Kiel")
				if b == nil || s == nil {
					t.Fatalf("addresses %v", c["addresses"])
				}
				if b["default_billing"] != true || b["default_shipping"] == true || s["default_shipping"] != true {
					t.Errorf("flags: berlin %v, kiel %v", b, s)
				}
			}},
		{"an incomplete address patch creates nothing",
			map[string]any{"email": "c@example.com", "firstname": "Cem", "lastname": "C"},
			map[string]any{"default_billing_address": map[string]any{"telephone": "+4930123"}},
			func(t *testing.T, c map[string]any) {
				if n := len(c["addresses"].([]any)); n != 0 {
					t.Errorf("%d addresses from a phone alone", n)
				}
			}},
		{"a changed region replaces code, name and region id",
			map[string]any{"email": "d@example.com", "firstname": "Dia", "lastname": "D", "addresses": []any{
				map[string]any{"firstname": "Dia", "lastname": "D", "street": []any{"X 1"}, "city": "Berlin", "country_id": "DE",
					"region": map[string]any{"region_code": "BER", "region": "Berlin", "region_id": 82}, "region_id": 82, "default_billing": true}}},
			map[string]any{"default_billing_address": map[string]any{"country_id": "DE", "region": map[string]any{"region_code": "BB", "region": "Brandenburg"}}},
			func(t *testing.T, c map[string]any) {
				a := c["addresses"].([]any)[0].(map[string]any)
				r := a["region"].(map[string]any)
				if r["region_code"] != "BRG" || r["region"] != "Brandenburg" || fmt.Sprint(r["region_id"]) != "83" || fmt.Sprint(a["region_id"]) != "83" {
					t.Errorf("region %v, region_id %v", r, a["region_id"])
				}
			}},
		{"free text keeps region id 0",
			map[string]any{"email": "f@example.com", "firstname": "Fe", "lastname": "F", "addresses": []any{
				map[string]any{"firstname": "Fe", "lastname": "F", "street": []any{"X 1"}, "city": "Berlin", "country_id": "DE",
					"region": map[string]any{"region_code": "BER", "region": "Berlin", "region_id": 82}, "region_id": 82, "default_billing": true}}},
			map[string]any{"default_billing_address": map[string]any{"country_id": "DE", "region": map[string]any{"region_code": "", "region": "Bavaria"}}},
			func(t *testing.T, c map[string]any) {
				a := c["addresses"].([]any)[0].(map[string]any)
				r := a["region"].(map[string]any)
				if r["region_code"] != "Bavaria" || fmt.Sprint(r["region_id"]) != "0" || fmt.Sprint(a["region_id"]) != "0" {
					t.Errorf("region %v, region_id %v", r, a["region_id"])
				}
			}},
		{"custom attributes merge by code",
			map[string]any{"email": "e@example.com", "firstname": "Eva", "lastname": "E",
				"custom_attributes": []any{map[string]any{"attribute_code": "keep", "value": "1"}, map[string]any{"attribute_code": "erp_no", "value": "old"}}},
			map[string]any{"custom_attributes": map[string]any{"erp_no": "K-1", "new_attr": "x"}},
			func(t *testing.T, c map[string]any) {
				got := map[string]any{}
				for _, x := range c["custom_attributes"].([]any) {
					m := x.(map[string]any)
					got[m["attribute_code"].(string)] = m["value"]
				}
				if diff := cmp.Diff(map[string]any{"keep": "1", "erp_no": "K-1", "new_attr": "x"}, got); diff != "" {
					t.Errorf("custom attributes (-want +got):\n%s", diff)
				}
			}},
	}
	// Both ways a push writes: Upsert, and Update after the pipeline's
	// read-before-write (connectors.Updater), which must resolve regions
	// in the directory as Upsert does.
	writes := map[string]func(conn connectors.Connector, id string, payload map[string]any) error{
		"Upsert": func(conn connectors.Connector, id string, payload map[string]any) error {
			_, err := conn.(connectors.Writer).Upsert(context.Background(), "customer", id, payload)
			return err
		},
		"Update": func(conn connectors.Connector, id string, payload map[string]any) error {
			read, err := conn.(connectors.Fetcher).Fetch(context.Background(), "customer", id)
			if err != nil {
				return err
			}
			_, err = conn.(connectors.Updater).Update(context.Background(), "customer", read, payload)
			return err
		},
	}
	for _, via := range []string{"Upsert", "Update"} {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				emu, url := startEmulator(t, magentotest.Options{CustomerAttributes: []string{"keep", "erp_no", "new_attr"}})
				id := emu.CreateCustomer(tt.seed)
				conn := newConnector(t, url, 5)
				if err := writes[via](conn, id, connectors.CloneJSON(tt.payload).(map[string]any)); err != nil {
					t.Fatal(err)
				}
				c, _ := emu.Customer(id)
				tt.check(t, c)
				// The same push again writes nothing.
				n := emu.Requests()
				if err := writes[via](conn, id, connectors.CloneJSON(tt.payload).(map[string]any)); err != nil {
					t.Fatal(err)
				}
				want := int64(1) // the GET
				if via == "Update" {
					want = 2 // the pipeline's read and Update's check
				}
				if got := emu.Requests() - n; got != want {
					t.Errorf("repeated push made %d requests, want %d (reads only)", got, want)
				}
			})
		}
	}
}

func TestCreateSetsWebsiteAndGroup(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	c := build(t, map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "group_id": 3, "website_id": 1,
		"placeholder_telephone": "-"})
	rec, err := c.(connectors.Writer).Upsert(context.Background(), "customer", "", map[string]any{
		"email": "new@example.com", "firstname": "Nia", "lastname": "New",
		"default_billing_address": map[string]any{"street": []any{"Weg 1"}, "city": "Köln", "country_id": "DE", "telephone": ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := emu.Customer(rec.ExternalID)
	if connectors.JSONForm(got["group_id"]) != float64(3) || connectors.JSONForm(got["website_id"]) != float64(1) {
		t.Errorf("group %v website %v", got["group_id"], got["website_id"])
	}
	a := got["addresses"].([]any)[0].(map[string]any)
	if a["telephone"] != "-" || a["firstname"] != "Nia" || a["default_billing"] != true {
		t.Errorf("address %v", a)
	}
}

func TestPushErrors(t *testing.T) {
	emu, url := startEmulator(t, magentotest.Options{})
	id := emu.CreateCustomer(map[string]any{"email": "taken@example.com", "firstname": "T", "lastname": "T"})
	w := newConnector(t, url, 5).(connectors.Writer)

	_, err := w.Upsert(context.Background(), "customer", "", map[string]any{"email": "TAKEN@example.com", "firstname": "X", "lastname": "Y"})
	if !errors.Is(err, connectors.ErrPermanent) || !strings.Contains(err.Error(), "A customer with the same email address already exists in an associated website.") {
		t.Errorf("duplicate email: got %v, want a permanent error with Magento's message", err)
	}
	_, err = w.Upsert(context.Background(), "customer", "", map[string]any{"email": "nameless@example.com"})
	if !errors.Is(err, connectors.ErrPermanent) || !strings.Contains(err.Error(), `"firstname" is required`) {
		t.Errorf("missing name: got %v", err)
	}
	_, err = w.Upsert(context.Background(), "customer", "424242", map[string]any{"firstname": "Z"})
	if !errors.Is(err, connectors.ErrNotFound) || !strings.Contains(err.Error(), "No such entity with customerId = 424242") {
		t.Errorf("update of a deleted customer: got %v, want ErrNotFound with Magento's message", err)
	}
	if _, err := w.Upsert(context.Background(), "customer", "x/../1", map[string]any{}); !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("bad id: got %v", err)
	}
	emu.FailNext(1, 503)
	if _, err := w.Upsert(context.Background(), "customer", id, map[string]any{"firstname": "After503"}); err != nil {
		t.Errorf("one 503 must be retried in place: %v", err)
	}
	if err := w.Delete(context.Background(), "customer", "424242"); err != nil {
		t.Errorf("deleting a missing customer: %v", err)
	}
	f := w.(connectors.Finder)
	if _, err := f.FindBy(context.Background(), "customer", "phone", "+49301"); !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("FindBy phone: got %v, want permanent (unsupported)", err)
	}
	rec, err := f.FindBy(context.Background(), "customer", "email", " Taken@Example.com ")
	if err != nil || rec.ExternalID != id {
		t.Errorf("FindBy email is case-insensitive: %v %v", rec, err)
	}
}

// TestUpdateRefusesAChangedCustomer: Magento has no conditional write and
// PUT saves the whole customer, so Update re-reads right before it writes:
// an admin's save since the pipeline's read (of the field pushed or of
// another, of the customer row or an address only) makes it write nothing
// and answer ErrChanged, so the pipeline merges that edit first.
func TestUpdateRefusesAChangedCustomer(t *testing.T) {
	billingCity := func(c map[string]any, city string) {
		for _, x := range c["addresses"].([]any) {
			if a := x.(map[string]any); a["default_billing"] == true {
				a["city"] = city
			}
		}
	}
	cases := []struct {
		name    string
		admin   func(emu *magentotest.Emulator, id string) // between read and Update; nil: none
		want    error
		wantFst string // firstname afterwards
		wantDob string
	}{
		{"unchanged since the read: written", nil, nil, "Pushed", ""},
		{"admin changed another field", func(emu *magentotest.Emulator, id string) {
			_ = emu.UpdateCustomer(id, map[string]any{"dob": "1970-01-02"})
		}, connectors.ErrChanged, "", "1970-01-02"},
		{"admin changed the pushed field", func(emu *magentotest.Emulator, id string) {
			_ = emu.UpdateCustomer(id, map[string]any{"firstname": "Admin"})
		}, connectors.ErrChanged, "Admin", ""},
		{"admin changed an address only (updated_at stays)", func(emu *magentotest.Emulator, id string) {
			c, _ := emu.Customer(id)
			billingCity(c, "Ulm")
			_ = emu.UpdateCustomer(id, map[string]any{"addresses": c["addresses"]})
		}, connectors.ErrChanged, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, url := startEmulator(t, magentotest.Options{})
			id := seedRich(t, emu)
			conn := newConnector(t, url, 5)
			read, err := conn.(connectors.Fetcher).Fetch(context.Background(), "customer", id)
			if err != nil {
				t.Fatal(err)
			}
			before, _ := emu.Customer(id)
			if tc.admin != nil {
				tc.admin(emu, id)
			}
			edited, _ := emu.Customer(id)
			_, err = conn.(connectors.Updater).Update(context.Background(), "customer", read, map[string]any{"firstname": "Pushed"})
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("Update: %v, want %v", err, tc.want)
			}
			after, _ := emu.Customer(id)
			if tc.want != nil {
				// Nothing written: the admin's save stands as it was.
				if diff := cmp.Diff(connectors.JSONForm(edited), connectors.JSONForm(after)); diff != "" {
					t.Errorf("customer written although it changed since the read (-admin +after):\n%s", diff)
				}
				if tc.wantDob != "" && after["dob"] != tc.wantDob {
					t.Errorf("dob %v, want the admin's %s", after["dob"], tc.wantDob)
				}
				return
			}
			if after["firstname"] != tc.wantFst || after["dob"] != before["dob"] {
				t.Errorf("firstname %v dob %v, want %s and dob kept %v", after["firstname"], after["dob"], tc.wantFst, before["dob"])
			}
		})
	}
}

// TestSplitAddressesJoinAgain: a shared default address split for a
// shipping address that differed (the hub holding billing Bonn and, for a
// moment, shipping Köln) is one address serving both defaults again once
// a patch makes the shipping address equal to the billing one — not two
// identical addresses, one per default. An address still different in
// any stored key (a VAT id) stays.
func TestSplitAddressesJoinAgain(t *testing.T) {
	bonn := map[string]any{"city": "Bonn", "postcode": "53111"}
	koeln := map[string]any{"city": "Köln", "postcode": "50667"}
	seed := func(email string) map[string]any {
		return map[string]any{"email": email, "firstname": "Magda", "lastname": "Lena", "addresses": []any{
			map[string]any{"firstname": "Magda", "lastname": "Lena", "street": []any{"Domplatz 1"}, "city": "Bonn", "postcode": "53111",
				"country_id": "DE", "telephone": "030 1234567", "default_billing": true, "default_shipping": true}}}
	}
	push := func(t *testing.T, conn connectors.Connector, id string, payload map[string]any) {
		t.Helper()
		if _, err := conn.(connectors.Writer).Upsert(context.Background(), "customer", id, payload); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("equal again", func(t *testing.T) {
		emu, url := startEmulator(t, magentotest.Options{})
		id := emu.CreateCustomer(seed("magda@example.com"))
		conn := newConnector(t, url, 5)
		push(t, conn, id, map[string]any{"default_shipping_address": koeln})
		c, _ := emu.Customer(id)
		if n := len(c["addresses"].([]any)); n != 2 {
			t.Fatalf("shipping Köln, billing Bonn: %d addresses, want the shared one split in two", n)
		}
		billingID := addressByCity(c, "Bonn")["id"]
		push(t, conn, id, map[string]any{"default_shipping_address": bonn})
		c, _ = emu.Customer(id)
		as := c["addresses"].([]any)
		if len(as) != 1 {
			t.Fatalf("shipping equal to billing again: addresses %v; want the one address serving both", as)
		}
		a := as[0].(map[string]any)
		if a["city"] != "Bonn" || a["default_billing"] != true || a["default_shipping"] != true || fmt.Sprint(a["id"]) != fmt.Sprint(billingID) {
			t.Errorf("address %v; want the billing address (id %v) holding both defaults", a, billingID)
		}
		if fmt.Sprint(c["default_billing"]) != fmt.Sprint(billingID) || fmt.Sprint(c["default_shipping"]) != fmt.Sprint(billingID) {
			t.Errorf("default ids %v/%v, want %v", c["default_billing"], c["default_shipping"], billingID)
		}
		// Once joined, the same push writes nothing.
		n := emu.Requests()
		push(t, conn, id, map[string]any{"default_shipping_address": bonn})
		if got := emu.Requests() - n; got != 1 {
			t.Errorf("repeated push made %d requests, want 1 (the read)", got)
		}
	})
	t.Run("still different", func(t *testing.T) {
		emu, url := startEmulator(t, magentotest.Options{})
		s := seed("vera@example.com")
		ship := connectors.CloneJSON(s["addresses"].([]any)[0]).(map[string]any)
		s["addresses"].([]any)[0].(map[string]any)["default_shipping"] = false
		ship["default_billing"], ship["city"], ship["postcode"], ship["vat_id"] = false, "Köln", "50667", "DE123456789"
		s["addresses"] = append(s["addresses"].([]any), ship)
		id := emu.CreateCustomer(s)
		conn := newConnector(t, url, 5)
		push(t, conn, id, map[string]any{"default_shipping_address": bonn})
		c, _ := emu.Customer(id)
		if n := len(c["addresses"].([]any)); n != 2 {
			t.Errorf("a shipping address with its own VAT id: %d addresses, want it kept", n)
		}
	})
}
