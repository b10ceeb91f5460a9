package connectors

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBaseURL(t *testing.T) {
	for _, tt := range []struct{ raw, want, err string }{
		{"https://shop.example.com/api/", "https://shop.example.com/api", ""},
		{" http://127.0.0.1:8080 ", "http://127.0.0.1:8080", ""},
		{"", "", "base_url is required"},
		{"shop.example.com", "", "want a base URL like"},
		{"ftp://shop.example.com", "", "want a base URL like"},
		{"https://shop.example.com/?x=1", "", "without query"},
	} {
		got, err := BaseURL("base_url", tt.raw, "https://shop.example.com")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: got %v, want an error containing %q", tt.raw, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: got %q, %v; want %q", tt.raw, got, err, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	type settings struct {
		URL     string        `default:"https://api.example.com"`
		Page    int           `default:"100"`
		Rate    float64       `default:"2.5"`
		On      bool          `default:"true"`
		Wait    time.Duration `default:"1m"`
		Scopes  []string      `default:"a, b"`
		NoTag   string
		Secret  string `secret:"true"`
		Already int    `default:"7"`
	}
	got := Defaults[settings]()
	want := &settings{URL: "https://api.example.com", Page: 100, Rate: 2.5, On: true, Wait: time.Minute, Scopes: []string{"a", "b"}, Already: 7}
	if d := cmp.Diff(want, got); d != "" {
		t.Error(d)
	}
	s := settings{Page: 5}
	if err := ApplyDefaults(&s); err != nil || s.Page != 5 {
		t.Errorf("a set field keeps its value: %d, %v", s.Page, err)
	}
	type bad struct {
		N int `default:"many"`
	}
	if err := ApplyDefaults(&bad{}); err == nil || !strings.Contains(err.Error(), "N: default") {
		t.Errorf("bad default: %v", err)
	}
}
