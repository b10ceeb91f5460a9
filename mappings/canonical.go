package mappings

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Kind is the type of a canonical field; it decides validation and how the
// hub stores the value.
type Kind string

const (
	KindString  Kind = "string"
	KindEmail   Kind = "email"
	KindPhone   Kind = "phone"   // E.164, or RawPhonePrefix + verbatim text
	KindDate    Kind = "date"    // YYYY-MM-DD
	KindEnum    Kind = "enum"    // one of Field.Enum
	KindTags    Kind = "tags"    // sorted, unique []string
	KindAddress Kind = "address" // object with AddressKeys
	KindConsent Kind = "consent" // {subscribed bool, updated_at RFC 3339}
)

// Field describes one canonical field. A field is the unit of merge: an
// address merges as a whole, because street from one system and zip from
// another make an address nobody lives at.
type Field struct {
	Name string
	Kind Kind
	Enum []string
	Doc  string
}

// CustomerFields is the canonical customer. Order is the order the API and
// docs show them in.
var CustomerFields = []Field{
	{Name: "email", Kind: KindEmail, Doc: "primary email, trimmed and lower-cased; the default identity key"},
	{Name: "customer_number", Kind: KindString, Doc: "the customer number, usually owned by the ERP and pushed back to the shops"},
	{Name: "first_name", Kind: KindString},
	{Name: "last_name", Kind: KindString},
	{Name: "company", Kind: KindString},
	{Name: "phone", Kind: KindPhone, Doc: "E.164, e.g. +4930123456; text that is no phone number is kept verbatim as raw:<text>"},
	{Name: "birthday", Kind: KindDate},
	{Name: "locale", Kind: KindString, Doc: "BCP 47, e.g. de-DE"},
	{Name: "preferred_channel", Kind: KindEnum, Enum: []string{"email", "sms", "phone", "post", "none"}},
	{Name: "gender", Kind: KindEnum, Enum: Genders, Doc: "male, female, diverse or unknown; the gender transform maps vendor salutations"},
	{Name: "email_marketing", Kind: KindConsent},
	{Name: "sms_marketing", Kind: KindConsent},
	{Name: "tags", Kind: KindTags},
	{Name: "billing_address", Kind: KindAddress},
	{Name: "shipping_address", Kind: KindAddress},
}

// AddressKeys are the keys of a canonical address object.
var AddressKeys = []string{"first_name", "last_name", "company", "street", "street2", "zip", "city", "region", "country", "phone"}

var customerFieldIndex = func() map[string]Field {
	m := make(map[string]Field, len(CustomerFields))
	for _, f := range CustomerFields {
		m[f.Name] = f
	}
	return m
}()

// CustomerField looks up a canonical customer field.
func CustomerField(name string) (Field, bool) {
	f, ok := customerFieldIndex[name]
	return f, ok
}

// Doc is a canonical record: field name → value. A field that is absent says
// nothing (the source does not know it); a present empty string clears it.
type Doc map[string]any

// ValidationError names the canonical field and what is wrong with it.
type ValidationError struct {
	Field string
	Value string
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("canonical field %s: %s (value %s)", e.Field, e.Msg, e.Value)
	}
	return fmt.Sprintf("canonical field %s: %s", e.Field, e.Msg)
}

var (
	e164Re  = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

// isEmail is emailRe.MatchString without the regexp engine (hot path):
// exactly one @, no white space (\s is [\t\n\f\r ]), a non-empty local
// part, and a dot in the domain with something on both sides.
func isEmail(s string) bool {
	at := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			if at >= 0 {
				return false
			}
			at = i
		case '\t', '\n', '\f', '\r', ' ':
			return false
		}
	}
	if at <= 0 {
		return false
	}
	dom := s[at+1:]
	for i := 1; i < len(dom)-1; i++ {
		if dom[i] == '.' {
			return true
		}
	}
	return false
}

