package hub

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"github.com/shophub/shophub/mappings"
	"golang.org/x/text/unicode/norm"
	"gorm.io/gorm"
)

// RecordKey names one vendor record.
type RecordKey struct {
	Instance, Resource, ExternalID string
}

// Identity is what identifies one person in data the hub does not index by
// customer: quarantined raw payloads, queued and dead-lettered tasks. It is
// built during an erasure and lives in memory only.
type Identity struct {
	CustomerID uint64
	// Emails are normalized (trimmed, lower-case): every email the hub
	// ever held for the person, old ones from the change log included.
	Emails []string
	// Phones are in E.164 form (national numbers read in the hub's
	// default region).
	Phones []string
	// Records are the person's vendor records (their links).
	Records []RecordKey

	region  string
	emails  map[string]bool
	phones  map[string]bool
	records map[RecordKey]bool
}

// newIdentity starts an identity; region reads phone numbers written
// without a country code.
func newIdentity(customerID uint64, region string) *Identity {
	return &Identity{CustomerID: customerID, region: region, emails: map[string]bool{}, phones: map[string]bool{}, records: map[RecordKey]bool{}}
}

func (id *Identity) addEmail(s string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || !strings.Contains(s, "@") || id.emails[s] {
		return
	}
	id.emails[s] = true
	id.Emails = append(id.Emails, s)
}

func (id *Identity) addPhone(s string) {
	e, ok := id.phoneKey(s)
	if !ok || id.phones[e] {
		return
	}
	id.phones[e] = true
	id.Phones = append(id.Phones, e)
}

func (id *Identity) addRecord(k RecordKey) {
	if !id.records[k] {
		id.records[k] = true
		id.Records = append(id.Records, k)
	}
}

func (id *Identity) sort() {
	sort.Strings(id.Emails)
	sort.Strings(id.Phones)
}

// collect adds the emails and phones found in a decoded JSON value, by the
// key they are held under (an email anywhere, a phone under a key naming
// one: canonical docs, vendor records and addresses alike).
func (id *Identity) collect(key string, v any) {
	switch x := v.(type) {
	case string:
		k := strings.ToLower(key)
		switch {
		case strings.Contains(k, "email"):
			id.addEmail(x)
		case strings.Contains(k, "phone") || k == "mobile":
			id.addPhone(x)
		}
	case map[string]any:
		for k, e := range x {
			id.collect(k, e)
		}
	case []any:
		for _, e := range x {
			id.collect(key, e)
		}
	}
}

// collectJSON is collect over a JSON text; text that is not JSON is a
// bare value under key.
func (id *Identity) collectJSON(key, text string) {
	if text == "" {
		return
	}
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		v = text
	}
	id.collect(key, v)
}

// HasRecord reports whether the vendor record is one of the person's.
func (id *Identity) HasRecord(instance, resource, externalID string) bool {
	return externalID != "" && id.records[RecordKey{instance, resource, externalID}]
}

// Mentions reports whether a raw payload (JSON or not) carries one of the
// person's emails or phones, exactly: an email is a whole address equal to
// one of theirs after normalizing (so joann@example.com is not
// ann@example.com), a phone one whose E.164 form equals one of theirs
// (never a suffix or a substring). Every JSON string is compared, not the
// raw bytes: JSON may escape an email ("\u0040") and vendors keep the case
// the person typed.
func (id *Identity) Mentions(payload []byte) bool {
	if len(payload) == 0 || (len(id.emails) == 0 && len(id.phones) == 0) {
		return false
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return id.mentionsEmail(string(payload))
	}
	return id.mentions(v)
}

func (id *Identity) mentions(v any) bool {
	switch x := v.(type) {
	case string:
		return id.mentionsString(x)
	case map[string]any:
		for _, e := range x {
			if id.mentions(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if id.mentions(e) {
				return true
			}
		}
	}
	return false
}

func (id *Identity) mentionsString(s string) bool {
	if id.mentionsEmail(s) {
		return true
	}
	if len(id.phones) > 0 && looksLikePhone(s) {
		if e, ok := id.phoneKey(s); ok && id.phones[e] {
			return true
		}
	}
	return false
}

// phoneKey is what phones are compared by: the E.164 form, or for a
// number that does not parse (kept raw by a mapping) all its digits, so
// that two spellings of one number are equal and no number equals a
// part of another.
func (id *Identity) phoneKey(s string) (string, bool) {
	if e, ok := mappings.PhoneE164(s, id.region); ok {
		return e, true
	}
	if d := phoneDigits(mappings.PhoneText(s)); len(d) >= 7 {
		return "digits:" + d, true
	}
	return "", false
}

// emailToken is one whole address in text: "Ann <ann@example.com>" holds
// ann@example.com, and "joann@example.com" holds only joann@example.com.
var emailToken = regexp.MustCompile(`[A-Za-z0-9._%+\-!#$&'*/=?^{|}~]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*`)

// mentionsEmail: some whole address in s is one of the person's.
func (id *Identity) mentionsEmail(s string) bool {
	if len(id.emails) == 0 || !strings.Contains(s, "@") {
		return false
	}
	for _, m := range emailToken.FindAllString(s, -1) {
		if id.emails[mappings.NormalizeEmail(strings.TrimRight(m, "."))] {
			return true
		}
	}
	return false
}

// looksLikePhone: only phone punctuation besides digits, so vendor ids
// and timestamps are never taken for phone numbers.
func looksLikePhone(s string) bool {
	if len(s) < 7 || len(s) > 32 {
		return false
	}
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case !strings.ContainsRune("+ ()-./", r):
			return false
		}
	}
	return digits >= 7
}

