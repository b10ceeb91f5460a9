package mappings

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"gopkg.in/yaml.v3"
)

var errNotPhone = errors.New("not a phone number")

// RawPhonePrefix marks a canonical phone that is not a phone number anyone
// could dial ("keine Angabe", two numbers in one field): the hub keeps the
// vendor's text after the prefix verbatim instead of quarantining the
// customer or guessing a country code, and Outbound renders the text
// without the prefix, so the vendor gets back exactly what it sent.
const RawPhonePrefix = "raw:"

// IsRawPhone reports whether a canonical phone is kept verbatim.
func IsRawPhone(s string) bool {
	return len(s) > len(RawPhonePrefix) && strings.HasPrefix(s, RawPhonePrefix)
}

// PhoneText is a canonical phone as a vendor shows it: E.164 as is, a raw
// phone without its marker.
func PhoneText(s string) string {
	if IsRawPhone(s) {
		return s[len(RawPhonePrefix):]
	}
	return s
}

// region is the phone region of a rule: its argument, else the connector
// instance's region, else the hub's default. An address's country, known
// only per record, wins over all of them (phoneT.withRegion).
func (c *compiler) region(arg *yaml.Node) (string, error) {
	s, ok, err := scalarArg(arg)
	if err != nil {
		return "", err
	}
	if !ok {
		s = c.opts.Region
		if strings.TrimSpace(s) == "" {
			s = c.opts.DefaultRegion
		}
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	if s != "" && phonenumbers.GetCountryCodeForRegion(s) == 0 {
		return "", fmt.Errorf("unknown region %q", s)
	}
	return s, nil
}

// parsePhone returns the number and its E.164 form; for "" both are empty.
func parsePhone(v any, region string) (*phonenumbers.PhoneNumber, string, error) {
	return parsePhoneCC(v, region, 0, false)
}

// parsePhoneCC may skip Parse (fast) when only the E.164 form is needed.
func parsePhoneCC(v any, region string, regionCC int, fast bool) (*phonenumbers.PhoneNumber, string, error) {
	s, err := stringOf(v)
	if err != nil {
		return nil, "", err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, "", nil
	}
	if fast {
		if isE164(s) && phoneCanonical(s) {
			return nil, s, nil
		}
		if e164, ok := fastE164(s, regionCC); ok {
			return nil, e164, nil
		}
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return nil, "", errNotPhone
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e164) {
		return nil, "", errNotPhone
	}
	return num, e164, nil
}

// phoneT is a compiled phone transform.
type phoneT struct {
	region   string // the rule's fallback region
	regionCC int
	inbound  bool // a number that does not parse becomes a raw phone
}

func (p phoneT) apply(v any) (any, error) { return p.to(v, p.region, p.regionCC) }

// withRegion parses in the region of the address the number belongs to.
func (p phoneT) withRegion(v any, region string) (any, error) {
	if region == p.region {
		return p.to(v, p.region, p.regionCC)
	}
	cc := phonenumbers.GetCountryCodeForRegion(region)
	if cc == 0 {
		return p.to(v, p.region, p.regionCC)
	}
	return p.to(v, region, cc)
}

func (p phoneT) to(v any, region string, regionCC int) (any, error) {
	if s, ok := v.(string); ok && IsRawPhone(s) {
		if p.inbound {
			return v, nil
		}
		return PhoneText(s), nil
	}
	_, e164, err := parsePhoneCC(v, region, regionCC, true)
	if errors.Is(err, errNotPhone) {
		// Kept verbatim: inbound with the marker, outbound (the vendor's
		// own text, unwrapped by Outbound) as it is.
		s, _ := stringOf(v)
		s = strings.TrimSpace(s)
		if p.inbound {
			return RawPhonePrefix + s, nil
		}
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	if s, ok := v.(string); ok && s == e164 {
		return v, nil // already E.164: keep the boxed value
	}
	return e164, nil
}

// buildPhone: any written form → E.164; what does not parse → a raw
// phone (inbound) or the text itself (outbound).
func buildPhone(c *compiler, arg *yaml.Node) (transformFunc, error) {
	p, err := c.phoneT(arg)
	if err != nil {
		return nil, err
	}
	return p.apply, nil
}

// buildPhoneRegion is buildPhone for a record whose address names a country.
func buildPhoneRegion(c *compiler, arg *yaml.Node) (regionFunc, error) {
	p, err := c.phoneT(arg)
	if err != nil {
		return nil, err
	}
	return p.withRegion, nil
}

func (c *compiler) phoneT(arg *yaml.Node) (phoneT, error) {
	region, err := c.region(arg)
	if err != nil {
		return phoneT{}, err
	}
	p := phoneT{region: region, inbound: c.inbound}
	if region != "" {
		p.regionCC = phonenumbers.GetCountryCodeForRegion(region)
	}
	return p, nil
}

// buildPhoneNational: E.164 (or any form) → the national format of the
// number's own country, for vendors that want it. Text that is no number
// stays as it is (a raw phone without its marker).
func buildPhoneNational(c *compiler, arg *yaml.Node) (transformFunc, error) {
	region, err := c.region(arg)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) {
		if s, ok := v.(string); ok && IsRawPhone(s) {
			return PhoneText(s), nil
		}
		num, _, err := parsePhone(v, region)
		if errors.Is(err, errNotPhone) {
			s, _ := stringOf(v)
			return strings.TrimSpace(s), nil
		}
		if err != nil {
			return nil, err
		}
		if num == nil {
			return "", nil
		}
		return phonenumbers.Format(num, phonenumbers.NATIONAL), nil
	}, nil
}

// addressRegion is the phone region an address's country value gives
// ("" when it names none).
func addressRegion(v any) string {
	s, ok := v.(string)
	if !ok || s == "" {
		return ""
	}
	if len(s) == 2 && isASCIIUpperLetters(s) {
		return s
	}
	c, _ := lookupCountry(s)
	return c
}

// docRegion is the phone region of a canonical customer: the billing
// address's country, else the shipping address's.
func docRegion(doc Doc) string {
	for _, f := range [...]string{"billing_address", "shipping_address"} {
		if a, ok := doc[f].(map[string]any); ok {
			if r := addressRegion(a["country"]); r != "" {
				return r
			}
		}
	}
	return ""
}

// vendorPhones returns doc with its raw phones unwrapped, so that every
// outbound rule renders the vendor's own text; doc itself when it has
// none (the common case costs three lookups).
func vendorPhones(doc Doc) Doc {
	raw := func(v any) bool { s, ok := v.(string); return ok && IsRawPhone(s) }
	addr := func(f string) (map[string]any, bool) {
		a, ok := doc[f].(map[string]any)
		return a, ok && raw(a["phone"])
	}
	_, b := addr("billing_address")
	_, s := addr("shipping_address")
	if !raw(doc["phone"]) && !b && !s {
		return doc
	}
	out := make(Doc, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	if p, ok := out["phone"].(string); ok {
		out["phone"] = PhoneText(p)
	}
	for _, f := range [...]string{"billing_address", "shipping_address"} {
		if a, ok := addr(f); ok {
			c := make(map[string]any, len(a))
			for k, v := range a {
				c[k] = v
			}
			c["phone"] = PhoneText(a["phone"].(string))
			out[f] = c
		}
	}
	return out
}

// regionFirst orders the rules of an inbound customer so that phones can
// parse in their own country: address fields before the customer's phone,
// and within an address object the country before the phone.
func regionFirst(fields []*rule) {
	isAddr := func(r *rule) bool {
		f, ok := CustomerField(r.name)
		return ok && f.Kind == KindAddress
	}
	sort.SliceStable(fields, func(i, j int) bool { return isAddr(fields[i]) && !isAddr(fields[j]) })
	for _, r := range fields {
		if !isAddr(r) || r.object == nil {
			continue
		}
		for i, o := range r.object {
			if o.name == "country" {
				o.setsRegion = true
				copy(r.object[1:i+1], r.object[:i])
				r.object[0] = o
				break
			}
		}
	}
}

// PhoneE164 is s in E.164 form, national numbers read in region (ISO
// 3166-1 alpha-2, "" for none); ok is false when s is no possible phone
// number. It is how two spellings of one number are compared exactly.
func PhoneE164(s, region string) (e164 string, ok bool) {
	_, e, err := parsePhone(PhoneText(s), region)
	return e, err == nil && e != ""
}
