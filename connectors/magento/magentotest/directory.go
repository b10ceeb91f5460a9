package magentotest

import (
	"net/http"
	"strings"

	"github.com/shophub/shophub/connectors/emulator"
)

// region is one row of Magento's directory_country_region.
type region struct {
	id            int64
	country, code string
	name          string
}

// magentoRegions is the start of directory_country_region as Magento 2's
// directory setup installs it (ids are stable on every install): its own
// codes, not ISO 3166-2 ones where Germany and Austria are concerned (BAY
// for Bayern, WI for Wien), and German names for the Swiss cantons.
var magentoRegions = func() []region {
	var out []region
	add := func(country string, rows ...string) {
		for _, r := range rows {
			code, name, _ := strings.Cut(r, "|")
			out = append(out, region{id: int64(len(out) + 1), country: country, code: code, name: name})
		}
	}
	add("US", "AL|Alabama", "AK|Alaska", "AS|American Samoa", "AZ|Arizona", "AR|Arkansas", "AE|Armed Forces Africa",
		"AA|Armed Forces Americas", "AE|Armed Forces Canada", "AE|Armed Forces Europe", "AE|Armed Forces Middle East",
		"AP|Armed Forces Pacific", "CA|California", "CO|Colorado", "CT|Connecticut", "DE|Delaware", "DC|District of Columbia",
		"FM|Federated States Of Micronesia", "FL|Florida", "GA|Georgia", "GU|Guam", "HI|Hawaii", "ID|Idaho", "IL|Illinois",
		"IN|Indiana", "IA|Iowa", "KS|Kansas", "KY|Kentucky", "LA|Louisiana", "ME|Maine", "MH|Marshall Islands", "MD|Maryland",
		"MA|Massachusetts", "MI|Michigan", "MN|Minnesota", "MS|Mississippi", "MO|Missouri", "MT|Montana", "NE|Nebraska",
		"NV|Nevada", "NH|New Hampshire", "NJ|New Jersey", "NM|New Mexico", "NY|New York", "NC|North Carolina",
		"ND|North Dakota", "MP|Northern Mariana Islands", "OH|Ohio", "OK|Oklahoma", "OR|Oregon", "PW|Palau",
		"PA|Pennsylvania", "PR|Puerto Rico", "RI|Rhode Island", "SC|South Carolina", "SD|South Dakota", "TN|Tennessee",
		"TX|Texas", "UT|Utah", "VT|Vermont", "VI|Virgin Islands", "VA|Virginia", "WA|Washington", "WV|West Virginia",
		"WI|Wisconsin", "WY|Wyoming")
	add("CA", "AB|Alberta", "BC|British Columbia", "MB|Manitoba", "NL|Newfoundland and Labrador", "NB|New Brunswick",
		"NS|Nova Scotia", "NT|Northwest Territories", "NU|Nunavut", "ON|Ontario", "PE|Prince Edward Island", "QC|Quebec",
		"SK|Saskatchewan", "YT|Yukon Territory")
	add("DE", "NDS|Niedersachsen", "BAW|Baden-Württemberg", "BAY|Bayern", "BER|Berlin", "BRG|Brandenburg", "BRE|Bremen",
		"HAM|Hamburg", "HES|Hessen", "MEC|Mecklenburg-Vorpommern", "NRW|Nordrhein-Westfalen", "RHE|Rheinland-Pfalz",
		"SAR|Saarland", "SAS|Sachsen", "SAC|Sachsen-Anhalt", "SCN|Schleswig-Holstein", "THE|Thüringen")
	add("AT", "WI|Wien", "NO|Niederösterreich", "OO|Oberösterreich", "SB|Salzburg", "KN|Kärnten", "ST|Steiermark",
		"TI|Tirol", "BL|Burgenland", "VB|Vorarlberg")
	add("CH", "AG|Aargau", "AI|Appenzell Innerrhoden", "AR|Appenzell Ausserrhoden", "BE|Bern", "BL|Basel-Landschaft",
		"BS|Basel-Stadt", "FR|Freiburg", "GE|Genf", "GL|Glarus", "GR|Graubünden", "JU|Jura", "LU|Luzern", "NE|Neuenburg",
		"NW|Nidwalden", "OW|Obwalden", "SG|St. Gallen", "SH|Schaffhausen", "SO|Solothurn", "SZ|Schwyz", "TG|Thurgau",
		"TI|Tessin", "UR|Uri", "VD|Waadt", "VS|Wallis", "ZG|Zug", "ZH|Zürich")
	return out
}()

func regionByID(id int64) (region, bool) {
	if id >= 1 && id <= int64(len(magentoRegions)) {
		return magentoRegions[id-1], true
	}
	return region{}, false
}

// countryInfo renders one country as GET /V1/directory/countries does
// (directory-data-country-information-interface); available_regions only
// for countries with regions.
func countryInfo(c emulator.Country) map[string]any {
	out := map[string]any{"id": c.ISO2, "two_letter_abbreviation": c.ISO2, "three_letter_abbreviation": c.ISO3,
		"full_name_locale": c.Name, "full_name_english": c.Name}
	var regs []any
	for _, r := range magentoRegions {
		if r.country == c.ISO2 {
			regs = append(regs, map[string]any{"id": r.id, "code": r.code, "name": r.name})
		}
	}
	if regs != nil {
		out["available_regions"] = regs
	}
	return out
}

// directoryHTTP serves GET /V1/directory/countries[/{countryId}].
func (e *Emulator) directoryHTTP(w http.ResponseWriter, r *http.Request, countryID string) {
	if r.Method != http.MethodGet {
		noRoute(w)
		return
	}
	var list []any
	for _, c := range emulator.Countries() {
		if countryID == "" {
			list = append(list, countryInfo(c))
		} else if strings.EqualFold(c.ISO2, countryID) {
			writeJSON(w, http.StatusOK, countryInfo(c))
			return
		}
	}
	if countryID != "" {
		writeErr(w, http.StatusNotFound, &inputError{Message: "Requested country is not available."})
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// normalizeRegion stores an address's region as Magento's address model
// does: a region_id (top level or in the region object) must belong to the
// address's country and then decides code and name from the directory;
// without one, the text given is kept as name and code, with region_id 0
// (so a push of region_code "Bavaria" stores "Bavaria" twice).
func normalizeRegion(a map[string]any) *inputError {
	obj, _ := a["region"].(map[string]any)
	rid, _ := toInt(a["region_id"])
	if obj != nil {
		if v, ok := toInt(obj["region_id"]); ok && v != 0 {
			rid = v
		}
	}
	if rid != 0 {
		reg, ok := regionByID(rid)
		if !ok || reg.country != str(a["country_id"]) {
			return &inputError{Message: `Invalid value of "%value" provided for the %fieldName field.`, Parameters: map[string]any{"fieldName": "regionId", "value": rid}}
		}
		a["region"] = map[string]any{"region_code": reg.code, "region": reg.name, "region_id": reg.id}
		a["region_id"] = reg.id
		return nil
	}
	text := ""
	if obj != nil {
		text = strings.TrimSpace(str(obj["region"]))
		if text == "" {
			text = strings.TrimSpace(str(obj["region_code"]))
		}
	} else if s, ok := a["region"].(string); ok {
		text = strings.TrimSpace(s)
	}
	if text == "" {
		a["region"] = map[string]any{"region_code": nil, "region": nil, "region_id": int64(0)}
	} else {
		a["region"] = map[string]any{"region_code": text, "region": text, "region_id": int64(0)}
	}
	a["region_id"] = int64(0)
	return nil
}
