package customshop_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"

	"example.com/customshop-shophub/customshop/customshoptest"
)

// TestConformance runs shophub's conformance kit against the emulator
// (generated failing by shophub connector new, green once the connector
// and the emulator were written).
func TestConformance(t *testing.T) {
	emu := customshoptest.New()
	url := connectortest.Start(t, emu)
	build := func(t *testing.T) connectors.Connector {
		return connectortest.Connect(t, connectors.Instance{Name: "customshop-test", Type: "customshop", RateLimit: -1,
			WebhookSecrets: []string{customshoptest.WebhookSecret}}, map[string]any{"base_url": url, "api_key": customshoptest.APIKey})
	}
	connectortest.Run(t, connectortest.Env{
		Connector: build(t),
		Reconnect: build,
		PageSize:  5,
		Lookback:  time.Second,
		CreatePayload: func(i int) map[string]any {
			return map[string]any{"email": fmt.Sprintf("kit-%d@example.com", i), "first_name": "Kit", "last_name": fmt.Sprint(i)}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"first_name": "Updated"} },
		UpdatedField:  "first_name",
		UpdatedValue:  "Updated",
		Email:         func(i int) string { return fmt.Sprintf("kit-%d@example.com", i) },
		SignedWebhook: func(t *testing.T, id string) (http.Header, []byte) {
			return emu.SignedWebhook(id, customshoptest.WebhookSecret)
		},
		WrongSecret: func(t *testing.T, id string) (http.Header, []byte) { return emu.SignedWebhook(id, "not-the-secret") },
		SignBody:    func(t *testing.T, body []byte) http.Header { return emu.SignBody(body, customshoptest.WebhookSecret) },
	}.WithEmulator(emu))
}

// TestRefusedSettings: bad settings fail before connecting, naming the
// setting.
func TestRefusedSettings(t *testing.T) {
	connectortest.CheckRefused(t, "customshop", []connectortest.Refused{
		{Settings: map[string]any{"api_key": "k"}, Want: "base_url is required"},
		{Settings: map[string]any{"base_url": "shop.example.com", "api_key": "k"}, Want: "want a base URL like"},
		{Settings: map[string]any{"base_url": "https://customshop.example.com"}, Want: "api_key is required"},
	})
}
