package shopify

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
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
	ok := Settings{ShopURL: "https://acme.myshopify.com", APIVersion: "2025-10", AccessToken: "shpat_x", PageSize: 250}
	tests := []struct {
		name   string
		mutate func(*Settings)
		ok     bool
	}{
		{"valid", func(*Settings) {}, true},
		{"http emulator", func(s *Settings) { s.ShopURL = "http://127.0.0.1:8080" }, true},
		{"unstable version", func(s *Settings) { s.APIVersion = "unstable" }, true},
		{"no scheme", func(s *Settings) { s.ShopURL = "acme.myshopify.com" }, false},
		{"with path", func(s *Settings) { s.ShopURL = "https://acme.myshopify.com/admin" }, false},
		{"bad version", func(s *Settings) { s.APIVersion = "2025-1" }, false},
		{"no token", func(s *Settings) { s.AccessToken = " " }, false},
		{"page too big", func(s *Settings) { s.PageSize = 251 }, false},
		{"page zero", func(s *Settings) { s.PageSize = 0 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := ok
			tt.mutate(&s)
			if err := s.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	if d := NewSettings(); d.APIVersion != "2025-10" || d.PageSize != 250 {
		t.Errorf("defaults = %+v", d)
	}
}

func TestDecodeSettingsRejectsUnknownKeys(t *testing.T) {
	_, err := connectors.DecodeSettings(Type, map[string]any{"shop_url": "https://a.myshopify.com", "acces_token": "typo"})
	if err == nil {
		t.Fatal("typo in settings accepted")
	}
}
