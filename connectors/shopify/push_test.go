package shopify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

func TestUpsertUpdatesDefaultAddressInPlace(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	w := newConnector(t, url, 5).(connectors.Writer)
	ctx := context.Background()
	addr := map[string]any{"address1": "Main St 1", "address2": "", "city": "Berlin", "zip": "10115", "country_code": "DE", "company": "ACME"}

	created, err := w.Upsert(ctx, "customer", "", map[string]any{"email": "addr@example.com", "first_name": "A", "default_address": addr})
	if err != nil {
		t.Fatal(err)
	}
	addresses := func() []any {
		c, ok := emu.Customer(created.ExternalID)
		if !ok {
			t.Fatal("customer gone")
		}
		return c["addresses"].([]any)
	}
	if n := len(addresses()); n != 1 {
		t.Fatalf("create made %d addresses, want 1", n)
	}

	tests := []struct {
		name       string
		payload    map[string]any
		wantWrites int64 // API requests the upsert may make
		wantCity   string
	}{
		{"same address: one PUT, no address write", map[string]any{"first_name": "A", "default_address": addr}, 1, "Berlin"},
		{"moved: PUT customer, PUT address, GET", map[string]any{"default_address": map[string]any{"address1": "Elm St 2", "city": "Hamburg", "zip": "20095", "country_code": "de"}}, 3, "Hamburg"},
		{"lone id-less addresses entry is the default address", map[string]any{"addresses": []any{map[string]any{"city": "Munich"}}}, 3, "Munich"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := emu.Requests()
			rec, err := w.Upsert(ctx, "customer", created.ExternalID, tt.payload)
			if err != nil {
				t.Fatal(err)
			}
			if got := emu.Requests() - before; got != tt.wantWrites {
				t.Errorf("made %d requests, want %d", got, tt.wantWrites)
			}
			if n := len(addresses()); n != 1 {
				t.Errorf("customer has %d addresses, want 1 (updated in place)", n)
			}
			da := rec.Data["default_address"].(map[string]any)
			if da["city"] != tt.wantCity {
				t.Errorf("returned default_address.city = %v, want %s", da["city"], tt.wantCity)
			}
		})
	}

	t.Run("customer without address gets one as default", func(t *testing.T) {
		id := emu.Seed(1)[0]
		rec, err := w.Upsert(ctx, "customer", id, map[string]any{"default_address": map[string]any{"city": "Vienna", "country_code": "AT"}})
		if err != nil {
			t.Fatal(err)
		}
		da, _ := rec.Data["default_address"].(map[string]any)
		if da == nil || da["city"] != "Vienna" || da["default"] != true {
			t.Errorf("default_address = %v", rec.Data["default_address"])
		}
	})
	t.Run("cleared address on a customer without one creates nothing", func(t *testing.T) {
		id := emu.Seed(1)[0]
		if _, err := w.Upsert(ctx, "customer", id, map[string]any{"default_address": map[string]any{"city": "", "zip": ""}}); err != nil {
			t.Fatal(err)
		}
		c, _ := emu.Customer(id)
		if n := len(c["addresses"].([]any)); n != 0 {
			t.Errorf("created %d empty addresses", n)
		}
	})
}

func TestUpsertValidationErrorIsPermanentAndKeepsBody(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	w := newConnector(t, url, 5).(connectors.Writer)
	ctx := context.Background()
	emu.CreateCustomer(map[string]any{"email": "taken@example.com"})
	other := emu.CreateCustomer(map[string]any{"email": "other@example.com"})

	for _, tt := range []struct{ name, id, email, want string }{
		{"create with taken email", "", "taken@example.com", `{"errors":{"email":["has already been taken"]}}`},
		{"update to taken email", other, "TAKEN@example.com", `has already been taken`},
		{"invalid email", other, "not-an-email", `{"errors":{"email":["is invalid"]}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := w.Upsert(ctx, "customer", tt.id, map[string]any{"email": tt.email})
			if !errors.Is(err, connectors.ErrPermanent) {
				t.Fatalf("got %v, want a permanent error", err)
			}
			var herr *connectors.HTTPError
			if !errors.As(err, &herr) || herr.Status != 422 || !strings.Contains(herr.Body, tt.want) {
				t.Errorf("error %v does not keep Shopify's 422 body %s", err, tt.want)
			}
		})
	}
}

func TestDeleteAndFind(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	c := newConnector(t, url, 5)
	ctx := context.Background()
	id := emu.CreateCustomer(map[string]any{"email": "Mixed.Case@Example.com", "phone": "+4930901820"})
	f := c.(connectors.Finder)

	for _, tt := range []struct{ key, value string }{{"email", "mixed.case@example.com"}, {"phone", "+49 30 901820"}} {
		rec, err := f.FindBy(ctx, "customer", tt.key, tt.value)
		if err != nil || rec.ExternalID != id {
			t.Errorf("FindBy(%s, %s) = %v, %v; want %s", tt.key, tt.value, rec, err, id)
		}
	}
	if _, err := f.FindBy(ctx, "customer", "note", "x"); !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("FindBy(note) = %v, want permanent", err)
	}
	w := c.(connectors.Writer)
	if err := w.Delete(ctx, "customer", id); err != nil {
		t.Fatal(err)
	}
	if err := w.Delete(ctx, "customer", id); err != nil {
		t.Errorf("second delete = %v, want nil (already gone)", err)
	}
	if _, err := f.FindBy(ctx, "customer", "email", "mixed.case@example.com"); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("FindBy after delete = %v, want ErrNotFound", err)
	}
	if _, err := c.(connectors.Fetcher).Fetch(ctx, "customer", "not-a-number"); !errors.Is(err, connectors.ErrPermanent) {
		t.Errorf("Fetch(non-numeric) = %v, want permanent", err)
	}
}
