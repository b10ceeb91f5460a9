package webhooks

import (
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/internal/forwarded"
)

// The registration answer's confirmation_url is built from how the shop
// reached shophub. X-Forwarded-Proto and X-Forwarded-Host count only when
// the connection comes from a trusted proxy: anyone else could make the
// shop send its API credentials to a host of their choosing. (Which
// connection is trusted is forwarded's, tested there.)
func TestPublicURLBelievesOnlyTrustedProxies(t *testing.T) {
	proxies, err := forwarded.Parse([]string{"10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{TrustedProxies: proxies}
	for remote, want := range map[string]string{
		"203.0.113.9:40000": "http://shophub.example",
		"10.1.2.3:40000":    "https://hooks.shop.example",
	} {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", "http://shophub.example/apps/shopware/register", nil)
		c.Request.RemoteAddr = remote
		c.Request.Header.Set("X-Forwarded-Proto", "https")
		c.Request.Header.Set("X-Forwarded-Host", "hooks.shop.example")
		if got := r.publicURL(c); got != want {
			t.Errorf("from %s: publicURL = %q, want %q", remote, got, want)
		}
	}
}
