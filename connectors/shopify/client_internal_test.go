package shopify

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
)

func TestParseLink(t *testing.T) {
	const base = "https://acme.myshopify.com/admin/api/2025-10/customers.json"
	tests := []struct {
		name, header, next, prev string
	}{
		{"none", "", "", ""},
		{"next only", `<` + base + `?limit=5&page_info=eyJuZXh0Ijo1fQ>; rel="next"`, "eyJuZXh0Ijo1fQ", ""},
		{"previous and next as Shopify orders them",
			`<` + base + `?limit=5&page_info=cHJldg>; rel="previous", <` + base + `?limit=5&page_info=bmV4dA>; rel="next"`,
			"bmV4dA", "cHJldg"},
		{"previous only (last page)", `<` + base + `?page_info=cHJldg&limit=5>; rel="previous"`, "", "cHJldg"},
		{"escaped token", `<` + base + `?limit=5&page_info=ab%2Bcd%3D>; rel="next"`, "ab+cd=", ""},
		{"no space after semicolon", `<` + base + `?page_info=x>;rel="next"`, "x", ""},
		{"garbage", `not a link header`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next, prev := parseLink(tt.header)
			if next != tt.next || prev != tt.prev {
				t.Errorf("parseLink = (%q, %q), want (%q, %q)", next, prev, tt.next, tt.prev)
			}
		})
	}
}

func TestCursorRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    cursor
		text string
	}{
		{"backfill start", cursor{}, `{}`},
		{"incremental", cursor{Since: "2025-05-02T18:03:11Z"}, `{"since":"2025-05-02T18:03:11Z"}`},
		{"mid listing", cursor{Since: "2025-05-02T18:03:11Z", PageInfo: "eyJ4IjoxfQ", HighWater: "2025-05-02T18:09:00Z"},
			`{"since":"2025-05-02T18:03:11Z","page_info":"eyJ4IjoxfQ","high_water":"2025-05-02T18:09:00Z"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.String(); got != tt.text {
				t.Errorf("String = %s, want %s", got, tt.text)
			}
			back, err := parseCursor(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.c, back); diff != "" {
				t.Error(diff)
			}
		})
	}
	empty, err := parseCursor("")
	if err != nil || empty != (cursor{}) {
		t.Errorf("empty cursor = %+v, %v", empty, err)
	}
	for _, bad := range []string{"page=3", `{"since":"yesterday"}`, `{"high_water":12}`} {
		if _, err := parseCursor(bad); !errors.Is(err, connectors.ErrPermanent) {
			t.Errorf("parseCursor(%s) = %v, want a permanent error", bad, err)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	for name, s := range map[string]Settings{
		"valid":            {ShopURL: "https://acme.myshopify.com", APIVersion: "2025-10", AccessToken: "shpat_x", PageSize: 250},
		"http emulator":    {ShopURL: "http://127.0.0.1:8080", APIVersion: "2025-10", AccessToken: "shpat_x", PageSize: 250},
		"unstable version": {ShopURL: "https://acme.myshopify.com", APIVersion: "unstable", AccessToken: "shpat_x", PageSize: 250},
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: Validate() = %v", name, err)
		}
	}
	if d := NewSettings(); d.APIVersion != "2025-10" || d.PageSize != 250 {
		t.Errorf("defaults = %+v", d)
	}
	connectortest.CheckRefused(t, Type, []connectortest.Refused{
		{Name: "no scheme", Settings: map[string]any{"shop_url": "acme.myshopify.com", "access_token": "shpat_x"}, Want: "want a base URL"},
		{Name: "with path", Settings: map[string]any{"shop_url": "https://acme.myshopify.com/admin", "access_token": "shpat_x"}, Want: "without a path"},
		{Name: "bad version", Settings: map[string]any{"shop_url": "https://acme.myshopify.com", "access_token": "shpat_x", "api_version": "2025-1"}, Want: `api_version "2025-1"`},
		{Name: "no token", Settings: map[string]any{"shop_url": "https://acme.myshopify.com", "access_token": " "}, Want: "access_token is required"},
		{Name: "page too big", Settings: map[string]any{"shop_url": "https://acme.myshopify.com", "access_token": "shpat_x", "page_size": 251}, Want: "page_size 251"},
		{Name: "page zero", Settings: map[string]any{"shop_url": "https://acme.myshopify.com", "access_token": "shpat_x", "page_size": 0}, Want: "page_size 0"},
		{Name: "unknown key", Settings: map[string]any{"shop_url": "https://a.myshopify.com", "acces_token": "typo"}, Want: "acces_token"},
	})
}
