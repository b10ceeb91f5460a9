package mappings

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/biter777/countries"
	"gopkg.in/yaml.v3"
)

// The canonical address region is an ISO 3166-2 code ("DE-HH", "CA-ON",
// "US-CA") whenever the vendor's value names a known subdivision of the
// address's country; text that names none is kept as written, so nothing
// a vendor holds is lost or quarantined.
//
// Subdivisions come from github.com/biter777/countries, which generates
// them from Debian's iso-codes (the ISO 3166-2 list distributions keep
// current); names are the local official ones ("Bayern", "Wien",
// "Ontario").

// Subdivision is one ISO 3166-2 subdivision.
type Subdivision struct {
	Code    string // "DE-HH"
	Country string // "DE"
	Name    string // "Hamburg"
}

type subdivisionIndex struct {
	byCode    map[string]Subdivision
	byName    map[string]string // country + "|" + folded name → code
	byCountry map[string][]Subdivision
}

var subdivisions = sync.OnceValue(func() *subdivisionIndex {
	all := countries.AllSubdivisions()
	idx := &subdivisionIndex{
		byCode:    make(map[string]Subdivision, len(all)),
		byName:    make(map[string]string, 2*len(all)),
		byCountry: map[string][]Subdivision{},
	}
	for _, c := range all {
		code := string(c)
		country, _, ok := strings.Cut(code, "-")
		if !ok || len(country) != 2 {
			continue
		}
		s := Subdivision{Code: code, Country: country, Name: c.String()}
		idx.byCode[code] = s
		idx.byCountry[country] = append(idx.byCountry[country], s)
		// "Abū Ȥaby [Abu Dhabi]": both spellings name it.
		names := []string{s.Name}
		if i := strings.IndexByte(s.Name, '['); i > 0 {
			names = []string{strings.TrimSpace(s.Name[:i]), strings.Trim(s.Name[i:], "[] ")}
		}
		for _, n := range names {
			for _, e := range []bool{true, false} {
				if k := countryKey(n, e); k != "" {
					if _, dup := idx.byName[country+"|"+k]; !dup {
						idx.byName[country+"|"+k] = code
					}
				}
			}
		}
	}
	for _, list := range idx.byCountry {
		sort.Slice(list, func(i, j int) bool { return list[i].Code < list[j].Code })
	}
	return idx
})

// SubdivisionByCode returns the ISO 3166-2 subdivision code names.
func SubdivisionByCode(code string) (Subdivision, bool) {
	s, ok := subdivisions().byCode[strings.ToUpper(strings.TrimSpace(code))]
	return s, ok
}

// Subdivisions lists the ISO 3166-2 subdivisions of a country (ISO-2),
// sorted by code. Emulators build their vendors' state lists from it.
func Subdivisions(country string) []Subdivision {
	return append([]Subdivision(nil), subdivisions().byCountry[strings.ToUpper(country)]...)
}

// LookupSubdivision resolves what a vendor writes for a region of country
// (ISO-2, may be empty when the code itself carries it): an ISO 3166-2
// code ("DE-HH"), the part after the dash ("HH", Shopify's province_code,
// OXID's and Odoo's state codes) or a name ("Hamburg", Magento's region).
func LookupSubdivision(country, s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	idx := subdivisions()
	up := strings.ToUpper(s)
	if sub, ok := idx.byCode[up]; ok && (country == "" || sub.Country == country) {
		return up, true
	}
	if country == "" {
		return "", false
	}
	if len(up) <= 3 {
		if _, ok := idx.byCode[country+"-"+up]; ok {
			return country + "-" + up, true
		}
	}
	for _, e := range []bool{true, false} {
		if code, ok := idx.byName[country+"|"+countryKey(s, e)]; ok {
			return code, true
		}
	}
	return "", false
}

// regionKeys are the keys of a vendor's region object, codes before names:
// Magento's {region_code, region, region_id}, Shopware's countryState
// {shortCode, name}.
var regionKeys = [...]string{"shortCode", "short_code", "region_code", "code", "name", "region"}

// regionT is a compiled subdivision transform.
type regionT struct {
	out string // "" (canonical), "code" or "name"
}

func buildRegion(c *compiler, arg *yaml.Node) (transformFunc, error) {
	r, err := c.regionT(arg)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) { return r.apply(v, "") }, nil
}

func buildRegionIn(c *compiler, arg *yaml.Node) (regionFunc, error) {
	r, err := c.regionT(arg)
	if err != nil {
		return nil, err
	}
	return r.apply, nil
}

func (c *compiler) regionT(arg *yaml.Node) (regionT, error) {
	// No fallback country: "HH" of an address without a country stays
	// "HH" rather than a guessed "DE-HH".
	r := regionT{}
	s, ok, err := scalarArg(arg)
	if err != nil {
		return r, err
	}
	if ok {
		switch s {
		case "iso", "code", "name":
			r.out = s
			if s == "iso" {
				r.out = ""
			}
		default:
			return r, fmt.Errorf("want iso, code or name, got %q", s)
		}
	}
	return r, nil
}

// apply: canonical (no argument) resolves a vendor value in the address's
// country to ISO 3166-2, keeping text it cannot resolve; "code" renders
// the part after the dash for vendors that keep the country apart ("" for
// text that is no subdivision), "name" the subdivision's name (the text
// itself for text that is none).
func (r regionT) apply(v any, country string) (any, error) {
	if r.out == "" {
		if m, ok := v.(map[string]any); ok {
			return regionOfObject(m, country), nil
		}
	}
	s, err := trimmedOf(v)
	if err != nil || s == "" {
		return s, err
	}
	code, ok := LookupSubdivision(country, s)
	switch r.out {
	case "code":
		if !ok {
			if code, ok = LookupSubdivision("", s); !ok {
				return "", nil
			}
		}
		_, part, _ := strings.Cut(code, "-")
		return part, nil
	case "name":
		if !ok {
			if code, ok = LookupSubdivision("", s); !ok {
				return s, nil
			}
		}
		return subdivisions().byCode[code].Name, nil
	}
	if !ok {
		if o, isStr := v.(string); isStr && o == s {
			return v, nil
		}
		return s, nil
	}
	if o, isStr := v.(string); isStr && o == code {
		return v, nil // already canonical: keep the boxed value
	}
	return code, nil
}

// regionOfObject resolves a vendor's region object: the first of its codes
// or names that names a subdivision, else its name as text.
func regionOfObject(m map[string]any, country string) any {
	text := ""
	for _, k := range regionKeys {
		s, _ := m[k].(string)
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if code, ok := LookupSubdivision(country, s); ok {
			return code
		}
		if k == "name" || k == "region" || text == "" {
			text = s
		}
	}
	return text
}

// trimmedOf is a scalar's string form without surrounding white space.
func trimmedOf(v any) (string, error) {
	s, err := stringOf(v)
	return strings.TrimSpace(s), err
}
