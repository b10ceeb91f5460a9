package odoo_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/erp/odoo"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
)

func startEmulator(t *testing.T, opts odootest.Options) (*odootest.Emulator, string) {
	t.Helper()
	emu := odootest.New(opts)
	return emu, connectortest.Start(t, emu)
}

func build(t *testing.T, inst connectors.Instance, settings map[string]any) connectors.Connector {
	t.Helper()
	inst.Type = odoo.Type
	if inst.Name == "" {
		inst.Name = "odoo-test"
	}
	inst.RateLimit = -1
	return connectortest.Connect(t, inst, settings)
}

func json2Settings(url string, pageSize int) map[string]any {
	return map[string]any{"url": url, "api_key": odootest.DefaultAPIKey, "database": odootest.DefaultDatabase, "page_size": pageSize}
}

func jsonrpcSettings(url string, pageSize int) map[string]any {
	return map[string]any{"url": url, "api_key": odootest.DefaultAPIKey, "database": odootest.DefaultDatabase,
		"login": odootest.DefaultLogin, "protocol": "jsonrpc", "page_size": pageSize}
}

func conformanceEnv(t *testing.T, emu *odootest.Emulator, settings func() map[string]any, pageSize int) connectortest.Env {
	return connectortest.Env{
		Connector: build(t, connectors.Instance{}, settings()),
		Reconnect: func(t *testing.T) connectors.Connector { return build(t, connectors.Instance{}, settings()) },
		PageSize:  pageSize,
		Lookback:  5 * time.Minute, // odoo's default poll look-back
		Touch: func(t *testing.T, id string) {
			if err := emu.UpdateCustomer(id, map[string]any{"comment": "touched " + time.Now().Format(time.RFC3339Nano)}); err != nil {
				t.Fatal(err)
			}
		},
		CreatePayload: func(i int) map[string]any {
			return map[string]any{"name": fmt.Sprintf("Kit %d", i), "email": fmt.Sprintf("kit-%d@example.com", i),
				"street": "Main St 1", "city": "Berlin", "zip": "10115", "country_code": "DE", "state_code": "BE",
				"category_names": []any{"vip", "b2b"}}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"name": "Updated Kit"} },
		UpdatedField:  "name",
		UpdatedValue:  "Updated Kit",
		Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
	}.WithEmulator(emu)
}

// TestConformance runs the kit over JSON-2 and over the legacy /jsonrpc
// endpoint (an Odoo 17 that has no JSON-2).
func TestConformance(t *testing.T) {
	const pageSize = 5
	t.Run("json2", func(t *testing.T) {
		emu, url := startEmulator(t, odootest.Options{})
		connectortest.Run(t, conformanceEnv(t, emu, func() map[string]any { return json2Settings(url, pageSize) }, pageSize))
	})
	t.Run("jsonrpc-odoo17", func(t *testing.T) {
		emu, url := startEmulator(t, odootest.Options{Version: "17.0"})
		connectortest.Run(t, conformanceEnv(t, emu, func() map[string]any { return jsonrpcSettings(url, pageSize) }, pageSize))
	})
}

func TestSettingsValidation(t *testing.T) {
	connectortest.CheckRefused(t, odoo.Type, []connectortest.Refused{
		{Name: "no key", Settings: map[string]any{"url": "https://odoo.example"}, Want: "api_key is required"},
		{Name: "json path in url", Settings: map[string]any{"url": "https://odoo.example/json/2", "api_key": "k"}, Want: "without /json"},
		{Name: "jsonrpc without login", Settings: map[string]any{"url": "https://odoo.example", "api_key": "k", "protocol": "jsonrpc"}, Want: "needs database and login"},
		{Name: "bad protocol", Settings: map[string]any{"url": "https://odoo.example", "api_key": "k", "protocol": "xmlrpc"}, Want: "want json2 or jsonrpc"},
		{Name: "bad partners", Settings: map[string]any{"url": "https://odoo.example", "api_key": "k", "partners": "people"}, Want: "partners"},
		{Name: "unknown key", Settings: map[string]any{"url": "https://odoo.example", "api_key": "k", "apikey": "x"}, Want: "not found"},
	})
}

