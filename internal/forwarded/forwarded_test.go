package forwarded

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestParse(t *testing.T) {
	got, err := Parse([]string{"10.0.0.1", "192.168.1.7/16", "::1", "2001:db8::/32"})
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
		if _, err := Parse([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Scheme and Host believe X-Forwarded-Proto and -Host only from a trusted
// proxy's connection; the scheme is otherwise the connection's own.
func TestSchemeAndHost(t *testing.T) {
	forged := map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
	for _, tc := range []struct {
		name         string
		trusted      []string
		remote       string
		tls          bool
		headers      map[string]string
		scheme, host string
	}{
		{"no trusted proxies", nil, "203.0.113.9:40000", false, forged, "http", "shophub.example"},
		{"no trusted proxies, loopback caller", nil, "127.0.0.1:40000", false, forged, "http", "shophub.example"},
		{"caller outside the trusted range", []string{"10.0.0.0/8"}, "203.0.113.9:40000", false, forged, "http", "shophub.example"},
		{"direct TLS", nil, "203.0.113.9:40000", true, forged, "https", "shophub.example"},
		{"trusted proxy by CIDR", []string{"10.0.0.0/8"}, "10.1.2.3:40000", false, forged, "https", "evil.example"},
		{"trusted proxy, upper case", []string{"10.1.2.3"}, "10.1.2.3:40000", false, map[string]string{"X-Forwarded-Proto": "HTTPS"}, "https", "shophub.example"},
		{"trusted proxy by address, IPv4-mapped", []string{"10.1.2.3"}, "[::ffff:10.1.2.3]:40000", false, forged, "https", "evil.example"},
		{"trusted proxy says http over TLS", []string{"::1"}, "[::1]:40000", true, map[string]string{"X-Forwarded-Proto": "http"}, "http", "shophub.example"},
		{"trusted proxy, unknown scheme ignored", []string{"::1"}, "[::1]:40000", false, map[string]string{"X-Forwarded-Proto": "gopher"}, "http", "shophub.example"},
		{"trusted proxy says nothing, TLS", []string{"::1"}, "[::1]:40000", true, nil, "https", "shophub.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.trusted)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := gin.CreateTestContext(httptest.NewRecorder())
			c.Request = httptest.NewRequest("GET", "http://shophub.example/ui/login", nil)
			c.Request.RemoteAddr = tc.remote
			if tc.tls {
				c.Request.TLS = &tls.ConnectionState{}
			}
			for k, v := range tc.headers {
				c.Request.Header.Set(k, v)
			}
			if got := p.Scheme(c); got != tc.scheme {
				t.Errorf("Scheme = %q, want %q", got, tc.scheme)
			}
			if got := p.Host(c); got != tc.host {
				t.Errorf("Host = %q, want %q", got, tc.host)
			}
		})
	}
}
