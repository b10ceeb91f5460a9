package rest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/erp/profiles"
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
	return connectortest.Connect(t, connectors.Instance{Name: "erp-test", Type: typ, RateLimit: -1}, settings)
}

func TestConformance(t *testing.T) {
	const pageSize = 5
	for _, s := range setups() {
		t.Run(s.name, func(t *testing.T) {
			emu := resttest.New(resttest.Options{Style: s.style})
			url := connectortest.Start(t, emu)
			settings := func() map[string]any {
				m := s.settings(url)
				m["page_size"] = pageSize
				return m
			}
			create := s.create
			var mapping []byte
			if create == nil {
				create = setups()[0].create
				mapping, _ = profiles.Mapping("weclapp") // the profile named in the settings
			}
			connectortest.Run(t, connectortest.Env{
				Connector: build(t, s.typ, settings()),
				Reconnect: func(t *testing.T) connectors.Connector { return build(t, s.typ, settings()) },
				PageSize:  pageSize,
				Lookback:  5 * time.Second, // the default poll look-back of REST ERPs
				Touch: func(t *testing.T, id string) {
					if err := emu.UpdateCustomer(id, map[string]any{s.first: "Touched"}); err != nil {
						t.Fatal(err)
					}
				},
				CreatePayload: create,
				UpdatePayload: func(i int) map[string]any { return map[string]any{s.first: "Updated"} },
				UpdatedField:  s.first,
				UpdatedValue:  "Updated",
				Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
				Mapping:       mapping,
			}.WithEmulator(emu))
		})
	}
}

func TestSettingsAndProfiles(t *testing.T) {
	connectortest.CheckRefused(t, "", []connectortest.Refused{
		{Type: "rest", Settings: map[string]any{"base_url": "https://erp.example"}, Want: "profile is required"},
		{Type: "rest", Settings: map[string]any{"profile": "sap", "base_url": "https://erp.example"}, Want: "no shipped profile"},
		{Type: "rest", Settings: map[string]any{"profile": "testdata/missing.yaml"}, Want: "no such file"},
		{Type: "weclapp", Settings: map[string]any{"base_url": "https://acme.weclapp.com/webapp/api/v1"}, Want: "token is required"},
		{Type: "weclapp", Settings: map[string]any{"profile": "xentral", "token": "t", "base_url": "https://x.example"}, Want: "fixed to weclapp"},
		{Type: "weclapp", Settings: map[string]any{"token": "t"}, Want: "base_url"},
		{Type: "weclapp", Settings: map[string]any{"token": "t", "base_url": "https://acme.weclapp.com", "page_size": 5000}, Want: "page_size 5000"},
		{Type: "rest", Settings: map[string]any{"profile": "testdata/inhouse-link.yaml", "base_url": "https://x.example", "client_id": "c"}, Want: "client_secret"},
	})
}

func TestProfileErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"auth: {type: token}", "auth.type"},
		{"auth: {type: bearer}\nendpoints: {get: {path: /c}}", "needs the {id} placeholder"},
		{"auth: {type: bearer}\npagination: {style: page}", "page_param and size_param"},
		{"auth: {type: bearer}\nchanged_since: {format: iso}", "changed_since.format"},
		{"auth: {type: bearer}\nunknown: 1", "field unknown not found"},
		{"auth: {type: query}", "type query needs param"},
		{"auth: {type: bearer}\nendpoints: {find: {path: \"/c/{value}\"}}", "a path with {value} needs params"},
	} {
		_, err := rest_ParseProfile(tt.src)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: got %v, want %q", tt.src, err, tt.want)
		}
	}
}

// An expired OAuth2 token is replaced once, however many workers it fails
// for at the same time.
func TestOAuth2TokenRefreshedAfterExpiry(t *testing.T) {
	emu := resttest.New(resttest.Options{Style: resttest.Link})
	url := connectortest.Start(t, emu)
	c := build(t, "rest", map[string]any{"profile": "testdata/inhouse-link.yaml", "base_url": url, "client_id": resttest.DefaultClientID,
		"client_secret": resttest.DefaultClientSecret, "token_url": url + "/oauth/token"})
	id := emu.Seed(1)[0]
	fetch := func() {
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				if _, err := c.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, id); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	fetch()
	if n := emu.TokensIssued(); n != 1 {
		t.Errorf("%d tokens for 10 concurrent callers, want 1", n)
	}
	emu.ExpireTokens()
	fetch()
	if n := emu.TokensIssued(); n != 2 {
		t.Errorf("%d tokens after one expiry, want 2", n)
	}
}

// A profile path is relative to the config file's folder (Instance.Dir),
// as in a container where only that folder is mounted; shipped names and
// absolute paths stay as written.
func TestProfileRelativeToConfig(t *testing.T) {
	settings := func(profile string) map[string]any {
		return map[string]any{"profile": profile, "base_url": "https://erp.example", "username": "u", "password": "p"}
	}
	if c, err := connectors.New(connectors.Instance{Name: "erp", Type: "rest", Dir: "testdata"}, settings("inhouse-cursor.yaml")); err != nil {
		t.Errorf("profile beside the config: %v", err)
	} else {
		_ = c.Close()
	}
	if _, err := connectors.New(connectors.Instance{Name: "erp", Type: "rest"}, settings("inhouse-cursor.yaml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("without the config's folder: %v, want no such file", err)
	}
	// An absolute path stays as written.
	abs, err := filepath.Abs("testdata/inhouse-cursor.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := connectors.New(connectors.Instance{Name: "erp", Type: "rest", Dir: t.TempDir()}, settings(abs)); err != nil {
		t.Errorf("absolute profile path: %v", err)
	} else {
		_ = c.Close()
	}
}