func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Match keys (hub.match_keys) find the customer a record without a link
// belongs to, tried in the configured order; the first that finds exactly
// one customer decides. email is the normalized email (one customer per
// email: the column is unique); phone the canonical (E.164) phone;
// customer_number the ERP's customer number. email_name finds the customer
// by email too (the hub cannot hold a second customer with that email),
// but a record whose first or last name differs from the customer's is an
// unverified match: someone else typing the person's email. It links, is
// merged as an unverified record (mayOverwrite) and its link gets no
// pushes; with the names agreeing it is a plain email match.
const (
	MatchEmail          = "email"
	MatchEmailName      = "email_name"
	MatchPhone          = "phone"
	MatchCustomerNumber = "customer_number"
)

// matchKeys is the policy's keys, [email] when none are set.
func (p Policy) matchKeys() []string {
	if len(p.MatchKeys) == 0 {
		return []string{MatchEmail}
	}
	return p.MatchKeys
}

func customerNumber(doc map[string]any) string {
	s, _ := doc["customer_number"].(string)
	return strings.TrimSpace(s)
}

// keyIndex finds customers by the phone and customer-number match keys.
// A value two customers share matches neither (nil entry).
type keyIndex struct {
	phone, number map[string]*custState
}

func (k *keyIndex) add(m map[string]*custState, v string, cs *custState) {
	if m == nil || v == "" {
		return
	}
	if o, ok := m[v]; ok && o != cs {
		m[v] = nil // ambiguous
		return
	}
	m[v] = cs
}

// remember indexes a customer after a merge, so later records of the
// batch find a new customer by its phone or number too.
func (k *keyIndex) remember(cs *custState) {
	p, _ := cs.data["phone"].(string)
	k.add(k.phone, p, cs)
	k.add(k.number, customerNumber(cs.data), cs)
}

// match finds the customer a record's keys name, nil for none; stranger
// when the email_name key found it by an email whose names differ.
func (k *keyIndex) match(pol Policy, doc map[string]any, byEmail map[string]*custState) (cs *custState, stranger bool) {
	for _, key := range pol.matchKeys() {
		switch key {
		case MatchEmail:
			if e, _ := doc["email"].(string); e != "" {
				cs = byEmail[e]
			}
		case MatchEmailName:
			if e, _ := doc["email"].(string); e != "" {
				cs = byEmail[e]
				stranger = cs != nil && !sameName(doc, cs.data)
			}
		case MatchPhone:
			if p, _ := doc["phone"].(string); p != "" {
				cs = k.phone[p]
			}
		case MatchCustomerNumber:
			if n := customerNumber(doc); n != "" {
				cs = k.number[n]
			}
		}
		if cs != nil {
			return cs, stranger
		}
	}
	return nil, false
}

// NameMismatch: email_name is a match key and the record's names are not
// the customer's (sameName), so an email match with it is unverified. The
// push uses it too: an account found at a touchpoint by the person's email
// but holding other names is not theirs to write into.
func (p Policy) NameMismatch(record, customer map[string]any) bool {
	for _, k := range p.matchKeys() {
		if k == MatchEmailName {
			return !sameName(record, customer)
		}
	}
	return false
}

// sameName: the record's first and last names are the customer's, each
// compared folded (case, accents, whitespace); a name missing on either
// side agrees with anything, so a record without names is no stranger.
func sameName(doc, cust map[string]any) bool {
	for _, f := range []string{"first_name", "last_name"} {
		a, _ := doc[f].(string)
		b, _ := cust[f].(string)
		a, b = foldName(a), foldName(b)
		if a != "" && b != "" && a != b {
			return false
		}
	}
	return true
}

// foldName is a name as compared: accents dropped (é is e, ß stays),
// lower case, runs of whitespace one space, trimmed.
func foldName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// lockByKeys locks and loads the customers the batch's phones and
// customer numbers name, when those are match keys, adding them to byID
// and byEmail (the same state when a customer was loaded already).
func lockByKeys(tx *gorm.DB, ins []Inbound, pol Policy, byID map[uint64]*custState, byEmail map[string]*custState) (*keyIndex, error) {
	k := &keyIndex{}
	var phones, numbers []string
	for _, key := range pol.matchKeys() {
		switch key {
		case MatchPhone:
			k.phone = map[string]*custState{}
			for _, in := range ins {
				if p, _ := in.Doc["phone"].(string); p != "" {
					phones = append(phones, p)
				}
			}
		case MatchCustomerNumber:
			k.number = map[string]*custState{}
			for _, in := range ins {
				if n := customerNumber(in.Doc); n != "" {
					numbers = append(numbers, n)
				}
			}
		}
	}
	if len(phones) == 0 && len(numbers) == 0 {
		return k, nil
	}
	rows, err := lockEach(tx, lockBy{"phone", lockValues(phones)}, lockBy{"customer_number", lockValues(numbers)}) // batch.go
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		cs := byID[r.ID]
		if cs == nil {
			data, prov, err := decodeState(&r)
			if err != nil {
				return nil, err
			}
			cs = &custState{row: r, data: data, prov: prov}
			if r.Email != nil {
				cs.email = *r.Email
				byEmail[cs.email] = cs
			}
			byID[r.ID] = cs
		}
		k.add(k.phone, r.Phone, cs)
		k.add(k.number, r.CustomerNumber, cs)
	}
	return k, nil
}
