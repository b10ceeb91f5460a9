package rest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/erp/rest/resttest"
)

type setup struct {
	name     string
	typ      string
	style    resttest.Style
	settings func(url string) map[string]any
	// field names of the style's shape
	first, email string
	create       func(i int) map[string]any
}

func setups() []setup {
	generic := func(i int) map[string]any {
		return map[string]any{"email": fmt.Sprintf("kit-%d@example.com", i), "first_name": "Kit", "last_name": fmt.Sprint(i),
			"billing_address": map[string]any{"street": "Main St 1", "city": "Berlin", "zip": "10115", "country": "DE"}}
	}
	return []setup{
		{"weclapp", "weclapp", resttest.Weclapp, func(url string) map[string]any {
			return map[string]any{"base_url": url, "token": resttest.DefaultToken}
		}, "firstName", "email", func(i int) map[string]any {
			return map[string]any{"email": fmt.Sprintf("kit-%d@example.com", i), "firstName": "Kit", "lastName": fmt.Sprint(i), "partyType": "PERSON",
				"addresses": []any{map[string]any{"street1": "Main St 1", "city": "Berlin", "zipcode": "10115", "countryCode": "DE", "invoiceAddress": true, "primeAddress": true}}}
		}},
		{"xentral", "xentral", resttest.Xentral, func(url string) map[string]any {
			return map[string]any{"base_url": url, "token": resttest.DefaultToken}
		}, "firstName", "email", func(i int) map[string]any {
			return map[string]any{"email": fmt.Sprintf("kit-%d@example.com", i), "firstName": "Kit", "lastName": fmt.Sprint(i),
				"address": map[string]any{"street": "Main St 1", "city": "Berlin", "zip": "10115", "country": "DE"}}
		}},
		{"rest-cursor-by-path", "rest", resttest.Cursor, func(url string) map[string]any {
			return map[string]any{"profile": "testdata/inhouse-cursor.yaml", "base_url": url, "username": resttest.DefaultUser, "password": resttest.DefaultPassword}
		}, "first_name", "email", generic},
		{"rest-link-oauth2", "rest", resttest.Link, func(url string) map[string]any {
			return map[string]any{"profile": "testdata/inhouse-link.yaml", "base_url": url, "client_id": resttest.DefaultClientID,
				"client_secret": resttest.DefaultClientSecret, "token_url": url + "/oauth/token"}
		}, "first_name", "email", generic},
		{"rest-weclapp-by-name", "rest", resttest.Weclapp, func(url string) map[string]any {
			return map[string]any{"profile": "weclapp", "base_url": url, "token": resttest.DefaultToken}
		}, "firstName", "email", nil},
	}
}

func build(t *testing.T, typ string, settings map[string]any) connectors.Connector {
	t.Helper()
	c, err := connectors.New(connectors.Instance{Name: "erp-test", Type: typ, RateLimit: -1}, settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	const pageSize = 5
	for _, s := range setups() {
		t.Run(s.name, func(t *testing.T) {
			emu := resttest.New(resttest.Options{Style: s.style})
			url := emu.Start()
			t.Cleanup(emu.Close)
			settings := func() map[string]any {
				m := s.settings(url)
				m["page_size"] = pageSize
				return m
			}
			create := s.create
			if create == nil {
				create = setups()[0].create
			}
			connectortest.Run(t, connectortest.Env{
				Connector: build(t, s.typ, settings()),
				Reconnect: func(t *testing.T) connectors.Connector { return build(t, s.typ, settings()) },
				PageSize:  pageSize,
				Seed:      func(t *testing.T, n int) []string { return emu.Seed(n) },
				Touch: func(t *testing.T, id string) {
					if err := emu.UpdateCustomer(id, map[string]any{s.first: "Touched"}); err != nil {
						t.Fatal(err)
					}
				},
				Stored:        func(t *testing.T, id string) (map[string]any, bool) { return emu.Customer(id) },
				Count:         func(t *testing.T) int { return emu.Count() },
				CreatePayload: create,
				UpdatePayload: func(i int) map[string]any { return map[string]any{s.first: "Updated"} },
				UpdatedField:  s.first,
				UpdatedValue:  "Updated",
				Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
				Throttle:      func(t *testing.T, n int, d time.Duration) { emu.Throttle(n, d) },
			})
		})
	}
}

func TestSettingsAndProfiles(t *testing.T) {
	tests := []struct {
		typ      string
		settings map[string]any
		want     string
	}{
		{"rest", map[string]any{"base_url": "https://erp.example"}, "profile is required"},
		{"rest", map[string]any{"profile": "sap", "base_url": "https://erp.example"}, "no shipped profile"},
		{"rest", map[string]any{"profile": "testdata/missing.yaml"}, "no such file"},
		{"weclapp", map[string]any{"base_url": "https://acme.weclapp.com/webapp/api/v1"}, "token is required"},
		{"weclapp", map[string]any{"profile": "xentral", "token": "t", "base_url": "https://x.example"}, "fixed to weclapp"},
		{"weclapp", map[string]any{"token": "t"}, "base_url"},
		{"weclapp", map[string]any{"token": "t", "base_url": "https://acme.weclapp.com", "page_size": 5000}, "page_size 5000"},
		{"rest", map[string]any{"profile": "testdata/inhouse-link.yaml", "base_url": "https://x.example", "client_id": "c"}, "client_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := connectors.New(connectors.Instance{Name: "e", Type: tt.typ}, tt.settings)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestProfileErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"auth: {type: token}", "auth.type"},
		{"auth: {type: bearer}\nendpoints: {get: {path: /c}}", "needs the {id} placeholder"},
		{"auth: {type: bearer}\npagination: {style: page}", "page_param and size_param"},
		{"auth: {type: bearer}\nchanged_since: {format: iso}", "changed_since.format"},
		{"auth: {type: bearer}\nunknown: 1", "field unknown not found"},
	} {
		_, err := rest_ParseProfile(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.src, err, tt.want)
		}
	}
}
