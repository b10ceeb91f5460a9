package shopify_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/shopify"
	"github.com/shophub/shophub/connectors/shopify/shopifytest"
	"github.com/shophub/shophub/mappings"
)

// insightDoc is a canonical customer with the hub's knowledge as the
// pipeline hands it to Outbound.
func insightDoc(tags []string, segment, class string) mappings.Doc {
	return mappings.Doc{"email": "bob.norman@mail.example.com", "tags": tags, mappings.HubKey: map[string]any{
		"segment": segment, "profitability": class, "rfm": "545", "ltv": "130.50", "currency": "EUR",
		"return_rate": "12.5%", "next_order_due": "2027-01-04",
	}}
}

// The shophub:* tags are the hub's: read back they are no tags of the
// customer, written they sit beside the merchant's own, and with the
// settings off neither tags nor metafields render.
func TestMappingInsights(t *testing.T) {
	in, err := compileMapping(t).Inbound("customer", decodeFixture(t, "customer_insight_tags.json"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"newsletter", "vip"}, in["tags"]); diff != "" {
		t.Errorf("inbound tags (-want +got):\n%s", diff)
	}

	reg, _ := connectors.Lookup(shopify.Type)
	for _, tt := range []struct {
		name         string
		settings     map[string]any
		doc          mappings.Doc
		wantTags     any
		wantMeta     any
		wantReadsHub bool
	}{
		{"defaults", nil, insightDoc([]string{"newsletter", "vip"}, "champions", "high"),
			"newsletter, vip, shophub:segment:champions, shophub:profitability:high",
			map[string]any{"segment": "champions", "profitability": "high", "rfm": "545", "total_spent": "130.50 EUR",
				"return_rate": "12.5%", "next_order_due": "2027-01-04"}, true},
		{"no insights yet: no insight tags, empty metafields", nil, insightDoc([]string{"vip"}, "", ""),
			"vip", map[string]any{"segment": "", "profitability": "", "rfm": "545", "total_spent": "130.50 EUR",
				"return_rate": "12.5%", "next_order_due": "2027-01-04"}, true},
		{"settings off: no insight refreshes either", map[string]any{"insight_tags": false, "insight_metafields": false}, insightDoc([]string{"vip"}, "lost", "low"),
			"vip", nil, false},
		{"tags only", map[string]any{"insight_metafields": false}, insightDoc([]string{"vip"}, "lost", "low"),
			"vip, shophub:segment:lost, shophub:profitability:low", nil, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mappings.Compile("connectors/shopify/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "US", Settings: tt.settings})
			if err != nil {
				t.Fatal(err)
			}
			out, err := m.Outbound("customer", tt.doc)
			if err != nil {
				t.Fatal(err)
			}
			if out["tags"] != tt.wantTags {
				t.Errorf("tags = %q, want %q", out["tags"], tt.wantTags)
			}
			if diff := cmp.Diff(tt.wantMeta, out["metafields"]); diff != "" {
				t.Errorf("metafields (-want +got):\n%s", diff)
			}
			if m.ReadsHub("customer") != tt.wantReadsHub {
				t.Errorf("ReadsHub = %v", m.ReadsHub("customer"))
			}
		})
	}
	// Coverage: the insights are no canonical field; tags stay held.
	cov := compileMapping(t).Coverage("customer")
	if !cov.HoldsPath("tags") || cov.Assert("tags") != mappings.AssertFull {
		t.Errorf("tags coverage: holds %v, assert %v", cov.HoldsPath("tags"), cov.Assert("tags"))
	}
}

// seedMetafields gives an emulated customer the metafields of the fixture
// (Shopify's GET customers/{id}/metafields.json answer).
func seedMetafields(t *testing.T, emu *shopifytest.Emulator, id string) {
	t.Helper()
	for _, m := range decodeFixture(t, "customer_metafields.json")["metafields"].([]any) {
		mf := m.(map[string]any)
		emu.SetMetafield(id, mf["namespace"].(string), mf["key"].(string), mf["type"].(string), mf["value"].(string))
	}
}