// TestOdooErrorsSurface: Odoo's {name, message} reaches the error text and
// classifies the error.
func TestOdooErrorsSurface(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	bad := build(t, connectors.Instance{}, map[string]any{"url": url, "api_key": "wrong"})
	_, err := bad.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, "7")
	var oerr *odoo.Error
	if !errors.As(err, &oerr) || oerr.Status != http.StatusUnauthorized || !strings.Contains(err.Error(), "Invalid apikey") {
		t.Fatalf("wrong key: got %v, want *odoo.Error 401 with Odoo's message", err)
	}

	good := build(t, connectors.Instance{}, json2Settings(url, 10))
	id := emu.Seed(1)[0]
	_, err = good.(connectors.Writer).Upsert(context.Background(), connectors.ResourceCustomer, id, map[string]any{"email": "not-an-email"})
	if !errors.As(err, &oerr) || oerr.Name != "odoo.exceptions.ValidationError" || !errors.Is(err, connectors.ErrPermanent) {
		t.Fatalf("invalid email: got %v, want a permanent ValidationError", err)
	}
	if !strings.Contains(err.Error(), "Invalid email address") {
		t.Errorf("error %q lacks Odoo's message", err)
	}

	rpc := build(t, connectors.Instance{}, map[string]any{"url": url, "api_key": "wrong", "database": odootest.DefaultDatabase,
		"login": odootest.DefaultLogin, "protocol": "jsonrpc"})
	_, err = rpc.(connectors.Lister).List(context.Background(), connectors.ResourceCustomer, "")
	if !errors.Is(err, odoo.ErrLoginRefused) || !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("jsonrpc wrong key: got %v, want permanent ErrLoginRefused", err)
	}
}

// TestSameSecondKeyset: 250 partners written in one second, listed in
// pages of 20, are all returned exactly once; a partner written later in
// the same second, and a second edit of one, are still found.
func TestSameSecondKeyset(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	second := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	emu.SetNow(second)
	ids := emu.Seed(250)
	l := build(t, connectors.Instance{}, json2Settings(url, 20)).(connectors.Lister)
	seen := map[string]int{}
	cursor := ""
	for {
		p, err := l.List(context.Background(), connectors.ResourceCustomer, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			seen[r.ExternalID]++
		}
		cursor = p.Next
		if p.Done {
			break
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Fatalf("partner %s listed %d times", id, seen[id])
		}
	}
	// Same second, after the listing: a new partner and a second edit of
	// a listed one are both found (listed again with their second, which
	// the pipeline then drops by content where unchanged).
	late := emu.Seed(1)[0]
	if err := emu.UpdateCustomer(ids[7], map[string]any{"phone": "+49 30 555"}); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]any{}
	for {
		p, err := l.List(context.Background(), connectors.ResourceCustomer, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			got[r.ExternalID] = r.Data
		}
		cursor = p.Next
		if p.Done {
			break
		}
	}
	if got[late] == nil {
		t.Errorf("partner %s written in the cursor's second after the listing was not listed", late)
	}
	if got[ids[7]]["phone"] != "+49 30 555" {
		t.Errorf("partner %s edited again in the cursor's second listed as %v", ids[7], got[ids[7]])
	}
}

func TestPartnersScope(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	person := emu.CreateCustomer(map[string]any{"name": "Ina Person", "email": "ina@example.com"})
	company := emu.CreateCustomer(map[string]any{"name": "Acme GmbH", "is_company": true, "email": "info@acme.example"})
	contact := emu.CreateCustomer(map[string]any{"name": "Carl Contact", "email": "carl@acme.example", "parent_id": mustInt(company)})
	emu.CreateCustomer(map[string]any{"name": "Acme Lager", "type": "delivery", "parent_id": mustInt(company)})

	list := func(partners string) map[string]map[string]any {
		s := json2Settings(url, 50)
		s["partners"] = partners
		p, err := build(t, connectors.Instance{}, s).(connectors.Lister).List(context.Background(), connectors.ResourceCustomer, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]any{}
		for _, r := range p.Records {
			out[r.ExternalID] = r.Data
		}
		return out
	}
	ind := list("individuals")
	if len(ind) != 2 || ind[person] == nil || ind[contact] == nil {
		t.Errorf("individuals = %v, want the person and the company's contact", keys(ind))
	}
	if ind[contact]["company"] != "Acme GmbH" {
		t.Errorf("contact's company = %v, want its parent's name", ind[contact]["company"])
	}
	if co := list("companies"); len(co) != 1 || co[company] == nil {
		t.Errorf("companies = %v, want only the company", keys(co))
	}
	if all := list("all"); len(all) != 3 {
		t.Errorf("all = %v, want 3 (no delivery address)", keys(all))
	}

	// Pushing a company name links the individual to that company partner.
	s := json2Settings(url, 50)
	s["partners"] = "individuals"
	w := build(t, connectors.Instance{}, s).(connectors.Writer)
	rec, err := w.Upsert(context.Background(), connectors.ResourceCustomer, person, map[string]any{"company": "ACME GmbH"})
	if err != nil {
		t.Fatal(err)
	}
	if rec.Data["company"] != "Acme GmbH" {
		t.Errorf("after push company = %v", rec.Data["company"])
	}
	stored, _ := emu.Customer(person)
	if p, _ := stored["parent_id"].([]any); len(p) == 0 || fmt.Sprint(p[0]) != company {
		t.Errorf("parent_id = %v, want company %s", stored["parent_id"], company)
	}
}

