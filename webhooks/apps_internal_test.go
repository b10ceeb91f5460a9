package webhooks

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// The registration answer's confirmation_url is built from how the shop
// reached shophub. X-Forwarded-Proto and X-Forwarded-Host count only when
// the connection comes from a trusted proxy: anyone else could make the
// shop send its API credentials to a host of their choosing.
func TestPublicURLBelievesOnlyTrustedProxies(t *testing.T) {
	forged := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
	for _, tc := range []struct {
		name    string
		trusted []string
		remote  string
		tls     bool
		headers map[string]string
		want    string
	}{
		{"no trusted proxies", nil, "203.0.113.9:40000", false, forged, "http://shophub.example"},
		{"no trusted proxies, loopback caller", nil, "127.0.0.1:40000", false, forged, "http://shophub.example"},
		{"caller outside the trusted range", []string{"10.0.0.0/8"}, "203.0.113.9:40000", false, forged, "http://shophub.example"},
		{"direct TLS", nil, "203.0.113.9:40000", true, nil, "https://shophub.example"},
		{"trusted proxy by CIDR", []string{"10.0.0.0/8"}, "10.1.2.3:40000", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.shop.example"}, "https://hooks.shop.example"},
		{"trusted proxy by address, IPv4-mapped", []string{"10.1.2.3"}, "[::ffff:10.1.2.3]:40000", false,
			map[string]string{"X-Forwarded-Host": "hooks.shop.example"}, "http://hooks.shop.example"},
		{"trusted proxy, unknown scheme ignored", []string{"::1"}, "[::1]:40000", false,
			map[string]string{"X-Forwarded-Proto": "gopher"}, "http://shophub.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxies, err := ParseProxies(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			r := &Receiver{TrustedProxies: proxies}
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "http://shophub.example/apps/shopware/register", nil)
			c.Request.RemoteAddr = tc.remote
			if tc.tls {
				c.Request.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.headers {
				c.Request.Header.Set(k, v)
			}
			if got := r.publicURL(c); got != tc.want {
				t.Errorf("publicURL = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseProxies(t *testing.T) {
	got, err := ParseProxies([]string{"10.0.0.1", "192.168.1.7/16", "::1", "2001:db8::/32"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.1/32", "192.168.0.0/16", "::1/128", "2001:db8::/32"}
	for i, p := range got {
		if p.String() != want[i] {
			t.Errorf("proxy %d = %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"proxy.example", "10.0.0.0/33"} {
		if _, err := ParseProxies([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
