package config

import (
	"strings"
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
	for _, keys := range [][]string{
		{"customer_number", "email", "phone"},
		{"email_name"},
		{"phone", "email_name", "email"},
	} {
		yml := "hub:\n  match_keys: [" + strings.Join(keys, ", ") + "]\nconnectors:\n  - name: shop\n    type: shopify\n"
		c, err := Parse("m.yaml", []byte(yml), envFrom(nil))
		if err != nil {
			t.Errorf("%v: %v", keys, err)
			continue
		}
		if diff := cmp.Diff(keys, c.Hub.MatchKeys); diff != "" {
			t.Errorf("match keys (-want +got):\n%s", diff)
		}
	}
	for _, c := range []struct {
		keys string
		want []string
	}{
		{"[phone, name]", []string{
			`m.yaml:2: hub.match_keys[1]: unknown match key "name" (want email, email_name, phone or customer_number)`,
			"m.yaml:2: hub.match_keys: must include email (or email_name): the hub keeps one customer per email",
		}},
		{"[email, email_name]", []string{
			"m.yaml:2: hub.match_keys[1]: email_name after email never decides (email matches first): put it in place of email or before it",
		}},
	} {
		_, err := Parse("m.yaml", []byte("hub:\n  match_keys: "+c.keys+"\nconnectors:\n  - name: shop\n    type: shopify\n"), envFrom(nil))
		if diff := cmp.Diff(c.want, errorLines(t, err)); diff != "" {
			t.Errorf("match keys %s (-want +got):\n%s", c.keys, diff)
		}
	}
}
