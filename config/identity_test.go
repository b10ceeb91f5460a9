package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestOnDelete(t *testing.T) {
	c, err := Parse("d.yaml", []byte("connectors:\n  - name: shop\n    type: shopify\n  - name: erp\n    type: odoo\n    on_delete: propagate\n"), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Connectors[0].DeletePolicy(); got != OnDeleteUnlink {
		t.Errorf("unset on_delete = %q, want %q", got, OnDeleteUnlink)
	}
	if got := c.Connectors[1].DeletePolicy(); got != OnDeletePropagate {
		t.Errorf("on_delete = %q, want %q", got, OnDeletePropagate)
	}
	_, err = Parse("d.yaml", []byte("connectors:\n  - name: shop\n    type: shopify\n    on_delete: forget\n"), envFrom(nil))
	if diff := cmp.Diff([]string{`d.yaml:4: connectors[0].on_delete: must be unlink, propagate or recreate, got "forget"`}, errorLines(t, err)); diff != "" {
		t.Errorf("bad on_delete (-want +got):\n%s", diff)
	}
}

func TestMatchKeys(t *testing.T) {
	c, err := Parse("m.yaml", []byte("hub:\n  match_keys: [customer_number, email, phone]\nconnectors:\n  - name: shop\n    type: shopify\n"), envFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"customer_number", "email", "phone"}, c.Hub.MatchKeys); diff != "" {
		t.Errorf("match keys (-want +got):\n%s", diff)
	}
	_, err = Parse("m.yaml", []byte("hub:\n  match_keys: [phone, name]\nconnectors:\n  - name: shop\n    type: shopify\n"), envFrom(nil))
	want := []string{
		`m.yaml:2: hub.match_keys[1]: unknown match key "name" (want email, phone or customer_number)`,
		"m.yaml:2: hub.match_keys: must include email: the hub keeps one customer per email",
	}
	if diff := cmp.Diff(want, errorLines(t, err)); diff != "" {
		t.Errorf("bad match keys (-want +got):\n%s", diff)
	}
}
