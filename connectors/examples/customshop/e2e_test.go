package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/cmd/shophub/cli"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"

	"example.com/customshop-shophub/customshop/customshoptest"
)

// TestCustomBinarySyncsWithShopify runs this module's shophub — the
// stock commands plus the custom shop, as main.go builds it — with
// `shophub all` on a config naming Shopify (the repository's emulator) and
// the custom shop, and syncs customers both ways: a Shopify sign-up
// reaches the custom shop over its REST API, and a customer made and then
// edited in the custom shop's admin reaches Shopify through its webhook.
func TestCustomBinarySyncsWithShopify(t *testing.T) {
	shopify := shopifytest.New(shopifytest.Options{AccessToken: app.DemoShopifyToken, WebhookSecret: app.DemoShopifySecret})
	shopifyURL := shopify.Start()
	t.Cleanup(shopify.Close)
	shop := customshoptest.New()
	shopURL := shop.Start()
	t.Cleanup(shop.Close)

	_, ropts := redistest.Client(t)
	driver, dsn := "sqlite", filepath.Join(t.TempDir(), "hub.db")
	if os.Getenv(hubtest.EnvMySQL) != "" {
		driver, dsn = "mysql", hubtest.MySQLDSN(t)
	}
	addr := freeAddr(t)
	cfg := filepath.Join(t.TempDir(), "shophub.yaml")
	writeFile(t, cfg, fmt.Sprintf(`server:
  listen: %q
database:
  driver: %s
  dsn: %q
redis:
  addr: %q
  db: %d
hub:
  default_region: DE
worker:
  outbox_interval: 1s
connectors:
  - name: shopify
    type: shopify
    resources: [customer]
    webhook_secret: %q
    settings:
      shop_url: %q
      access_token: %q
      shop_domain: %q
  - name: shop
    type: customshop
    resources: [customer]
    webhook_secret: %q
    settings:
      base_url: %q
      api_key: %q
`, addr, driver, dsn, ropts.Addr, ropts.DB, app.DemoShopifySecret, shopifyURL, app.DemoShopifyToken, shopifytest.DefaultShopDomain,
		customshoptest.WebhookSecret, shopURL, customshoptest.APIKey))

	// The custom binary knows its extra connector: check accepts the
	// config, the generated docs describe it.
	ctx := context.Background()
	if err := cli.Execute(ctx, []string{"check", "--config", cfg, cfg}); err != nil {
		t.Fatalf("shophub check: %v", err)
	}
	var docs strings.Builder
	if err := cli.ConnectorDocs(&docs); err != nil || !strings.Contains(docs.String(), "## `customshop`") {
		t.Errorf("connector docs lack customshop (%v)", err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- cli.Execute(runCtx, []string{"all", "--config", cfg, "--migrate", "--log-level", "warn", "--log-format", "text"})
	}()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("shophub all: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("shophub all did not stop within 60s")
		}
	})
	base := "http://" + addr
	eventually(t, 60*time.Second, "shophub never answered /healthz", func() bool {
		select {
		case err := <-done:
			t.Fatalf("shophub all ended: %v", err)
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	shopify.SetWebhookURL(base + "/webhooks/shopify")
	shop.SetWebhookURL(base + "/webhooks/shop")

	// Shopify → custom shop (webhook in at Shopify, REST out to the shop).
	shopify.CreateCustomer(app.DemoCustomer(1))
	email := app.DemoCustomer(1)["email"].(string)
	var shopID string
	eventually(t, 90*time.Second, "the Shopify customer never reached the custom shop", func() bool {
		id, ok := shop.FindByEmail(email)
		shopID = id
		return ok
	})
	got, _ := shop.Customer(shopID)
	if got["first_name"] != "Lukas" || got["last_name"] != "Müller" || got["phone"] != "+49301000001" {
		t.Errorf("custom shop holds %v", got)
	}

	// Custom shop → Shopify (webhook in at the shop, REST out to Shopify).
	id := shop.CreateCustomer(map[string]any{"email": "grace.hopper@example.com", "first_name": "Grace", "last_name": "Hopper"})
	var shopifyID string
	eventually(t, 90*time.Second, "the custom shop's customer never reached Shopify", func() bool {
		sid, ok := shopify.FindByEmail("grace.hopper@example.com")
		shopifyID = sid
		return ok
	})
	if err := shop.UpdateCustomer(id, map[string]any{"first_name": "Grace Brewster"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 90*time.Second, "the custom shop's edit never reached Shopify", func() bool {
		c, _ := shopify.Customer(shopifyID)
		return c["first_name"] == "Grace Brewster"
	})
	if c, _ := shopify.Customer(shopifyID); c["last_name"] != "Hopper" {
		t.Errorf("Shopify holds %v", c)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("after %s: %s", timeout, what)
}
