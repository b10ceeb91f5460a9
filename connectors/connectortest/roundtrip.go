package connectortest

import (
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/mappings"
)

// RoundTripDocs are canonical customers shaped like what vendors really
// send: compound names, house-number forms, regions in several countries,
// an address phone that is not the customer's, Canadian, Austrian and Swiss
// numbers, and phones that are no numbers. email is filled in per push.
func RoundTripDocs() []mappings.Doc {
	addr := func(first, last, company, street, zip, city, region, country, phone string) map[string]any {
		a := map[string]any{"first_name": first, "last_name": last, "street": street, "zip": zip, "city": city, "country": country}
		for k, v := range map[string]string{"company": company, "region": region, "phone": phone} {
			if v != "" {
				a[k] = v
			}
		}
		return a
	}
	yes, no := map[string]any{"subscribed": true}, map[string]any{"subscribed": false}
	return []mappings.Doc{
		{ // compound names, house number with a letter apart, regions in Germany
			"first_name": "María José", "last_name": "García López", "company": "García & Söhne GmbH",
			"phone": "+4915111111111", "birthday": "1984-07-30", "tags": []string{"vip", "wholesale"},
			"email_marketing": yes, "sms_marketing": no,
			"billing_address":  addr("María José", "García López", "García & Söhne GmbH", "Hauptstraße 5 a", "20095", "Hamburg", "DE-HH", "DE", "+49221999999"),
			"shipping_address": addr("María José", "García López", "", "Am Markt 12 - 14", "80331", "München", "DE-BY", "DE", "+4989123456"),
		},
		{ // Canada and the United States
			"first_name": "Chloé", "last_name": "Tremblay", "phone": "+14165550198", "tags": []string{"demo"},
			"email_marketing": no, "sms_marketing": yes,
			"billing_address":  addr("Chloé", "Tremblay", "", "100 Queen St W", "M5H 2N2", "Toronto", "CA-ON", "CA", "+14165550199"),
			"shipping_address": addr("Chloé", "Tremblay", "", "1 Infinite Loop", "95014", "Cupertino", "US-CA", "US", "+14085550100"),
		},
		{ // Austria and Switzerland, street forms with numbers inside
			"first_name": "Lukas", "last_name": "Gruber", "company": "Gruber KG", "phone": "+436641234567",
			"tags": []string{}, "email_marketing": yes, "sms_marketing": yes, "birthday": "",
			"billing_address":  addr("Lukas", "Gruber", "Gruber KG", "Straße des 17. Juni 135", "1060", "Wien", "AT-9", "AT", "+4315880000"),
			"shipping_address": addr("Lukas", "Gruber", "", "Musterweg 12, App. 3", "8001", "Zürich", "CH-ZH", "CH", "+41446681800"),
		},
		{ // phones that are no numbers are kept as written
			"first_name": "Hans", "last_name": "von der Heide", "phone": "raw:keine Angabe", "company": "",
			"tags": []string{"b2b"}, "email_marketing": no, "sms_marketing": no, "birthday": "1970-01-01",
			"billing_address": addr("Hans", "von der Heide", "", "Hauptstraße 5a", "10115", "Berlin", "DE-BE", "DE", "raw:030 1234567 / 0171 7654321"),
		},
	}
}

var roundTripSeq atomic.Int64

