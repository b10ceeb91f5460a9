package mappings

import (
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFastE164MatchesParse: wherever the fast path answers, Parse must agree.
// The 300,000 inputs are drawn first, then checked in two parallel halves:
// Parse under -race is most of the package's time, and a second core is
// often idle beside the end-to-end tests.
func TestFastE164MatchesParse(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	regions := []string{"DE", "AT", "CH", "FR", "GB", "NL", "BE", "DK", "SE", "NO", "PL", "ES", "PT", "LU", "IE", "FI", "CZ", "GR", "US", "CA", "IT", "AU", "BR"}
	codes := []int{1, 7, 30, 31, 32, 33, 34, 39, 41, 43, 44, 45, 46, 47, 48, 49, 55, 61, 351, 352, 353, 358, 420}
	formats := []func(cc int, nat string) string{
		func(cc int, nat string) string { return fmt.Sprintf("+%d%s", cc, nat) },
		func(cc int, nat string) string { return fmt.Sprintf("+%d %s %s", cc, nat[:2], nat[2:]) },
		func(cc int, nat string) string { return "0" + nat },
		func(cc int, nat string) string { return "0" + nat[:3] + "/" + nat[3:] },
		func(cc int, nat string) string { return "(0" + nat[:2] + ") " + nat[2:] },
		func(cc int, nat string) string { return nat },
		func(cc int, nat string) string { return nat[:3] + "-" + nat[3:6] + "-" + nat[6:] },
		func(cc int, nat string) string { return fmt.Sprintf("%d%s", cc, nat) },
	}
	type sample struct{ in, region string }
	samples := make([]sample, 300000)
	for i := range samples {
		region := regions[rng.IntN(len(regions))]
		cc := codes[rng.IntN(len(codes))]
		l := 7 + rng.IntN(7)
		nat := make([]byte, l)
		for j := range nat {
			nat[j] = byte('0' + rng.IntN(10))
		}
		if rng.IntN(3) > 0 {
			nat[0] = byte('1' + rng.IntN(9))
		}
		samples[i] = sample{formats[rng.IntN(len(formats))](cc, string(nat)), region}
	}
	var fast atomic.Int64
	t.Run("halves", func(t *testing.T) {
		half := len(samples) / 2
		for i, part := range [][]sample{samples[:half], samples[half:]} {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				for _, c := range part {
					got, ok := fastE164(c.in, phonenumbers.GetCountryCodeForRegion(c.region))
					if !ok {
						continue
					}
					fast.Add(1)
					num, err := phonenumbers.Parse(c.in, c.region)
					if err != nil || !phonenumbers.IsPossibleNumber(num) {
						t.Fatalf("fastE164(%q, %s) = %s, but Parse rejects it (%v)", c.in, c.region, got, err)
					}
					if want := phonenumbers.Format(num, phonenumbers.E164); got != want {
						t.Fatalf("fastE164(%q, %s) = %s, Parse gives %s", c.in, c.region, got, want)
					}
				}
			})
		}
	})
	total := int64(len(samples))
	t.Logf("fast path answered %d of %d", fast.Load(), total)
	if fast.Load() < total/10 {
		t.Errorf("fast path hardly used: %d of %d", fast.Load(), total)
	}
}

// A phone parses in the country of its own address, then the connector's
// region, then the hub's default; one that does not parse is kept
// verbatim (raw:) and goes back to the vendor as it came.
func TestPhoneRegionFromAddress(t *testing.T) {
	src := `version: 1
resources:
  customer:
    inbound:
      fields:
        phone: {from: phone, transform: [phone]}
        billing_address:
          from: addr
          object:
            phone: {from: phone, transform: [phone]}
            country: {from: country, transform: [country]}
        shipping_address:
          from: ship
          object:
            phone: {from: phone, transform: [phone]}
            country: {from: country}
    outbound:
      fields:
        phone: phone
        address.phone: billing_address.phone
        shipping.phone: {from: shipping_address.phone, transform: [phone]}
`
	tests := []struct {
		name              string
		opts              Options
		rec               map[string]any
		phone, addr, ship string
		outPhone, outAddr string
	}{
		{name: "canada", opts: Options{DefaultRegion: "DE"},
			rec:   map[string]any{"phone": "555-555-5555", "addr": map[string]any{"phone": "(416) 555-0199", "country": "Canada"}},
			phone: "+15555555555", addr: "+14165550199", outPhone: "+15555555555", outAddr: "+14165550199"},
		{name: "austria", opts: Options{DefaultRegion: "DE"},
			rec:   map[string]any{"phone": "0664 1234567", "addr": map[string]any{"phone": "01 5880 0", "country": "AT"}},
			phone: "+436641234567", addr: "+43158800", outPhone: "+436641234567", outAddr: "+43158800"},
		{name: "switzerland, shipping address only", opts: Options{DefaultRegion: "DE"},
			rec:   map[string]any{"phone": "044 668 18 00", "ship": map[string]any{"phone": "044 668 18 01", "country": "CH"}},
			phone: "+41446681800", ship: "+41446681801", outPhone: "+41446681800"},
		{name: "no country: connector region", opts: Options{DefaultRegion: "DE", Region: "CH"},
			rec:   map[string]any{"phone": "044 668 18 00"},
			phone: "+41446681800", outPhone: "+41446681800"},
		{name: "no country, no connector region: hub default", opts: Options{DefaultRegion: "DE"},
			rec:   map[string]any{"phone": "030 1234567", "addr": map[string]any{"phone": "0221 999999"}},
			phone: "+49301234567", addr: "+49221999999", outPhone: "+49301234567", outAddr: "+49221999999"},
		{name: "unparseable kept verbatim", opts: Options{DefaultRegion: "DE"},
			rec:   map[string]any{"phone": "keine Angabe", "addr": map[string]any{"phone": "030 1234567 / 0171 7654321", "country": "DE"}, "ship": map[string]any{"phone": "n/a", "country": "AT"}},
			phone: "raw:keine Angabe", addr: "raw:030 1234567 / 0171 7654321", ship: "raw:n/a",
			outPhone: "keine Angabe", outAddr: "030 1234567 / 0171 7654321"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := mustCompile(t, src, tc.opts)
			doc, err := m.Inbound("customer", tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			get := func(f string) string {
				a, _ := doc[f].(map[string]any)
				s, _ := a["phone"].(string)
				return s
			}
			if doc["phone"] != tc.phone || get("billing_address") != tc.addr || get("shipping_address") != tc.ship {
				t.Errorf("phones = %v / %q / %q, want %q / %q / %q", doc["phone"], get("billing_address"), get("shipping_address"), tc.phone, tc.addr, tc.ship)
			}
			out, err := m.Outbound("customer", doc)
			if err != nil {
				t.Fatal(err)
			}
			if out["phone"] != tc.outPhone {
				t.Errorf("outbound phone = %v, want %q", out["phone"], tc.outPhone)
			}
			if a, _ := out["address"].(map[string]any); tc.outAddr != "" && a["phone"] != tc.outAddr {
				t.Errorf("outbound address phone = %v, want %q", a["phone"], tc.outAddr)
			}
			if s, _ := out["shipping"].(map[string]any); tc.ship != "" && s["phone"] != PhoneText(tc.ship) {
				t.Errorf("outbound shipping phone = %v, want %q", s["phone"], PhoneText(tc.ship))
			}
			// The doc the hub holds is untouched by Outbound.
			if doc["phone"] != tc.phone {
				t.Errorf("Outbound changed the doc: %v", doc["phone"])
			}
		})
	}
}
