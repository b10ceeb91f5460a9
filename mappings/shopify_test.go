package mappings

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func shopifyMapping(t testing.TB, settings map[string]any) *Mapping {
	t.Helper()
	m, err := Compile("testdata/shopify_mapping.yaml", readFixture(t, "shopify_mapping.yaml"), Options{Settings: settings, DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func shopifyRecord(t testing.TB) map[string]any {
	t.Helper()
	var rec map[string]any
	if err := json.Unmarshal(readFixture(t, "shopify_customer.json"), &rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

var shopifyAddress = map[string]any{
	"first_name": "Bob",
	"last_name":  "Norman",
	"company":    "Norman GmbH",
	"street":     "Friedrichstraße 123",
	"street2":    "3. OG",
	"zip":        "10117",
	"city":       "Berlin",
	"country":    "DE",
	"phone":      "+49301234567",
}

func TestShopifyInbound(t *testing.T) {
	m := shopifyMapping(t, nil)
	got, err := m.Inbound("customer", shopifyRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Doc{
		"email":            "bob.norman@mail.example.com",
		"first_name":       "Bob",
		"last_name":        "Norman",
		"company":          "Norman GmbH",
		"phone":            "+16136120707",
		"locale":           "de-DE",
		"tags":             []string{"newsletter", "vip"},
		"email_marketing":  map[string]any{"subscribed": true, "updated_at": "2024-02-29T00:00:00Z"},
		"sms_marketing":    map[string]any{"subscribed": false},
		"billing_address":  shopifyAddress,
		"shipping_address": shopifyAddress,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Inbound (-want +got):\n%s", diff)
	}
}

func TestShopifyIntrospection(t *testing.T) {
	m := shopifyMapping(t, nil)
	if diff := cmp.Diff([]string{"customer"}, m.Resources()); diff != "" {
		t.Error(diff)
	}
	wantFields := []string{"billing_address", "company", "email", "email_marketing", "first_name", "last_name", "locale", "phone", "shipping_address", "sms_marketing", "tags"}
	if diff := cmp.Diff(wantFields, m.Fields("customer")); diff != "" {
		t.Error(diff)
	}
	if !m.HasInbound("customer") || !m.HasOutbound("customer") || m.HasInbound("order") || m.HasOutbound("order") {
		t.Error("HasInbound/HasOutbound wrong")
	}
	if m.Fields("order") != nil {
		t.Error("Fields of an unmapped resource should be nil")
	}
}

func TestShopifySkipAndSettings(t *testing.T) {
	rec := shopifyRecord(t)
	rec["state"] = "disabled"
	m := shopifyMapping(t, map[string]any{"skip_disabled": true, "locale": "en"})
	_, err := m.Inbound("customer", rec)
	if !errors.Is(err, ErrSkip) {
		t.Fatalf("want ErrSkip, got %v", err)
	}
	rec["state"] = "enabled"
	doc, err := m.Inbound("customer", rec)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := doc["locale"]; ok {
		t.Errorf("locale should be omitted when settings.locale is set: %v", doc["locale"])
	}
}

func TestShopifyOutbound(t *testing.T) {
	m := shopifyMapping(t, nil)
	doc, err := m.Inbound("customer", shopifyRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Outbound("customer", doc)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"email":      "bob.norman@mail.example.com",
		"first_name": "Bob",
		"last_name":  "Norman",
		"phone":      "+16136120707",
		"tags":       "newsletter, vip",
		"email_marketing_consent": map[string]any{
			"state":              "subscribed",
			"opt_in_level":       "single_opt_in",
			"consent_updated_at": "2024-02-29T00:00:00Z",
		},
		"addresses": []any{map[string]any{
			"address1":     "Friedrichstraße 123",
			"address2":     "3. OG",
			"city":         "Berlin",
			"zip":          "10117",
			"country_code": "DE",
			"company":      "Norman GmbH",
			"phone":        "030 1234567",
			"first_name":   "Bob",
			"last_name":    "Norman",
			"default":      true,
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Outbound (-want +got):\n%s", diff)
	}

	// A doc that knows only the email leaves everything else untouched.
	got, err = m.Outbound("customer", Doc{"email": "a@b.de"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"email": "a@b.de"}, got); diff != "" {
		t.Errorf("sparse Outbound (-want +got):\n%s", diff)
	}

	if _, err := m.Outbound("customer", Doc{"first_name": "x"}); !errors.Is(err, ErrSkip) {
		t.Errorf("outbound skip_when: want ErrSkip, got %v", err)
	}
}

func TestShopifyRuntimeErrorMasked(t *testing.T) {
	m := shopifyMapping(t, nil)
	rec := shopifyRecord(t)
	rec["email"] = "bob.norman(at)example.com"
	_, err := m.Inbound("customer", rec)
	if err == nil || err.Error() != "testdata/shopify_mapping.yaml:8: field email (from email = ***): not an email address" {
		t.Errorf("email error: %v", err)
	}
}

// One compiled mapping serves all workers.
func TestShopifyConcurrent(t *testing.T) {
	m := shopifyMapping(t, nil)
	want, err := m.Inbound("customer", shopifyRecord(t))
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func() {
			rec := shopifyRecord(t)
			for i := 0; i < 50; i++ {
				got, err := m.Inbound("customer", rec)
				if err == nil && !cmp.Equal(want, got) {
					err = errors.New(cmp.Diff(want, got))
				}
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