// TestPushResolvesCodesAndWritesOnlyChanges: country and state by code,
// tags as category_id, and an unchanged push writes nothing.
func TestPushResolvesCodesAndWritesOnlyChanges(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	w := build(t, connectors.Instance{}, json2Settings(url, 50)).(connectors.Writer)
	payload := map[string]any{"name": "Vera Vogel", "email": "vera@example.com", "street": "Unter den Linden 1", "city": "Berlin",
		"zip": "10117", "country_code": "DE", "state_code": "Berlin", "category_names": []any{"vip", "newsletter"}}
	rec, err := w.Upsert(context.Background(), connectors.ResourceCustomer, "", payload)
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := emu.Customer(rec.ExternalID)
	if stored["country_code"] != "DE" || stored["state_code"] != "BE" {
		t.Errorf("country %v state %v, want DE and BE (found by name)", stored["country_code"], stored["state_code"])
	}
	if fmt.Sprint(stored["category_names"]) != "[vip newsletter]" && fmt.Sprint(stored["category_names"]) != "[newsletter vip]" {
		t.Errorf("tags = %v", stored["category_names"])
	}
	if stored["customer_rank"] != int64(1) {
		t.Errorf("customer_rank = %v, want 1", stored["customer_rank"])
	}
	before := len(emu.RequestLog())
	payload["state_code"] = "BE"
	if _, err := w.Upsert(context.Background(), connectors.ResourceCustomer, rec.ExternalID, payload); err != nil {
		t.Fatal(err)
	}
	for _, call := range emu.RequestLog()[before:] {
		if strings.HasSuffix(call, "/write") || strings.HasSuffix(call, "/create") {
			t.Errorf("unchanged push wrote: %v", emu.RequestLog()[before:])
		}
	}
	if _, err := w.Upsert(context.Background(), connectors.ResourceCustomer, rec.ExternalID, map[string]any{"category_names": []any{"vip"}, "country_code": "AT", "state_code": ""}); err != nil {
		t.Fatal(err)
	}
	stored, _ = emu.Customer(rec.ExternalID)
	if fmt.Sprint(stored["category_names"]) != "[vip]" || stored["country_code"] != "AT" || stored["state_id"] != false {
		t.Errorf("after update tags %v country %v state %v", stored["category_names"], stored["country_code"], stored["state_id"])
	}
}

func mustInt(s string) int {
	var n int
	_, _ = fmt.Sscan(s, &n)
	return n
}