// The writer reads the namespace's metafields once and writes only keys
// whose value differs: a repeated push costs that one read.
func TestUpsertWritesChangedMetafieldsOnly(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	w := newConnector(t, url, 5).(connectors.Writer)
	ctx := context.Background()
	id := emu.CreateCustomer(map[string]any{"email": "bob.norman@mail.example.com", "tags": "vip"})
	seedMetafields(t, emu, id)

	for _, tt := range []struct {
		name     string
		meta     map[string]any
		requests int64 // GET metafields + writes (+ the customer PUT when other keys go along)
		want     map[string]string
	}{
		{"unchanged: the read only", map[string]any{"segment": "loyal", "profitability": "high"}, 1,
			map[string]string{"segment": "loyal", "profitability": "high", "next_order_due": "2026-12-20"}},
		{"one changed, one new, the date kept its type", map[string]any{"segment": "at_risk", "profitability": "high", "return_rate": "80.0%", "next_order_due": "2027-01-04"}, 4,
			map[string]string{"segment": "at_risk", "profitability": "high", "return_rate": "80.0%", "next_order_due": "2027-01-04"}},
		{"cleared: deleted", map[string]any{"return_rate": "", "rfm": ""}, 2,
			map[string]string{"segment": "at_risk", "profitability": "high", "next_order_due": "2027-01-04"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := emu.Requests()
			if _, err := w.Upsert(ctx, "customer", id, map[string]any{"metafields": tt.meta}); err != nil {
				t.Fatal(err)
			}
			// Upsert without the pipeline's read fetches the customer once
			// when nothing but metafields goes out.
			if got := emu.Requests() - before - 1; got != tt.requests {
				t.Errorf("made %d metafield requests, want %d", got, tt.requests)
			}
			if diff := cmp.Diff(tt.want, emu.Metafields(id, "shophub")); diff != "" {
				t.Errorf("metafields (-want +got):\n%s", diff)
			}
		})
	}
	if got := emu.Metafields(id, "custom"); got["loyalty_card"] != "LC-88121" {
		t.Errorf("another namespace was touched: %v", got)
	}

	t.Run("a new customer gets its metafields without a read", func(t *testing.T) {
		before := emu.Requests()
		rec, err := w.Upsert(ctx, "customer", "", map[string]any{"email": "new@example.com", "tags": "vip, shophub:segment:new",
			"metafields": map[string]any{"segment": "new", "profitability": ""}})
		if err != nil {
			t.Fatal(err)
		}
		if got := emu.Requests() - before; got != 2 {
			t.Errorf("made %d requests, want 2 (customer, one metafield)", got)
		}
		if diff := cmp.Diff(map[string]string{"segment": "new"}, emu.Metafields(rec.ExternalID, "shophub")); diff != "" {
			t.Errorf("metafields (-want +got):\n%s", diff)
		}
	})
}

// Update gets the customer the pipeline read: tags equal as a set are not
// written again (no PUT, no customers/update echo).
func TestUpdateSkipsSameTags(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	c := newConnector(t, url, 5)
	ctx := context.Background()
	id := emu.CreateCustomer(map[string]any{"email": "tags@example.com", "tags": "vip, shophub:segment:loyal"})
	cur, err := c.(connectors.Fetcher).Fetch(ctx, "customer", id)
	if err != nil {
		t.Fatal(err)
	}
	u := c.(connectors.Updater)
	for _, tt := range []struct {
		name, tags string
		requests   int64
		want       string
	}{
		{"same set, other order", "shophub:segment:loyal,  vip", 0, "shophub:segment:loyal, vip"},
		{"segment moved", "vip, shophub:segment:champions", 1, "shophub:segment:champions, vip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkTagsWrite(t, emu, id, tt.requests, tt.want, func() error {
				_, err := u.Update(ctx, "customer", cur, map[string]any{"tags": tt.tags})
				return err
			})
		})
	}
}

// checkTagsWrite runs write and checks how many requests it made and the
// tags customer id holds after it.
func checkTagsWrite(t *testing.T, emu *shopifytest.Emulator, id string, requests int64, want string, write func() error) {
	t.Helper()
	before := emu.Requests()
	if err := write(); err != nil {
		t.Fatal(err)
	}
	if got := emu.Requests() - before; got != requests {
		t.Errorf("made %d requests, want %d", got, requests)
	}
	if got, _ := emu.Customer(id); got["tags"] != want {
		t.Errorf("tags = %v, want %s", got["tags"], want)
	}
}

// Upsert of an existing customer has no read of it (the pipeline found
// the customer by email, or writes unconditionally): tags alone are read
// first and not written when equal as a set; tags that differ, or tags
// riding along with other changes, are PUT.
func TestUpsertSkipsSameTags(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	w := newConnector(t, url, 5).(connectors.Writer)
	ctx := context.Background()
	id := emu.CreateCustomer(map[string]any{"email": "tags@example.com", "first_name": "Tia", "tags": "vip, shophub:segment:loyal"})
	for _, tt := range []struct {
		name     string
		payload  map[string]any
		requests int64 // GET and PUT: the tags say whether a PUT was one
		want     string
	}{
		{"same set, other order: the read only", map[string]any{"tags": "shophub:segment:loyal,  vip"}, 1, "shophub:segment:loyal, vip"},
		{"segment moved: read and PUT", map[string]any{"tags": "vip, shophub:segment:champions"}, 2, "shophub:segment:champions, vip"},
		{"with a name change: the PUT alone", map[string]any{"tags": "vip, shophub:segment:champions", "first_name": "Tina"}, 1, "shophub:segment:champions, vip"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkTagsWrite(t, emu, id, tt.requests, tt.want, func() error {
				_, err := w.Upsert(ctx, "customer", id, tt.payload)
				return err
			})
		})
	}
}

// Shopify's 422 for a metafield it refuses reaches the pipeline as a
// permanent error with the body.
func TestMetafieldRefusedIsPermanent(t *testing.T) {
	emu, url := startEmulator(t, shopifytest.Options{})
	w := newConnector(t, url, 5).(connectors.Writer)
	id := emu.CreateCustomer(map[string]any{"email": "x@example.com"})
	emu.SetMetafield(id, "shophub", "segment", "number_integer", "1") // a definition of another type
	_, err := w.Upsert(context.Background(), "customer", id, map[string]any{"metafields": map[string]any{"segment": "lost"}})
	var herr *connectors.HTTPError
	if !errors.Is(err, connectors.ErrPermanent) || !errors.As(err, &herr) || herr.Status != 422 || !strings.Contains(herr.Body, `"value":["must be an integer."]`) {
		t.Errorf("got %v, want a permanent 422 with Shopify's body", err)
	}
}
