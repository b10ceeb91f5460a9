package app_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/rest/resttest"
	shsync "github.com/shophub/shophub/sync"
)

// switchProxy sits in front of an emulator; while down it drops every
// connection unanswered, as an unreachable vendor does.
type switchProxy struct {
	down atomic.Bool
}

func (p *switchProxy) wrap(t *testing.T, target string) string {
	return proxyTo(t, target, func(w http.ResponseWriter, r *http.Request, next http.Handler) {
		if p.down.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				if tc, ok := conn.(*net.TCPConn); ok {
					_ = tc.SetLinger(0) // a reset, not a polite close
				}
				_ = conn.Close()
			}
			return
		}
		next.ServeHTTP(w, r)
	})
}

func readyz(t *testing.T, base string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func connectorState(body map[string]any, name string) string {
	cs, _ := body["connectors"].(map[string]any)
	s, _ := cs[name].(string)
	return s
}

// One sick vendor stops nobody: with Shopware unreachable at start-up,
// shophub starts, takes Shopify's webhooks and pushes them to the ERP,
// shows Shopware as down (status board, /readyz detail, metrics) while
// /readyz stays green, and Shopware catches up once it is back.
func TestShopwareDownAtStartStopsNobody(t *testing.T) {
	t.Parallel()
	proxy := &switchProxy{}
	proxy.down.Store(true)
	erp := resttest.New(resttest.Options{Style: resttest.Weclapp})
	erpURL := erp.Start()
	t.Cleanup(erp.Close)
	e := newEnv(t, envOptions{
		lazy:        true,
		shopwareVia: func(u string) string { return proxy.wrap(t, u) },
		tune: func(c *config.Config) {
			c.Connectors = append(c.Connectors, config.Connector{
				Name: "weclapp", Type: "weclapp",
				Settings: map[string]any{"base_url": erpURL, "token": resttest.DefaultToken, "page_size": 50},
			})
		},
	})

	email := "ausfall@example.com"
	shopifyID := e.shopify.CreateCustomer(map[string]any{"email": email, "first_name": "Anton", "last_name": "Ausfall",
		"addresses": []any{map[string]any{"address1": "Hauptstraße 1", "city": "Berlin", "zip": "10115", "country_code": "DE", "default": true}}})
	var custID uint64
	eventually(t, 20*time.Second, "Shopify customer never reached the ERP while Shopware was down", func() bool {
		c, _ := e.hubCustomer(t, email)
		if c == nil {
			return false
		}
		custID = c.ID
		return e.linkOf(t, c.ID, "weclapp") != ""
	})
	if e.linkOf(t, custID, "shopify") != shopifyID {
		t.Errorf("hub not linked to the Shopify record %s", shopifyID)
	}

	// Shopware shows as down, everywhere an operator looks.
	eventually(t, 10*time.Second, "Shopware never reported down on the health board", func() bool {
		board, err := shsync.ReadHealth(t.Context(), e.rdb)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range board {
			if h.Instance == "shopware" && h.State == shsync.StateDown && h.Error != "" {
				return true
			}
		}
		return false
	})
	status, body := readyz(t, e.app.URL())
	if status != http.StatusOK {
		t.Errorf("/readyz %d with one vendor down, want 200 (the others work): %v", status, body)
	}
	if s := connectorState(body, "shopware"); !strings.HasPrefix(s, "down since") {
		t.Errorf("/readyz says shopware is %q, want down", s)
	}
	if s := connectorState(body, "shopify"); s != shsync.StateUp {
		t.Errorf("/readyz says shopify is %q, want up", s)
	}
	resp, err := http.Get(e.app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`shophub_connector_up{connector="shopware"} 0`, `shophub_connector_up{connector="shopify"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := e.shopware.Count(); n != 0 {
		t.Fatalf("Shopware holds %d customers while unreachable", n)
	}

	// Shopware comes back and catches up with what it missed.
	proxy.down.Store(false)
	eventually(t, 90*time.Second, "Shopware never caught up after it came back", func() bool {
		return e.linkOf(t, custID, "shopware") != ""
	})
	sw, ok := e.shopware.Customer(e.linkOf(t, custID, "shopware"))
	if !ok || sw["email"] != email || sw["lastName"] != "Ausfall" {
		t.Errorf("Shopware record after catching up: %v", sw)
	}
	eventually(t, 30*time.Second, "/readyz never showed Shopware up again", func() bool {
		_, body := readyz(t, e.app.URL())
		return connectorState(body, "shopware") == shsync.StateUp
	})
}
