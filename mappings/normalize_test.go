package mappings

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Inbound normalizes as it goes (addresses key by key inside object,
// consents in place); the result and the errors must be NormalizeCustomer's.
func TestInboundNormalizesLikeNormalizeCustomer(t *testing.T) {
	m := mustCompile(t, `version: 1
resources:
  customer:
    inbound:
      fields:
        billing_address:
          from: addr
          object:
            street: street
            country: country
            phone: phone
            zip: zip
        shipping_address: {from: ship}
        email_marketing:
          from: consent
          object: {subscribed: sub, updated_at: at}
        tags: tags
`, Options{})
	tests := []struct {
		name  string
		rec   map[string]any
		want  Doc
		field string // validation error on this field
		line  int
	}{
		{"values", map[string]any{
			"addr":    map[string]any{"street": " Main St ", "country": "de", "phone": "+49301234567", "zip": nil},
			"ship":    map[string]any{"city": " Berlin", "zip": ""},
			"consent": map[string]any{"sub": true, "at": "2024-02-28T19:00:00-05:00"},
			"tags":    "b, a,,b",
		}, Doc{
			"billing_address":  map[string]any{"street": "Main St", "country": "DE", "phone": "+49301234567"},
			"shipping_address": map[string]any{"city": "Berlin"},
			"email_marketing":  map[string]any{"subscribed": true, "updated_at": "2024-02-29T00:00:00Z"},
			"tags":             []string{"a", "b"},
		}, "", 0},
		{"all keys cleared", map[string]any{"addr": map[string]any{"street": "", "country": nil}},
			Doc{"billing_address": map[string]any{}}, "", 0},
		{"address cleared", map[string]any{"addr": nil, "consent": nil},
			Doc{"billing_address": map[string]any{}, "email_marketing": map[string]any{"subscribed": false}}, "", 0},
		{"no keys at all", map[string]any{"addr": map[string]any{}}, Doc{}, "", 0},
		{"bad country", map[string]any{"addr": map[string]any{"country": "Germany"}}, nil, "billing_address.country", 10},
		{"bad phone", map[string]any{"addr": map[string]any{"phone": "030 123"}}, nil, "billing_address.phone", 11},
		{"number zip", map[string]any{"addr": map[string]any{"zip": 10117.0}}, nil, "billing_address.zip", 12},
		{"bad shipping key", map[string]any{"ship": map[string]any{"street1": "x"}}, nil, "shipping_address.street1", 13},
		{"consent not bool", map[string]any{"consent": map[string]any{"sub": "yes"}}, nil, "email_marketing.subscribed", 16},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Inbound("customer", tc.rec)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
				return
			}
			var me *Error
			var ve *ValidationError
			if !errors.As(err, &me) || !errors.As(err, &ve) {
				t.Fatalf("want *Error wrapping *ValidationError, got %T %v", err, err)
			}
			if me.Field != tc.field || me.Line != tc.line {
				t.Errorf("got field %q line %d, want %q line %d (%v)", me.Field, me.Line, tc.field, tc.line, err)
			}
		})
	}
}
