package sync

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	_ "github.com/shophub/shophub/connectors/all"
	"github.com/shophub/shophub/mappings"
)

// Anonymization renders a placeholder through the target's own outbound
// mapping, so every default mapping must take it — including those that
// render hub knowledge (Help Scout's order properties), which must come
// out cleared.
func TestAnonymizedDocRendersThroughEveryDefaultMapping(t *testing.T) {
	fields := []string{"email", "first_name", "last_name", "phone", "billing_address", "shipping_address", "tags",
		"email_marketing", "company", "birthday", "gender", "customer_number"}
	doc := AnonymizedDoc(fields, "tok", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC))
	for _, typ := range connectors.Types() {
		reg, _ := connectors.Lookup(typ)
		m, err := mappings.Compile(typ, reg.Mapping, mappings.Options{Settings: map[string]any{}})
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if !m.HasOutbound(connectors.ResourceCustomer) {
			continue
		}
		t.Run(typ, func(t *testing.T) {
			out, err := m.Outbound(connectors.ResourceCustomer, doc)
			if err != nil {
				t.Fatalf("anonymized doc does not render: %v", err)
			}
			s := fmt.Sprint(out)
			if !strings.Contains(s, "erased-tok@example.invalid") {
				t.Errorf("placeholder email missing: %s", s)
			}
			if m.ReadsHub(connectors.ResourceCustomer) && strings.Contains(s, "EUR") {
				t.Errorf("knowledge not cleared: %s", s)
			}
		})
	}
}