func keys(m map[string]map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestFindByEmailFindsPersons: with partners "all", a company partner
// that shares the email of a person (info@…, or the owner's address on
// the company) is not that person: finding by email returns the person,
// or nothing — never the company, which the next push would rename after
// the person.
func TestFindByEmailFindsPersons(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	company := emu.CreateCustomer(map[string]any{"name": "Schmidt Feinkost GmbH", "is_company": true, "email": "anna@schmidt.example"})
	f := build(t, connectors.Instance{}, json2Settings(url, 50)).(connectors.Finder)
	if rec, err := f.FindBy(context.Background(), connectors.ResourceCustomer, "email", "anna@schmidt.example"); !errors.Is(err, connectors.ErrNotFound) {
		t.Fatalf("only the company has the email: found %v (%v), want not found", rec, err)
	}
	person := emu.CreateCustomer(map[string]any{"name": "Anna Schmidt", "email": "Anna@Schmidt.example", "parent_id": mustInt(company)})
	rec, err := f.FindBy(context.Background(), connectors.ResourceCustomer, "email", "anna@schmidt.example")
	if err != nil || rec.ExternalID != person {
		t.Fatalf("found %v (%v), want the person %s", rec, err, person)
	}
	if c, _ := emu.Customer(company); c["name"] != "Schmidt Feinkost GmbH" {
		t.Errorf("company renamed to %v", c["name"])
	}
}

// TestCompanyLinkIsExact: the company a customer is linked to (parent_id)
// is the company partner of exactly that name, case aside; LIKE's
// wildcards in a shop's company name match themselves.
func TestCompanyLinkIsExact(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	acme := emu.CreateCustomer(map[string]any{"name": "Acme GmbH", "is_company": true})
	emu.CreateCustomer(map[string]any{"name": "ACME GMBH", "is_company": true})
	emu.CreateCustomer(map[string]any{"name": "Globex AG", "is_company": true})
	pct := emu.CreateCustomer(map[string]any{"name": "50% Rabatt AG", "is_company": true})
	w := build(t, connectors.Instance{}, json2Settings(url, 50)).(connectors.Writer)
	for _, tc := range []struct {
		company    string
		wantParent string // "" = no parent, the name goes to company_name
	}{
		{"%", ""},
		{"_cme GmbH", ""},
		{"Acme%", ""},
		{"Acme GmbH", acme}, // of two spellings, the exact one
		{"50% Rabatt AG", pct},
		{"50_ Rabatt AG", ""},
	} {
		rec, err := w.Upsert(context.Background(), connectors.ResourceCustomer, "", map[string]any{"name": "Kim Kunde", "email": "kim@example.com", "company": tc.company})
		if err != nil {
			t.Fatalf("%q: %v", tc.company, err)
		}
		stored, _ := emu.Customer(rec.ExternalID)
		parent := ""
		if p, ok := stored["parent_id"].([]any); ok && len(p) > 0 {
			parent = fmt.Sprint(p[0])
		}
		if parent != tc.wantParent {
			t.Errorf("company %q: parent_id %q, want %q", tc.company, parent, tc.wantParent)
		}
		if tc.wantParent == "" && stored["company_name"] != tc.company {
			t.Errorf("company %q: company_name %v", tc.company, stored["company_name"])
		}
		emu.DeleteCustomer(rec.ExternalID)
	}
}

// TestPollSeesArchivedPartners: Odoo hides archived partners from every
// search unless the domain names active (active_test), as the emulator
// does. A poll must still see a partner archived since the last poll, and
// report it as deleted; its unarchiving comes back as a live record.
func TestPollSeesArchivedPartners(t *testing.T) {
	emu, url := startEmulator(t, odootest.Options{})
	id := emu.CreateCustomer(map[string]any{"name": "Arne Archiv", "email": "arne@example.com"})
	keep := emu.CreateCustomer(map[string]any{"name": "Bleibt Da", "email": "bleibt@example.com"})
	if err := emu.UpdateCustomer(id, map[string]any{"active": false}); err != nil {
		t.Fatal(err)
	}
	conn := build(t, connectors.Instance{}, json2Settings(url, 50))
	// Odoo itself (the emulator) hides it from a plain search.
	if _, err := conn.(connectors.Finder).FindBy(context.Background(), connectors.ResourceCustomer, "email", "arne@example.com"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("FindBy of an archived partner: err %v, want not found like Odoo's default search", err)
	}
	p, err := conn.(connectors.Lister).List(context.Background(), connectors.ResourceCustomer, "")
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	for _, r := range p.Records {
		deleted[r.ExternalID] = r.Deleted
	}
	if want := map[string]bool{id: true, keep: false}; fmt.Sprint(deleted) != fmt.Sprint(want) {
		t.Errorf("listed (id: deleted) %v, want %v", deleted, want)
	}
	rec, err := conn.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, id)
	if err != nil || !rec.Deleted {
		t.Errorf("Fetch of an archived partner: %v, deleted %v; want it, deleted", err, rec != nil && rec.Deleted)
	}
}

// TestUpdateRefusesAChangedPartner: the pipeline sends Odoo whole payloads
// and Odoo has no conditional write, so Update compares the read it makes
// anyway with the pipeline's: a user's save since (of the value the push
// writes or of another) makes it write nothing and answer ErrChanged, so
// the pipeline merges that edit first.
func TestUpdateRefusesAChangedPartner(t *testing.T) {
	cases := []struct {
		name string
		user map[string]any // saved between read and Update; nil: none
		want error
	}{
		{"unchanged since the read: written", nil, nil},
		{"user changed the pushed value", map[string]any{"city": "Köln"}, connectors.ErrChanged},
		{"user changed another value", map[string]any{"phone": "+49301234567"}, connectors.ErrChanged},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu, url := startEmulator(t, odootest.Options{})
			conn := build(t, connectors.Instance{}, json2Settings(url, 50))
			id := emu.CreateCustomer(map[string]any{"name": "Vera Vogel", "email": "vera@example.com", "city": "Berlin", "customer_rank": 1})
			read, err := conn.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, id)
			if err != nil {
				t.Fatal(err)
			}
			if tc.user != nil {
				if err := emu.UpdateCustomer(id, tc.user); err != nil {
					t.Fatal(err)
				}
			}
			edited, _ := emu.Customer(id)
			_, err = conn.(connectors.Updater).Update(context.Background(), connectors.ResourceCustomer, read, map[string]any{"name": "Vera Vogel", "city": "Hamburg"})
			after, _ := emu.Customer(id)
			if tc.want == nil {
				if err != nil || after["city"] != "Hamburg" {
					t.Fatalf("Update: %v, city %v, want Hamburg", err, after["city"])
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("Update: %v, want %v", err, tc.want)
			}
			if fmt.Sprint(edited) != fmt.Sprint(after) {
				t.Errorf("partner written although it changed since the read:\n user  %v\n after %v", edited, after)
			}
		})
	}
}
