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
