package mappings

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFastE164MatchesParse: wherever the fast path answers, Parse must agree.
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
	fast, total := 0, 0
	for i := 0; i < 300000; i++ {
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
		in := formats[rng.IntN(len(formats))](cc, string(nat))
		total++
		got, ok := fastE164(in, phonenumbers.GetCountryCodeForRegion(region))
		if !ok {
			continue
		}
		fast++
		num, err := phonenumbers.Parse(in, region)
		if err != nil || !phonenumbers.IsPossibleNumber(num) {
			t.Fatalf("fastE164(%q, %s) = %s, but Parse rejects it (%v)", in, region, got, err)
		}
		if want := phonenumbers.Format(num, phonenumbers.E164); got != want {
			t.Fatalf("fastE164(%q, %s) = %s, Parse gives %s", in, region, got, want)
		}
	}
	t.Logf("fast path answered %d of %d", fast, total)
	if fast < total/10 {
		t.Errorf("fast path hardly used: %d of %d", fast, total)
	}
}
