package oxid

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A push payload, as the mapping renders it:
//
//	{"OXUSERNAME": "…", "OXFNAME": "…", …,     oxuser columns (writableUser)
//	 "street": "Hauptstr. 5", "country": "DE", split into OXSTREET/OXSTREETNR; ISO → OXCOUNTRYID
//	 "address": {"OXFNAME": …, "street": …, "country": …},   the first oxaddress row
//	 "newsletter": {"subscribed": true, "updated_at": "RFC 3339"}}
//
// Any other key is refused, so no mapping — however edited — can write a
// password hash, rights, the shop id, the active flag or credit points.
var (
	writableUser = set("OXUSERNAME", "OXFNAME", "OXLNAME", "OXCOMPANY", "OXSAL", "OXBIRTHDATE", "OXCUSTNR",
		"OXFON", "OXMOBFON", "OXPRIVFON", "OXFAX", "OXUSTID", "OXSTREET", "OXSTREETNR", "OXADDINFO", "OXZIP",
		"OXCITY", "OXURL", "OXSTATEID", "street", "country")
	writableAddress = set("OXCOMPANY", "OXFNAME", "OXLNAME", "OXSAL", "OXSTREET", "OXSTREETNR", "OXADDINFO",
		"OXZIP", "OXCITY", "OXFON", "OXFAX", "OXSTATEID", "street", "country")
)

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

type payload struct {
	// user holds oxuser columns to write; the ISO country stays under
	// "country" until the writer resolves it.
	user map[string]string
	// address is nil when the payload says nothing about delivery addresses.
	address    map[string]string
	newsletter *consent
}

type consent struct {
	subscribed bool
	// updatedAt is RFC 3339 UTC, or "" when the hub has no time.
	updatedAt string
}

var dateRe = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func parsePayload(in map[string]any) (*payload, error) {
	p := &payload{user: map[string]string{}}
	for k, v := range in {
		switch {
		case k == "address":
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("payload address: want an object, got %T", v)
			}
			cols, err := columns(m, writableAddress, "address.")
			if err != nil {
				return nil, err
			}
			p.address = cols
		case k == "newsletter":
			if v == nil {
				continue
			}
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("payload newsletter: want an object, got %T", v)
			}
			sub, ok := m["subscribed"].(bool)
			if !ok {
				if _, has := m["subscribed"]; !has {
					continue // nothing said about the subscription itself
				}
				return nil, fmt.Errorf("payload newsletter.subscribed: want a boolean, got %T", m["subscribed"])
			}
			c := &consent{subscribed: sub}
			if s, _ := m["updated_at"].(string); s != "" {
				t, err := time.Parse(time.RFC3339Nano, s)
				if err != nil {
					return nil, fmt.Errorf("payload newsletter.updated_at %q: want RFC 3339", s)
				}
				c.updatedAt = t.UTC().Format(time.RFC3339)
			}
			p.newsletter = c
		default:
			if !writableUser[k] {
				return nil, fmt.Errorf("payload key %q: shophub does not write that column (writable: %s)", k, keys(writableUser))
			}
		}
	}
	cols, err := columns(in, writableUser, "")
	if err != nil {
		return nil, err
	}
	p.user = cols
	if u, ok := p.user["OXUSERNAME"]; ok {
		u = strings.TrimSpace(u)
		if u == "" {
			return nil, fmt.Errorf("payload OXUSERNAME: empty; an OXID customer needs an email")
		}
		p.user["OXUSERNAME"] = u
	}
	if b, ok := p.user["OXBIRTHDATE"]; ok {
		switch {
		case b == "":
			p.user["OXBIRTHDATE"] = "0000-00-00"
		case !dateRe.MatchString(b):
			return nil, fmt.Errorf("payload OXBIRTHDATE %q: want YYYY-MM-DD", b)
		}
	}
	if n, ok := p.user["OXCUSTNR"]; ok {
		if n == "" {
			delete(p.user, "OXCUSTNR") // OXID numbers every customer; "" cannot clear it
		} else if v, err := strconv.ParseInt(n, 10, 32); err != nil || v < 1 {
			return nil, fmt.Errorf("payload OXCUSTNR %q: OXID customer numbers are positive integers", n)
		}
	}
	return p, nil
}

// columns picks the writable keys of one level (objects are handled by the
// caller), as strings, and splits "street" into OXSTREET and OXSTREETNR.
func columns(m map[string]any, writable map[string]bool, prefix string) (map[string]string, error) {
	out := map[string]string{}
	for k, v := range m {
		if k == "address" || k == "newsletter" {
			if prefix == "" {
				continue
			}
		}
		if !writable[k] {
			return nil, fmt.Errorf("payload key %q: shophub does not write that column (writable: %s)", prefix+k, keys(writable))
		}
		s, err := str(v)
		if err != nil {
			return nil, fmt.Errorf("payload %s%s: %w", prefix, k, err)
		}
		out[k] = strings.TrimSpace(s)
	}
	if s, ok := out["street"]; ok {
		if _, has := out["OXSTREET"]; has {
			return nil, fmt.Errorf("payload %sstreet and %sOXSTREET: give one", prefix, prefix)
		}
		out["OXSTREET"], out["OXSTREETNR"] = splitStreet(s)
		delete(out, "street")
	}
	if c, ok := out["country"]; ok {
		out["country"] = strings.ToUpper(c)
	}
	return out, nil
}

func str(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool, int, int64, float64, uint64:
		if f, ok := x.(float64); ok {
			return strconv.FormatFloat(f, 'f', -1, 64), nil
		}
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("want a string, got %T", v)
}

func keys(m map[string]bool) string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// splitStreet splits "Hauptstr. 5a" into OXID's street and house number:
// the last word is the number when it starts with a digit. joinStreet
// (OXSTREET + " " + OXSTREETNR, as the mapping reads them) gives back the
// canonical street, so a street shophub writes reads back unchanged.
func splitStreet(s string) (street, nr string) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	last := s[i+1:]
	head := strings.TrimRightFunc(s[:i], unicode.IsSpace)
	if last == "" || !unicode.IsDigit(rune(last[0])) || head == "" || len(last) > 16 || len(head) != i {
		// No number, or more than one space before it: keep the street
		// whole so it reads back exactly as written.
		return s, ""
	}
	return head, last
}