// isE164 is e164Re.MatchString without the regexp engine.
func isE164(s string) bool {
	if len(s) < 8 || len(s) > 16 || s[0] != '+' || s[1] < '1' || s[1] > '9' {
		return false
	}
	for i := 2; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NormalizeEmail trims and lower-cases an email. Keys are normalized in Go so
// that SQLite and MariaDB (case-insensitive collation) agree on identity.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizeCustomer validates a canonical customer doc and returns it in
// normal form: unknown fields rejected, emails lower-cased, tags sorted and
// unique, addresses with only known keys. It never drops a field silently.
func NormalizeCustomer(in Doc) (Doc, error) {
	out := make(Doc, len(in))
	for name, v := range in {
		f, ok := customerFieldIndex[name]
		if !ok {
			return nil, &ValidationError{Field: name, Msg: "not a canonical customer field"}
		}
		nv, err := normalizeValue(f, v, false)
		if err != nil {
			return nil, err
		}
		out[name] = nv
	}
	return out, nil
}

// normalizeValue validates and normalizes one canonical value. own says
// that an object value was built for this doc alone and may be normalized
// in place.
func normalizeValue(f Field, v any, own bool) (any, error) {
	bad := func(msg string, val any) error {
		return &ValidationError{Field: f.Name, Value: MaskValue(f.Name, fmt.Sprint(val)), Msg: msg}
	}
	switch f.Kind {
	case KindString, KindEmail, KindPhone, KindDate, KindEnum:
		if v == nil {
			return "", nil
		}
		orig, ok := v.(string)
		if !ok {
			return nil, bad(fmt.Sprintf("want a string, got %T", v), v)
		}
		s := strings.TrimSpace(orig)
		if s == "" {
			return "", nil
		}
		switch f.Kind {
		case KindEmail:
			s = NormalizeEmail(s)
			if !isEmail(s) {
				return nil, bad("not an email address", s)
			}
		case KindPhone:
			if !isE164(s) && !IsRawPhone(s) {
				return nil, bad("not an E.164 phone number", s)
			}
		case KindDate:
			if _, err := time.Parse("2006-01-02", s); err != nil {
				return nil, bad("not a date YYYY-MM-DD", s)
			}
		case KindEnum:
			if !contains(f.Enum, s) {
				return nil, bad(fmt.Sprintf("not one of %v", f.Enum), s)
			}
		}
		if s == orig {
			return v, nil // unchanged: keep the boxed value, no allocation
		}
		return s, nil
	case KindTags:
		tags, err := toStrings(v)
		if err != nil {
			return nil, bad(err.Error(), v)
		}
		return NormalizeTags(tags), nil
	case KindAddress:
		if v == nil {
			return map[string]any{}, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad(fmt.Sprintf("want an address object, got %T", v), v)
		}
		out := m
		if !own {
			out = make(map[string]any, len(m))
		}
		for k, x := range m {
			// An owned object was built from rules whose keys Compile checked.
			if !own && !isAddressKey(k) {
				return nil, &ValidationError{Field: f.Name + "." + k, Msg: "not a canonical address key"}
			}
			nv, keep, err := addressValue(f.Name, k, x)
			switch {
			case err != nil:
				return nil, err
			case !keep:
				if own {
					delete(out, k)
				}
			case !own || nv != x:
				out[k] = nv
			}
		}
		return out, nil
	case KindConsent:
		if v == nil {
			return map[string]any{"subscribed": false}, nil
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, bad(fmt.Sprintf("want a consent object, got %T", v), v)
		}
		sub, ok := m["subscribed"].(bool)
		if !ok {
			return nil, &ValidationError{Field: f.Name + ".subscribed", Msg: "want a boolean"}
		}
		out := m
		if !own {
			out = make(map[string]any, 2)
			out["subscribed"] = sub
		}
		if ts, ok := m["updated_at"]; !ok || ts == nil || ts == "" {
			delete(out, "updated_at")
		} else {
			s, ok := ts.(string)
			if !ok {
				return nil, &ValidationError{Field: f.Name + ".updated_at", Msg: "want an RFC 3339 time"}
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, &ValidationError{Field: f.Name + ".updated_at", Value: s, Msg: "want an RFC 3339 time"}
			}
			if u := t.UTC().Format(time.RFC3339); u == s {
				out["updated_at"] = ts
			} else {
				out["updated_at"] = u
			}
		}
		if own {
			return out, nil // keys checked by Compile
		}
		for k := range m {
			if k != "subscribed" && k != "updated_at" {
				return nil, &ValidationError{Field: f.Name + "." + k, Msg: "not a consent key"}
			}
		}
		return out, nil
	}
	return nil, bad("unknown kind "+string(f.Kind), v)
}

// addressValue normalizes the value of address key k: keep is false for
// null and blank values, which the normal form leaves out.
func addressValue(field, k string, x any) (v any, keep bool, err error) {
	if x == nil {
		return nil, false, nil
	}
	orig, ok := x.(string)
	if !ok {
		return nil, false, &ValidationError{Field: field + "." + k, Msg: fmt.Sprintf("want a string, got %T", x)}
	}
	s := strings.TrimSpace(orig)
	if s == "" {
		return nil, false, nil
	}
	if k == "country" {
		s = strings.ToUpper(s)
		if len(s) != 2 {
			return nil, false, &ValidationError{Field: field + ".country", Value: s, Msg: "not an ISO 3166-1 alpha-2 code"}
		}
	}
	if k == "phone" && !isE164(s) && !IsRawPhone(s) {
		return nil, false, &ValidationError{Field: field + ".phone", Value: MaskValue("phone", s), Msg: "not an E.164 phone number"}
	}
	if s == orig {
		return x, true, nil // unchanged: keep the boxed value
	}
	return s, true, nil
}

// isAddressKey is contains(AddressKeys, k) as a switch (hot path).
func isAddressKey(k string) bool {
	switch k {
	case "first_name", "last_name", "company", "street", "street2", "zip", "city", "region", "country", "phone":
		return true
	}
	return false
}

// NormalizeTags trims, drops empties, de-duplicates and sorts, so that tag
// order never counts as a change.
func NormalizeTags(tags []string) []string {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	uniq := out[:0]
	for i, t := range out {
		if i == 0 || t != out[i-1] {
			uniq = append(uniq, t)
		}
	}
	return uniq
}

func toStrings(v any) ([]string, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("want a list of strings, got an item of %T", e)
			}
			out = append(out, s)
		}
		return out, nil
	case string:
		return strings.Split(x, ","), nil
	}
	return nil, fmt.Errorf("want a list of strings, got %T", v)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// MaskValue hides personal data in error messages and logs: emails keep their
// first letter and domain, phones their last two digits.
func MaskValue(field, s string) string {
	lf := strings.ToLower(field)
	switch {
	case strings.Contains(lf, "email") || strings.Contains(s, "@"):
		return MaskEmail(s)
	case strings.Contains(lf, "phone") || strings.Contains(lf, "telephone") || strings.Contains(lf, "mobile"):
		return MaskPhone(s)
	}
	return s
}

// MaskEmail turns jane.doe@example.com into j***@example.com.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return "***"
	}
	_, first := utf8.DecodeRuneInString(s) // a whole letter, not half of one
	return s[:first] + "***" + s[at:]
}

// MaskPhone keeps the last two digits.
func MaskPhone(s string) string {
	if len(s) <= 2 {
		return "***"
	}
	return "***" + s[len(s)-2:]
}
