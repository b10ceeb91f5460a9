package shopifytest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// customer is the emulator's compact customer row. Rows are rendered to the
// REST shape on demand, so a million seeded customers cost a few hundred
// bytes each instead of a decoded JSON map each.
type customer struct {
	id        int64
	seq       uint64 // position in the updated_at log; bumps on every change
	createdAt int64  // unix seconds
	updatedAt int64
	email     string
	firstName string
	lastName  string
	phone     string
	tags      string
	note      string
	state     string
	currency  string
	verified  bool
	taxExempt bool
	emailMkt  consent
	smsMkt    consent
	addresses []address
}

type consent struct {
	state     string // "" renders as null
	optIn     string
	updatedAt int64 // 0 renders as null
	collected string
}

type address struct {
	id           int64
	firstName    string
	lastName     string
	company      string
	address1     string
	address2     string
	city         string
	province     string
	provinceCode string
	countryCode  string
	zip          string
	phone        string
	isDefault    bool
}

// logEntry is one row of the updated_at-ordered change log. A customer's live
// entry is the one whose seq equals the customer's seq; older entries are dead
// and skipped (and compacted away once they dominate).
type logEntry struct {
	seq uint64
	ts  int64
	id  int64
}

// store keeps customers by id plus two orderings that make paging O(page):
// ids (creation order = id order, ascending) and log (updated_at order).
// Both only ever append, because new ids and new updated_at values are never
// smaller than existing ones.
type store struct {
	customers map[int64]*customer
	byEmail   map[string]int64
	ids       []int64
	deadIDs   int
	log       []logEntry
	deadLog   int
	nextID    int64
	nextAddr  int64
	seq       uint64
	lastTS    int64
	zone      *time.Location
	orders    *orderBook // orders.go
	// checkouts.go
	checkouts    map[int64]*checkout
	nextCheckout int64
	// metafields.go: a customer's metafields in creation (= id) order.
	metafields    map[int64][]*metafieldRow
	nextMetafield int64
}

func newStore(zone *time.Location) *store {
	return &store{
		customers: map[int64]*customer{},
		byEmail:   map[string]int64{},
		nextID:    7000000000001,
		nextAddr:  9000000000001,
		zone:      zone,
		orders:    newOrderBook(),

		metafields:    map[int64][]*metafieldRow{},
		nextMetafield: 21000000000001,
	}
}

// stamp returns the timestamp for a change now, never earlier than the last
// one so the updated_at log stays sorted even if the wall clock steps back.
func (s *store) stamp(now time.Time) int64 {
	ts := now.Unix()
	if ts < s.lastTS {
		ts = s.lastTS
	}
	s.lastTS = ts
	return ts
}

func (s *store) insert(c *customer) {
	s.customers[c.id] = c
	if c.email != "" {
		s.byEmail[strings.ToLower(c.email)] = c.id
	}
	s.ids = append(s.ids, c.id)
	s.seq++
	c.seq = s.seq
	s.log = append(s.log, logEntry{seq: c.seq, ts: c.updatedAt, id: c.id})
}

// replace commits an edited copy of a customer and moves it to the end of
// the updated_at log.
func (s *store) replace(old, nc *customer) {
	if old.email != "" {
		delete(s.byEmail, strings.ToLower(old.email))
	}
	if nc.email != "" {
		s.byEmail[strings.ToLower(nc.email)] = nc.id
	}
	s.seq++
	nc.seq = s.seq
	s.customers[nc.id] = nc
	s.log = append(s.log, logEntry{seq: nc.seq, ts: nc.updatedAt, id: nc.id})
	s.deadLog++
	s.compact()
}

func (s *store) remove(c *customer) {
	delete(s.customers, c.id)
	delete(s.metafields, c.id) // Shopify deletes a resource's metafields with it
	if c.email != "" {
		delete(s.byEmail, strings.ToLower(c.email))
	}
	s.deadIDs++
	s.deadLog++
	s.compact()
}

func (s *store) compact() {
	if s.deadLog > 1024 && s.deadLog > len(s.log)/2 {
		live := make([]logEntry, 0, len(s.customers))
		for _, e := range s.log {
			if s.liveLog(e) != nil {
				live = append(live, e)
			}
		}
		s.log, s.deadLog = live, 0
	}
	if s.deadIDs > 1024 && s.deadIDs > len(s.ids)/2 {
		live := make([]int64, 0, len(s.customers))
		for _, id := range s.ids {
			if s.customers[id] != nil {
				live = append(live, id)
			}
		}
		s.ids, s.deadIDs = live, 0
	}
}

func (s *store) liveLog(e logEntry) *customer {
	c := s.customers[e.id]
	if c == nil || c.seq != e.seq {
		return nil
	}
	return c
}

func (c *customer) clone() *customer {
	n := *c
	n.addresses = append([]address(nil), c.addresses...)
	return &n
}