// checkRoundTrip: for every RoundTripDocs customer, canonical → vendor
// (the connector's default mapping and its writer, against the emulator) →
// canonical is the identity on what the mapping's coverage holds, on
// create and again on an update.
func checkRoundTrip(t *testing.T, env Env) {
	r, _ := connectors.Lookup(env.Connector.Type())
	src := env.Mapping
	if src == nil {
		src = r.Mapping
	}
	m, err := mappings.Compile(env.Connector.Type()+"/mapping.yaml", src, mappings.Options{DefaultRegion: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	if !m.HasInbound(env.Resource) || !m.HasOutbound(env.Resource) {
		t.Skip("the default mapping does not map the resource both ways")
	}
	cov := m.Coverage(env.Resource)
	w := env.Connector.(connectors.Writer)
	docs := RoundTripDocs()
	for i, doc := range docs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			doc = env.roundTripDoc(doc)
			push := func(id string, d mappings.Doc) string {
				t.Helper()
				payload, err := m.Outbound(env.Resource, d)
				if err != nil {
					t.Fatal(err)
				}
				rec, err := w.Upsert(ctx(t), env.Resource, id, payload)
				if err != nil {
					t.Fatalf("upsert: %v", err)
				}
				data := rec.Data
				if f, ok := env.Connector.(connectors.Fetcher); ok {
					fetched, err := f.Fetch(ctx(t), env.Resource, rec.ExternalID)
					if err != nil {
						t.Fatalf("fetch %s: %v", rec.ExternalID, err)
					}
					data = fetched.Data
				}
				// The echo of a push meets the hub holding what was pushed.
				back, err := m.InboundWith(env.Resource, data, d)
				if err != nil {
					t.Fatalf("the vendor's record does not map back: %v", err)
				}
				for _, p := range cov.Holds {
					if cov.Assert(p) != mappings.AssertFull || !saysSomething(d, p) {
						continue // fill-only, or absent: the vendor keeps what it has
					}
					want, got := pathValue(d, p), pathValue(back, p)
					if !saysSomething(back, p) && isZero(want) {
						continue // "nothing" reads as not subscribed / empty
					}
					if !sameCanonical(want, got) {
						t.Errorf("%s: pushed %#v, read back %#v", p, want, got)
					}
				}
				return rec.ExternalID
			}
			id := push("", doc)
			// The update path of a writer is not its create path: the next
			// case's values written over this record must read back too.
			next := env.roundTripDoc(docs[(i+1)%len(docs)])
			next["email"] = doc["email"]
			push(id, next)
		})
	}
}

// roundTripDoc gives doc a unique email and a customer number, and bends
// it to the vendor's documented limits.
func (env Env) roundTripDoc(doc mappings.Doc) mappings.Doc {
	n := roundTripSeq.Add(1)
	out := mappings.Doc{}
	for k, v := range doc {
		out[k] = v
	}
	out["email"] = fmt.Sprintf("round.trip.%d.%s@example.com", n, env.Connector.Type())
	out["customer_number"] = fmt.Sprint(70000 + n)
	if env.PhoneValidated {
		if p, _ := out["phone"].(string); mappings.IsRawPhone(p) {
			out["phone"] = "+4930555" + fmt.Sprintf("%04d", n%10000)
		}
	}
	return out
}

// saysSomething: the doc asserts path — its field is present (an address
// is one unit: present, it says every key, absent keys being empty).
func saysSomething(d mappings.Doc, p string) bool {
	f, _, _ := strings.Cut(p, ".")
	_, ok := d[f]
	return ok
}

// pathValue reads a coverage path: a field or "address.key".
func pathValue(d mappings.Doc, p string) any {
	f, key, nested := strings.Cut(p, ".")
	if !nested {
		return d[f]
	}
	a, _ := d[f].(map[string]any)
	return a[key]
}

// sameCanonical compares canonical values: absent and "" alike, consents
// by their subscription (the time is the vendor's to stamp), tag lists
// whatever their Go type.
func sameCanonical(want, got any) bool {
	if isBlankValue(want) && isBlankValue(got) {
		return true
	}
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok || gok {
		return wok && gok && wm["subscribed"] == gm["subscribed"]
	}
	return reflect.DeepEqual(stringsOf(want), stringsOf(got))
}

// isZero: blank, or a consent that is not given.
func isZero(v any) bool {
	if m, ok := v.(map[string]any); ok {
		return m["subscribed"] != true
	}
	return isBlankValue(v)
}

func isBlankValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	case []any:
		return len(x) == 0
	}
	return false
}

func stringsOf(v any) any {
	switch x := v.(type) {
	case []string:
		return x
	case []any:
		out := make([]string, len(x))
		for i, e := range x {
			out[i] = fmt.Sprint(e)
		}
		return out
	}
	return v
}
