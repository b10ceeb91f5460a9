package emulator

import (
	"sort"
	"strings"
	"sync"

	"github.com/biter777/countries"
)

// Country is one country as vendors ship them: every ISO 3166-1 country
// (the same source the mapping engine resolves codes and regions from,
// github.com/biter777/countries, generated from Debian's iso-codes).
type Country struct {
	ISO2, ISO3, Name string
}

// Subdivision is one ISO 3166-2 subdivision: Code "DE-HH", Name "Hamburg".
type Subdivision struct {
	Code, Country, Name string
}

var geo = sync.OnceValues(func() ([]Country, map[string][]Subdivision) {
	var cs []Country
	for _, c := range countries.All() {
		if a2 := c.Alpha2(); len(a2) == 2 {
			cs = append(cs, Country{ISO2: a2, ISO3: c.Alpha3(), Name: c.String()})
		}
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].ISO2 < cs[j].ISO2 })
	subs := map[string][]Subdivision{}
	for _, s := range countries.AllSubdivisions() {
		code := string(s)
		country, _, ok := strings.Cut(code, "-")
		if !ok {
			continue
		}
		subs[country] = append(subs[country], Subdivision{Code: code, Country: country, Name: s.String()})
	}
	for _, l := range subs {
		sort.Slice(l, func(i, j int) bool { return l[i].Code < l[j].Code })
	}
	return cs, subs
})

// Countries lists every country an emulated shop ships, sorted by ISO-2.
func Countries() []Country {
	cs, _ := geo()
	return append([]Country(nil), cs...)
}

// Subdivisions lists the ISO 3166-2 subdivisions of a country, sorted by
// code.
func Subdivisions(country string) []Subdivision {
	_, subs := geo()
	return append([]Subdivision(nil), subs[strings.ToUpper(country)]...)
}

// StateCountries are the countries whose states emulated shops ship out of
// the box, as real installs ship states for their main markets.
var StateCountries = []string{"AT", "AU", "CA", "CH", "DE", "ES", "GB", "IT", "NL", "US"}