func (c *customer) defaultAddress() *address {
	for i := range c.addresses {
		if c.addresses[i].isDefault {
			return &c.addresses[i]
		}
	}
	return nil
}

// ---- rendering to the REST shape ----

func (s *store) ts(unix int64) any {
	if unix == 0 {
		return nil
	}
	return time.Unix(unix, 0).In(s.zone).Format(time.RFC3339)
}

func nullable(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func (s *store) render(c *customer) map[string]any {
	addrs := make([]any, 0, len(c.addresses))
	var def any
	for i := range c.addresses {
		a := s.renderAddress(c.id, &c.addresses[i])
		addrs = append(addrs, a)
		if c.addresses[i].isDefault {
			def = a
		}
	}
	orders, spent, lastID, lastName := s.orders.customerTotals(c.id)
	m := map[string]any{
		"id":                      c.id,
		"email":                   nullable(c.email),
		"created_at":              s.ts(c.createdAt),
		"updated_at":              s.ts(c.updatedAt),
		"first_name":              nullable(c.firstName),
		"last_name":               nullable(c.lastName),
		"orders_count":            orders,
		"state":                   c.state,
		"total_spent":             spent,
		"last_order_id":           lastID,
		"note":                    nullable(c.note),
		"verified_email":          c.verified,
		"multipass_identifier":    nil,
		"tax_exempt":              c.taxExempt,
		"tags":                    c.tags,
		"last_order_name":         lastName,
		"currency":                c.currency,
		"phone":                   nullable(c.phone),
		"addresses":               addrs,
		"tax_exemptions":          []any{},
		"email_marketing_consent": s.renderConsent(c.emailMkt, false),
		"sms_marketing_consent":   s.renderConsent(c.smsMkt, true),
		"admin_graphql_api_id":    "gid://shopify/Customer/" + strconv.FormatInt(c.id, 10),
	}
	if def != nil {
		m["default_address"] = def
	}
	return m
}

func (s *store) renderConsent(k consent, sms bool) any {
	if k.state == "" {
		return nil
	}
	m := map[string]any{
		"state":              k.state,
		"opt_in_level":       nullable(k.optIn),
		"consent_updated_at": s.ts(k.updatedAt),
	}
	if sms {
		m["consent_collected_from"] = k.collected
	}
	return m
}

func (s *store) renderAddress(customerID int64, a *address) map[string]any {
	name := strings.TrimSpace(a.firstName + " " + a.lastName)
	return map[string]any{
		"id":            a.id,
		"customer_id":   customerID,
		"first_name":    nullable(a.firstName),
		"last_name":     nullable(a.lastName),
		"company":       nullable(a.company),
		"address1":      nullable(a.address1),
		"address2":      nullable(a.address2),
		"city":          nullable(a.city),
		"province":      nullable(a.province),
		"country":       nullable(countryName(a.countryCode)),
		"zip":           nullable(a.zip),
		"phone":         nullable(a.phone),
		"name":          name,
		"province_code": nullable(a.provinceCode),
		"country_code":  nullable(a.countryCode),
		"country_name":  nullable(countryName(a.countryCode)),
		"default":       a.isDefault,
	}
}

var countryNames = map[string]string{
	"US": "United States", "CA": "Canada", "DE": "Germany", "AT": "Austria", "CH": "Switzerland",
	"GB": "United Kingdom", "FR": "France", "NL": "Netherlands", "BE": "Belgium", "IT": "Italy",
	"ES": "Spain", "PL": "Poland", "DK": "Denmark", "SE": "Sweden", "AU": "Australia",
}

func countryName(code string) string {
	if code == "" {
		return ""
	}
	if n, ok := countryNames[code]; ok {
		return n
	}
	return code
}

func countryCode(v string) string {
	v = strings.TrimSpace(v)
	if len(v) == 2 {
		return strings.ToUpper(v)
	}
	for code, name := range countryNames {
		if strings.EqualFold(name, v) {
			return code
		}
	}
	return v
}

// ---- applying writes ----

// fieldErrors is Shopify's 422 body shape: {"errors":{"email":["is invalid"]}}.
type fieldErrors map[string][]string

func (f fieldErrors) add(field, msg string) { f[field] = append(f[field], msg) }

var (
	emailRe = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
	phoneRe = regexp.MustCompile(`^\+?[0-9][0-9 ()\-.]{5,}[0-9]$`)
)

var consentStates = map[string]bool{"subscribed": true, "not_subscribed": true, "unsubscribed": true, "pending": true, "redacted": true, "invalid": true}

// apply writes REST fields onto c (a private copy). Unknown and read-only
// fields are ignored, as Shopify ignores them.
func (s *store) apply(c *customer, fields map[string]any, now int64) fieldErrors {
	errs := fieldErrors{}
	// A fixed order keeps results independent of map iteration: phone
	// (which creates the sms consent) before the consents.
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := fields[k]
		switch k {
		case "email":
			e := strings.TrimSpace(str(v))
			if e != "" && !emailRe.MatchString(e) {
				errs.add("email", "is invalid")
				continue
			}
			if e != "" {
				if other, ok := s.byEmail[strings.ToLower(e)]; ok && other != c.id {
					errs.add("email", "has already been taken")
					continue
				}
			}
			c.email = e
		case "phone":
			p := strings.TrimSpace(str(v))
			if p != "" && !phoneRe.MatchString(p) {
				errs.add("phone", "is invalid")
				continue
			}
			c.phone = p
			if p != "" && c.smsMkt.state == "" {
				c.smsMkt = consent{state: "not_subscribed", optIn: "single_opt_in", collected: "OTHER"}
			}
		case "first_name":
			c.firstName = str(v)
		case "last_name":
			c.lastName = str(v)
		case "note":
			c.note = str(v)
		case "state":
			c.state = str(v)
		case "currency":
			c.currency = str(v)
		case "verified_email":
			c.verified = truthy(v)
		case "tax_exempt":
			c.taxExempt = truthy(v)
		case "tags":
			c.tags = normalizeTags(v)
		case "email_marketing_consent":
			applyConsent(&c.emailMkt, k, v, now, errs)
		case "sms_marketing_consent":
			applyConsent(&c.smsMkt, k, v, now, errs)
			if c.smsMkt.state != "" && c.smsMkt.collected == "" {
				c.smsMkt.collected = "OTHER"
			}
		case "addresses":
			list, ok := v.([]any)
			if !ok {
				errs.add("addresses", "must be a list")
				continue
			}
			for _, item := range list {
				m, ok := item.(map[string]any)
				if !ok {
					errs.add("addresses", "is invalid")
					continue
				}
				s.upsertAddress(c, m)
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func applyConsent(k *consent, field string, v any, now int64, errs fieldErrors) {
	if v == nil {
		*k = consent{}
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		errs.add(field, "is invalid")
		return
	}
	next := *k
	if st, ok := m["state"]; ok {
		next.state = str(st)
		if !consentStates[next.state] {
			errs.add(field, "state is invalid")
			return
		}
	}
	if lvl, ok := m["opt_in_level"]; ok {
		next.optIn = str(lvl)
	}
	if next.optIn == "" {
		next.optIn = "single_opt_in"
	}
	if cf, ok := m["consent_collected_from"]; ok {
		next.collected = str(cf)
	}
	if at, ok := m["consent_updated_at"]; ok && str(at) != "" {
		t, err := time.Parse(time.RFC3339, str(at))
		if err != nil {
			errs.add(field, "consent_updated_at is invalid")
			return
		}
		next.updatedAt = t.Unix()
	} else if k.state != "" && next.state != k.state {
		next.updatedAt = now // a change of an existing consent, not its creation
	}
	*k = next
}

// upsertAddress updates the address whose id m carries, or adds a new one
// (which is how REST clients create duplicate addresses by accident).
func (s *store) upsertAddress(c *customer, m map[string]any) *address {
	var a *address
	if idv, ok := m["id"]; ok && idv != nil {
		id, _ := strconv.ParseInt(str(idv), 10, 64)
		for i := range c.addresses {
			if c.addresses[i].id == id {
				a = &c.addresses[i]
			}
		}
	}
	if a == nil {
		c.addresses = append(c.addresses, address{id: s.nextAddr, isDefault: len(c.addresses) == 0})
		s.nextAddr++
		a = &c.addresses[len(c.addresses)-1]
	}
	for k, v := range m {
		switch k {
		case "first_name":
			a.firstName = str(v)
		case "last_name":
			a.lastName = str(v)
		case "company":
			a.company = str(v)
		case "address1":
			a.address1 = str(v)
		case "address2":
			a.address2 = str(v)
		case "city":
			a.city = str(v)
		case "province":
			a.province = str(v)
		case "province_code":
			a.provinceCode = str(v)
		case "country_code":
			a.countryCode = countryCode(str(v))
		case "country":
			if _, has := m["country_code"]; !has {
				a.countryCode = countryCode(str(v))
			}
		case "zip":
			a.zip = str(v)
		case "phone":
			a.phone = str(v)
		case "default":
			if truthy(v) {
				for i := range c.addresses {
					c.addresses[i].isDefault = false
				}
				a.isDefault = true
			}
		}
	}
	return a
}

func normalizeTags(v any) string {
	var parts []string
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			parts = append(parts, str(e))
		}
	default:
		parts = strings.Split(str(v), ",")
	}
	seen := map[string]bool{}
	out := parts[:0]
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		out = append(out, p)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return x == "true" || x == "1"
	}
	return false
}
