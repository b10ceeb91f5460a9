package oxid_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/connectortest"
	"github.com/shophub/shophub/connectors/oxid"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
)

// build makes a connector through the registry, as the pipeline does.
func build(t *testing.T, settings map[string]any) connectors.Connector {
	t.Helper()
	return connectortest.Connect(t, connectors.Instance{Name: "oxid-test", Type: oxid.Type}, settings)
}

// TestConformance runs the kit against a fresh OXID database, connected
// as a user with only the grants README.md documents (must-show 4).
func TestConformance(t *testing.T) {
	const pageSize = 5
	shop := oxidtest.New(t)
	dsn := oxidtest.RestrictedDSN(t, shop.DSN)
	settings := func() map[string]any { return map[string]any{"dsn": dsn, "page_size": pageSize} }
	connectortest.Run(t, connectortest.Env{
		Connector: build(t, settings()),
		Reconnect: func(t *testing.T) connectors.Connector { return build(t, settings()) },
		PageSize:  pageSize,
		Lookback:  5 * time.Second, // oxid's default poll look-back
		Seed:      func(t *testing.T, n int) []string { return shop.Seed(n) },
		Touch: func(t *testing.T, id string) {
			if err := shop.UpdateCustomer(id, map[string]any{"OXLNAME": "Touched " + time.Now().Format(time.RFC3339Nano)}); err != nil {
				t.Fatal(err)
			}
		},
		// shophub deletes by deactivating: a deactivated customer is gone.
		Stored: func(t *testing.T, id string) (map[string]any, bool) {
			c, ok := shop.Customer(id)
			return c, ok && c["OXACTIVE"] == "1"
		},
		Count: func(t *testing.T) int { return shop.Count() },
		CreatePayload: func(i int) map[string]any {
			return map[string]any{
				"OXUSERNAME": fmt.Sprintf("kit-%d@example.com", i), "OXFNAME": "Kit", "OXLNAME": fmt.Sprint(i),
				"street": "Hauptstraße 1", "OXZIP": "10115", "OXCITY": "Berlin", "country": "DE", "OXFON": "+4930123456",
				"address":    map[string]any{"OXFNAME": "Kit", "street": "Lagerweg 2", "OXZIP": "79098", "OXCITY": "Freiburg", "country": "DE"},
				"newsletter": map[string]any{"subscribed": true},
			}
		},
		UpdatePayload: func(i int) map[string]any { return map[string]any{"OXFNAME": "Updated"} },
		UpdatedField:  "OXFNAME",
		UpdatedValue:  "Updated",
		Email:         func(i int) string { return fmt.Sprintf("KIT-%d@example.com", i) },
	})
}

func TestSettingsValidation(t *testing.T) {
	connectortest.CheckRefused(t, oxid.Type, []connectortest.Refused{
		{Name: "no dsn", Settings: map[string]any{}, Want: "dsn is required"},
		{Name: "no database", Settings: map[string]any{"dsn": "u:p@tcp(db:3306)/"}, Want: "names no database"},
		{Name: "page size", Settings: map[string]any{"dsn": "u:p@tcp(db:3306)/oxid", "page_size": 0}, Want: "page_size"},
		{Name: "country", Settings: map[string]any{"dsn": "u:p@tcp(db:3306)/oxid", "default_country": "Germany"}, Want: "default_country"},
		{Name: "zone", Settings: map[string]any{"dsn": "u:p@tcp(db:3306)/oxid", "time_zone": "Mars/Olympus"}, Want: "time_zone"},
		{Name: "shop", Settings: map[string]any{"dsn": "u:p@tcp(db:3306)/oxid", "shop_id": 0}, Want: "shop_id"},
		{Name: "unknown key", Settings: map[string]any{"dsn": "u:p@tcp(db:3306)/oxid", "password": "x"}, Want: "password"},
	})
	if _, err := connectors.New(connectors.Instance{Name: "o", Type: oxid.Type}, map[string]any{"dsn": "u:p@tcp(db:3306)/oxid"}); err != nil {
		t.Fatalf("minimal settings: %v", err)
	}
}

// TestConnectWithoutDatabase: shophub starts while the shop's database is
// down; the first poll reports it.
func TestConnectWithoutDatabase(t *testing.T) {
	c := build(t, map[string]any{"dsn": "u:p@tcp(127.0.0.1:1)/oxid"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.(connectors.Lister).List(ctx, connectors.ResourceCustomer, ""); err == nil {
		t.Fatal("listing without a database succeeded")
	}
}
