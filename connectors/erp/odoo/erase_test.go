package odoo_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
)

// An erasure says what Odoo really did: a partner without invoices is
// unlinked (deleted); one with invoices, which Odoo refuses to unlink, is
// anonymized with its delivery contact and archived, not merely archived
// with its data kept; anonymize mode overwrites; an unknown one is gone.
// Over JSON-2 and the legacy JSON-RPC alike.
func TestEraseReportsWhatOdooDid(t *testing.T) {
	for _, proto := range []string{"json2", "jsonrpc"} {
		t.Run(proto, func(t *testing.T) {
			emu, url := startEmulator(t, odootest.Options{})
			settings := json2Settings(url, 50)
			if proto == "jsonrpc" {
				settings = jsonrpcSettings(url, 50)
			}
			e := build(t, connectors.Instance{}, settings).(connectors.Eraser)
			ctx := context.Background()
			person := func(name string) string {
				return emu.CreateCustomer(map[string]any{"name": name + " Berg", "email": strings.ToLower(name) + "@example.com",
					"phone": "+49 40 123456", "street": "Elbchaussee 100", "city": "Hamburg", "zip": "22763", "country_code": "DE"})
			}
			plain, invoiced, anon := person("Plain"), person("Invoiced"), person("Anon")
			emu.Invoice(invoiced)
			delivery := emu.CreateCustomer(map[string]any{"name": "Invoiced Berg", "type": "delivery", "parent_id": atoi64(invoiced),
				"street": "Kaiweg 9", "city": "Kiel", "phone": "+49 431 98765"})
			if err := emu.UpdateCustomer(delivery, map[string]any{"active": false}); err != nil {
				t.Fatal(err)
			}

			cases := []struct{ id, mode, want string }{
				{plain, connectors.EraseDelete, connectors.ErasedDeleted},
				{invoiced, connectors.EraseDelete, connectors.ErasedAnonymized},
				{anon, connectors.EraseAnonymize, connectors.ErasedAnonymized},
				{"999999", connectors.EraseDelete, connectors.ErasedGone},
			}
			for _, tc := range cases {
				got, err := e.Erase(ctx, connectors.ResourceCustomer, tc.id, tc.mode, "tok-"+tc.id)
				if err != nil || got != tc.want {
					t.Errorf("erase %s (%s): %q %v, want %q", tc.id, tc.mode, got, err, tc.want)
				}
			}
			if _, ok := emu.Customer(plain); ok {
				t.Error("deleted partner still there")
			}
			for _, id := range []string{invoiced, delivery, anon} {
				p, ok := emu.Customer(id)
				if !ok {
					t.Fatalf("partner %s gone; it must stay, anonymized", id)
				}
				s := fmt.Sprint(p)
				for _, n := range []string{"Berg", "@example.com", "123456", "98765", "Elbchaussee", "Kaiweg", "Hamburg", "Kiel", "22763"} {
					if strings.Contains(s, n) {
						t.Errorf("partner %s still holds %q: %v", id, n, p)
					}
				}
				if p["active"] != false {
					t.Errorf("partner %s not archived", id)
				}
			}
		})
	}
}

func atoi64(s string) int64 {
	var n int64
	fmt.Sscan(s, &n)
	return n
}
