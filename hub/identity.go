package hub

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
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
	// Phones are digit strings without leading zeros, 7 digits or more.
	Phones []string
	// Records are the person's vendor records (their links).
	Records []RecordKey

	emails  map[string]bool
	phones  map[string]bool
	records map[RecordKey]bool
}

func newIdentity(customerID uint64) *Identity {
	return &Identity{CustomerID: customerID, emails: map[string]bool{}, phones: map[string]bool{}, records: map[RecordKey]bool{}}
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
	d := phoneDigits(s)
	if len(d) < 7 || id.phones[d] {
		return
	}
	id.phones[d] = true
	id.Phones = append(id.Phones, d)
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
// person's emails or phones. Every string is compared, not the raw bytes:
// JSON may escape an email ("\u0040") and vendors keep the case the person
// typed, so a substring search on the stored bytes would miss them.
func (id *Identity) Mentions(payload []byte) bool {
	if len(payload) == 0 || (len(id.emails) == 0 && len(id.phones) == 0) {
		return false
	}
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		low := bytes.ToLower(payload)
		for e := range id.emails {
			if bytes.Contains(low, []byte(e)) {
				return true
			}
		}
		return false
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
	if strings.Contains(s, "@") {
		low := strings.ToLower(s)
		for e := range id.emails {
			if strings.Contains(low, e) {
				return true
			}
		}
	}
	if len(id.phones) > 0 && looksLikePhone(s) {
		d := phoneDigits(s)
		if len(d) >= 7 {
			for p := range id.phones {
				// One side may carry the country code, the other the
				// national form: the shorter must end the longer.
				if strings.HasSuffix(d, p) || strings.HasSuffix(p, d) {
					return true
				}
			}
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
	for _, r := range s {
		if (r < '0' || r > '9') && !strings.ContainsRune("+ ()-./", r) {
			return false
		}
	}
	return true
}

func phoneDigits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return strings.TrimLeft(b.String(), "0")
}
