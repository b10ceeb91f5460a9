package shopify_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/shopify"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
)

const testSecret = "test-client-secret"

// startEmulator runs a fresh emulator for one test.
func startEmulator(t *testing.T, opts shopifytest.Options) (*shopifytest.Emulator, string) {
	t.Helper()
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = testSecret
	}
	emu := shopifytest.New(opts)
	return emu, connectortest.Start(t, emu)
}

// newConnector builds a connector against the emulator through the
// registry, as the pipeline does.
func newConnector(t *testing.T, shopURL string, pageSize int) connectors.Connector {
	t.Helper()
	return connectortest.Connect(t, connectors.Instance{
		Name:           "shop-test",
		Type:           shopify.Type,
		WebhookSecrets: []string{testSecret, "old-secret"},
		RateLimit:      1000, // the emulator's bucket is off; don't pace tests
		RateBurst:      100,
	}, map[string]any{
		"shop_url":     shopURL,
		"access_token": shopifytest.DefaultAccessToken,
		"page_size":    pageSize,
	})
}

func TestConformance(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	const pageSize = 5
	connectortest.Run(t, connectortest.Env{
		Connector: newConnector(t, url, pageSize),
		Reconnect: func(t *testing.T) connectors.Connector { return newConnector(t, url, pageSize) },
		PageSize:  pageSize,
		// Shopify refuses a customer phone that is no number.
		PhoneValidated: true,
		Touch: func(t *testing.T, id string) {
			if err := emu.UpdateCustomer(id, map[string]any{"note": "touched " + time.Now().String()}); err != nil {
				t.Fatal(err)
			}
		},
		CreatePayload: func(i int) map[string]any {
			return map[string]any{
				"email": fmt.Sprintf("kit-%d@example.com", i), "first_name": "Kit", "last_name": fmt.Sprint(i),
				"tags":            "kit, test",
				"default_address": map[string]any{"address1": "Main St 1", "city": "Berlin", "zip": "10115", "country_code": "DE"},
			}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"first_name": "Updated"} },
		UpdatedField:  "first_name",
		UpdatedValue:  "Updated",
		Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
		SignedWebhook: func(t *testing.T, id string) (http.Header, []byte) {
			c, ok := emu.Customer(id)
			if !ok {
				t.Fatalf("no customer %s", id)
			}
			return emu.SignedDelivery("customers/update", c)
		},
		WrongSecret: func(t *testing.T, id string) (http.Header, []byte) {
			c, _ := emu.Customer(id)
			h, body := emu.SignedDelivery("customers/update", c)
			h.Set("X-Shopify-Hmac-Sha256", shopifytest.SignWith("not-the-secret", body))
			return h, body
		},
		SignBody: func(t *testing.T, body []byte) http.Header {
			return emu.DeliveryHeaders("customers/update", body)
		},
	}.WithEmulator(emu))
}

func TestUnauthorizedSurfacesShopifyMessage(t *testing.T) {
	_, url := startEmulator(t, shopifytest.Options{AccessToken: "the-right-token"})
	c := newConnector(t, url, 5) // sends DefaultAccessToken, which is wrong here
	_, err := c.(connectors.Fetcher).Fetch(context.Background(), connectors.ResourceCustomer, "1")
	if err == nil {
		t.Fatal("fetch with a wrong token succeeded")
	}
	var herr *connectors.HTTPError
	if !errors.As(err, &herr) || herr.Status != http.StatusUnauthorized {
		t.Fatalf("want *HTTPError 401, got %v", err)
	}
	if !strings.Contains(err.Error(), "Invalid API key or access token") {
		t.Errorf("error does not carry Shopify's message: %v", err)
	}
	if errors.Is(err, connectors.ErrPermanent) || errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("401 must be neither permanent nor not-found: %v", err)
	}
}
