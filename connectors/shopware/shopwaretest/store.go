package shopwaretest

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shophub/shophub/connectors/emulator"
)

// tsLayout is how Shopware renders DATETIME(3) columns in JSON.
const tsLayout = "2006-01-02T15:04:05.000-07:00"

// SystemLanguageID is Shopware's Defaults::LANGUAGE_SYSTEM, the same on
// every installation.
const SystemLanguageID = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"

var uuidRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// NewID returns a Shopware-style id: a v4 UUID as 32 lower-case hex chars.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// apiError is one entry of Shopware's {"errors":[…]} body.
type apiError struct {
	Code    string         `json:"code"`
	Status  string         `json:"status"`
	Title   string         `json:"title"`
	Detail  string         `json:"detail"`
	Source  map[string]any `json:"source,omitempty"`
	Meta    map[string]any `json:"meta,omitempty"`
	pointer string
}

func blank(pointer string) apiError {
	return apiError{
		Code: "c1051bb4-d103-4f74-8988-acbcafc7fdc3", Status: "400", Title: "Constraint violation error",
		Detail: "This value should not be blank.", Source: map[string]any{"pointer": pointer},
		Meta: map[string]any{"parameters": map[string]any{"{{ value }}": "null"}},
	}
}

func invalid(pointer, detail string) apiError {
	return apiError{Code: "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION", Status: "400", Title: "Constraint violation error",
		Detail: detail, Source: map[string]any{"pointer": pointer}}
}

// tooLong is Symfony's Length violation, which the DAL's StringField
// serializer raises for a value over the field's maxLength (characters).
func tooLong(pointer string, limit int) apiError {
	return apiError{Code: "d94b19cc-114f-4f44-9cc4-4138e80a87b9", Status: "400", Title: "Constraint violation error",
		Detail: fmt.Sprintf("This value is too long. It should have %d characters or less.", limit),
		Source: map[string]any{"pointer": pointer},
		Meta:   map[string]any{"parameters": map[string]any{"{{ limit }}": strconv.Itoa(limit)}}}
}

// Column limits of Shopware's entity definitions (CustomerDefinition,
// CustomerAddressDefinition: StringField's default maxLength is 255; the
// address names are shorter than the customer's).
var (
	customerMaxLen = map[string]int{"firstName": 255, "lastName": 255, "title": 100, "company": 255, "email": 255,
		"customerNumber": 255, "affiliateCode": 255, "campaignCode": 255}
	addressMaxLen = map[string]int{"firstName": 50, "lastName": 60, "title": 100, "zipcode": 50, "phoneNumber": 40,
		"city": 255, "company": 255, "street": 255, "department": 255, "additionalAddressLine1": 255, "additionalAddressLine2": 255}
)

// lengthErrors checks string fields of a write body against limits.
func lengthErrors(pointer string, body map[string]any, limits map[string]int) []apiError {
	var errs []apiError
	for _, k := range sortedKeys(body) {
		if v, ok := body[k].(string); ok && limits[k] > 0 && utf8.RuneCountInString(v) > limits[k] {
			errs = append(errs, tooLong(pointer+"/"+k, limits[k]))
		}
	}
	return errs
}

func unexpected(pointer, field string) apiError {
	return apiError{Code: "FRAMEWORK__WRITE_UNEXPECTED_FIELD_ERROR", Status: "400", Title: "Bad Request",
		Detail: fmt.Sprintf("Unexpected field: %s", field), Source: map[string]any{"pointer": pointer}}
}

// ref is a seeded reference entity (sales channel, group, salutation, …).
type ref map[string]any

type store struct {
	customers map[string]map[string]any // stored columns + "tagIds"
	order     []string                  // customer ids in creation order
	addresses map[string]map[string]any
	byOwner   map[string][]string // customer id → address ids, in creation order
	tags      map[string]map[string]any
	refs      map[string][]ref // entity → rows
	// refIDs finds a row by id: an address renders its country and state
	// on every read, and a scan of the 250 countries and their states was
	// a twentieth of the bench process's CPU at a propagation's reads.
	refIDs map[string]map[string]ref
	orders *orderBook // orders.go
	seq    int
	last   time.Time
}

var customerFields = set("id", "email", "firstName", "lastName", "title", "company", "birthday", "customerNumber",
	"salutationId", "groupId", "salesChannelId", "languageId", "defaultPaymentMethodId", "active", "guest",
	"vatIds", "customFields", "accountType", "affiliateCode", "campaignCode", "password",
	"defaultBillingAddressId", "defaultShippingAddressId", "defaultBillingAddress", "defaultShippingAddress",
	"addresses", "tags")

var addressFields = set("id", "customerId", "firstName", "lastName", "company", "department", "title", "street",
	"zipcode", "city", "additionalAddressLine1", "additionalAddressLine2", "phoneNumber", "countryId",
	"countryStateId", "salutationId", "customFields", "vatId")

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

func newStore() *store {
	s := &store{
		customers: map[string]map[string]any{},
		addresses: map[string]map[string]any{},
		byOwner:   map[string][]string{},
		tags:      map[string]map[string]any{},
		refs:      map[string][]ref{},
		orders:    newOrderBook(),
	}
	// A Shopware install ships every ISO country and the states of the
	// main markets (country_state, shortCode ISO 3166-2).
	for i, c := range emulator.Countries() {
		cid := NewID()
		s.refs["country"] = append(s.refs["country"], ref{"id": cid, "iso": c.ISO2, "iso3": c.ISO3, "name": c.Name, "active": true, "position": i + 1})
		if slices.Contains(emulator.StateCountries, c.ISO2) {
			for j, st := range emulator.Subdivisions(c.ISO2) {
				s.refs["country_state"] = append(s.refs["country_state"], ref{"id": NewID(), "countryId": cid, "shortCode": st.Code, "name": st.Name, "active": true, "position": j + 1})
			}
		}
	}
	s.refs["sales_channel"] = []ref{{"id": NewID(), "name": "Storefront", "active": true}, {"id": NewID(), "name": "Headless", "active": true}}
	s.refs["customer_group"] = []ref{{"id": NewID(), "name": "Standard customer group"}}
	s.refs["payment_method"] = []ref{{"id": NewID(), "name": "Invoice", "active": true, "position": 1}, {"id": NewID(), "name": "Cash on delivery", "active": true, "position": 2}}
	s.refs["salutation"] = []ref{{"id": NewID(), "salutationKey": "not_specified", "displayName": "Not specified"}, {"id": NewID(), "salutationKey": "mr", "displayName": "Mr."}, {"id": NewID(), "salutationKey": "mrs", "displayName": "Mrs."}}
	s.refIDs = map[string]map[string]ref{}
	for entity, rows := range s.refs {
		byID := make(map[string]ref, len(rows))
		for _, r := range rows {
			byID[r["id"].(string)] = r
		}
		s.refIDs[entity] = byID
	}
	return s
}

// now is the store's clock: wall time at millisecond precision, as
// DATETIME(3) keeps it. Equal timestamps are possible and intended.
func (s *store) now() string {
	t := time.Now().UTC().Truncate(time.Millisecond)
	if t.Before(s.last) {
		t = s.last // never run backwards
	}
	s.last = t
	return t.Format(tsLayout)
}

func (s *store) refByID(entity, id string) ref { return s.refIDs[entity][id] }

func (s *store) first(entity string) string { return s.refs[entity][0]["id"].(string) }

func (s *store) countryID(iso string) string {
	for _, r := range s.refs["country"] {
		if strings.EqualFold(r["iso"].(string), iso) {
			return r["id"].(string)
		}
	}
	return ""
}

// renderCountry renders the country association of an address.
func (s *store) renderCountry(id any) any {
	r := s.refByID("country", fmt.Sprint(id))
	if r == nil {
		return nil
	}
	out := maps.Clone(map[string]any(r))
	out["apiAlias"] = "country"
	return out
}

func (s *store) renderAddress(id any) any {
	a, ok := s.addresses[fmt.Sprint(id)]
	if !ok {
		return nil
	}
	out := maps.Clone(a)
	out["country"] = s.renderCountry(a["countryId"])
	out["countryState"] = nil
	if st := s.refByID("country_state", fmt.Sprint(a["countryStateId"])); st != nil {
		cs := maps.Clone(map[string]any(st))
		cs["apiAlias"] = "country_state"
		out["countryState"] = cs
	}
	out["apiAlias"] = "customer_address"
	return out
}

// render renders a customer as the Admin API does with Accept:
// application/json; assoc names the associations to load (nil = all).
func (s *store) render(id string, assoc map[string]bool) map[string]any {
	c, ok := s.customers[id]
	if !ok {
		return nil
	}
	out := maps.Clone(c)
	out["tagIds"] = slices.Clone(c["tagIds"].([]string))
	if b, ok := c["birthday"].(string); ok && b != "" {
		out["birthday"] = b + "T00:00:00.000+00:00"
	}
	out["apiAlias"] = "customer"
	want := func(name string) bool { return assoc == nil || assoc[name] }
	if want("defaultBillingAddress") {
		out["defaultBillingAddress"] = s.renderAddress(c["defaultBillingAddressId"])
	}
	if want("defaultShippingAddress") {
		out["defaultShippingAddress"] = s.renderAddress(c["defaultShippingAddressId"])
	}
	if want("addresses") {
		var list []any
		for _, aid := range s.byOwner[id] {
			list = append(list, s.renderAddress(aid))
		}
		if list == nil {
			list = []any{}
		}
		out["addresses"] = list
	}
	if want("tags") {
		list := []any{}
		for _, tid := range c["tagIds"].([]string) {
			if t, ok := s.tags[tid]; ok {
				r := maps.Clone(t)
				r["apiAlias"] = "tag"
				list = append(list, r)
			}
		}
		out["tags"] = list
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// change describes what one write touched, for webhooks.
type change struct {
	entity    string
	operation string // insert, update, delete
	id        string
	fields    []string
}

// writeCustomer applies a create (cur == nil) or partial update body in the
// DAL's nested-write style and returns what changed. On validation errors
// nothing is stored.
func (s *store) writeCustomer(id string, body map[string]any, create bool) ([]change, []apiError) {
	var errs []apiError
	for k := range body {
		if !customerFields[k] {
			errs = append(errs, unexpected("/"+k, k))
		}
	}
	if errs = append(errs, lengthErrors("", body, customerMaxLen)...); len(errs) > 0 {
		return nil, errs
	}
	var cur map[string]any
	if create {
		cur = map[string]any{"id": id, "active": true, "guest": false, "tagIds": []string{}, "title": nil,
			"company": nil, "birthday": nil, "salutationId": nil, "defaultPaymentMethodId": nil,
			"customFields": nil, "vatIds": nil, "accountType": "private", "createdAt": nil, "updatedAt": nil,
			"defaultBillingAddressId": nil, "defaultShippingAddressId": nil}
	} else {
		cur = maps.Clone(s.customers[id])
		cur["tagIds"] = slices.Clone(cur["tagIds"].([]string))
	}
	// Addresses and tags are staged so a validation error stores nothing.
	stagedAddr := map[string]map[string]any{}
	stagedTags := map[string]map[string]any{}
	var changes []change
	var fields []string
	writeAddr := func(pointer string, v any) (string, bool) {
		m, ok := v.(map[string]any)
		if !ok {
			errs = append(errs, invalid(pointer, "This value should be of type array."))
			return "", false
		}
		aid, _ := m["id"].(string)
		existing := false
		var a map[string]any
		if aid != "" {
			if old, ok := s.addresses[aid]; ok {
				if old["customerId"] != id {
					errs = append(errs, invalid(pointer+"/id", "Address belongs to another customer."))
					return "", false
				}
				a, existing = maps.Clone(old), true
			}
		} else {
			aid = NewID()
		}
		if !uuidRe.MatchString(aid) {
			errs = append(errs, invalid(pointer+"/id", "The string \""+aid+"\" is not a valid uuid."))
			return "", false
		}
		if a == nil {
			a = map[string]any{"id": aid, "customerId": id, "company": nil, "department": nil, "title": nil,
				"zipcode": nil, "additionalAddressLine1": nil, "additionalAddressLine2": nil, "phoneNumber": nil,
				"countryStateId": nil, "salutationId": nil, "customFields": nil, "vatId": nil, "createdAt": nil, "updatedAt": nil}
		}
		errs = append(errs, lengthErrors(pointer, m, addressMaxLen)...)
		var changed []string
		for k, v := range m {
			if !addressFields[k] {
				errs = append(errs, unexpected(pointer+"/"+k, k))
				continue
			}
			if k == "id" || k == "customerId" {
				continue
			}
			a[k] = v
			changed = append(changed, k)
		}
		for _, req := range []string{"firstName", "lastName", "street", "city", "countryId"} {
			if v, _ := a[req].(string); strings.TrimSpace(v) == "" {
				errs = append(errs, blank(pointer+"/"+req))
			}
		}
		if cid, _ := a["countryId"].(string); cid != "" && s.refByID("country", cid) == nil {
			errs = append(errs, invalid(pointer+"/countryId", "The country with id \""+cid+"\" does not exist."))
		}
		if sid, _ := a["countryStateId"].(string); sid != "" {
			// A foreign key, and the storefront's rule that a state belongs
			// to the address's country.
			if st := s.refByID("country_state", sid); st == nil {
				errs = append(errs, invalid(pointer+"/countryStateId", "The country state with id \""+sid+"\" does not exist."))
			} else if st["countryId"] != a["countryId"] {
				errs = append(errs, invalid(pointer+"/countryStateId", "The country state does not belong to the country."))
			}
		}
		ts := s.now()
		op := "insert"
		if existing {
			a["updatedAt"] = ts
			op = "update"
		} else {
			a["createdAt"] = ts
		}
		stagedAddr[aid] = a
		slices.Sort(changed)
		changes = append(changes, change{entity: "customer_address", operation: op, id: aid, fields: changed})
		return aid, true
	}
	for _, k := range sortedKeys(body) {
		v := body[k]
		switch k {
		case "id":
			continue
		case "defaultBillingAddress", "defaultShippingAddress":
			if aid, ok := writeAddr("/"+k, v); ok {
				cur[k+"Id"] = aid
				fields = append(fields, k+"Id")
			}
		case "addresses":
			list, _ := v.([]any)
			for i, a := range list {
				writeAddr(fmt.Sprintf("/addresses/%d", i), a)
			}
		case "tags":
			list, _ := v.([]any)
			for i, t := range list {
				m, _ := t.(map[string]any)
				tid, _ := m["id"].(string)
				name, _ := m["name"].(string)
				if tid == "" && name == "" {
					errs = append(errs, blank(fmt.Sprintf("/tags/%d/name", i)))
					continue
				}
				if tid == "" {
					tid = NewID()
				}
				if _, ok := s.tags[tid]; !ok {
					if name == "" {
						errs = append(errs, invalid(fmt.Sprintf("/tags/%d/id", i), "The tag with id \""+tid+"\" does not exist."))
						continue
					}
					stagedTags[tid] = map[string]any{"id": tid, "name": name, "createdAt": s.now(), "updatedAt": nil}
				}
				if !slices.Contains(cur["tagIds"].([]string), tid) {
					cur["tagIds"] = append(cur["tagIds"].([]string), tid)
					changes = append(changes, change{entity: "customer_tag", operation: "insert", id: tid})
				}
			}
			fields = append(fields, "tagIds")
		case "birthday":
			if v == nil || v == "" {
				cur[k] = nil
			} else if str, ok := v.(string); ok && len(str) >= 10 {
				if _, err := time.Parse("2006-01-02", str[:10]); err != nil {
					errs = append(errs, invalid("/birthday", "This value is not a valid date."))
				}
				cur[k] = str[:10]
			} else {
				errs = append(errs, invalid("/birthday", "This value is not a valid date."))
			}
			fields = append(fields, k)
		case "customFields":
			// The DAL writes custom fields of an existing entity as a
			// JsonUpdateCommand: key by key into the stored JSON (JSON_SET),
			// so keys the write does not name are kept; null stores null.
			add, ok := v.(map[string]any)
			if v != nil && !ok {
				errs = append(errs, invalid("/customFields", "This value should be of type array."))
				continue
			}
			merged, _ := cur[k].(map[string]any)
			if create || merged == nil || v == nil {
				merged = map[string]any{}
			} else {
				merged = maps.Clone(merged)
			}
			maps.Copy(merged, add)
			if len(merged) == 0 && v == nil {
				cur[k] = nil
			} else {
				cur[k] = merged
			}
			fields = append(fields, k)
		default:
			cur[k] = v
			fields = append(fields, k)
		}
	}
	// Required fields and references, checked on the merged state.
	reqs := []string{"email", "firstName", "lastName", "customerNumber", "groupId", "salesChannelId", "languageId", "defaultPaymentMethodId", "defaultBillingAddressId", "defaultShippingAddressId"}
	for _, req := range reqs {
		if v, _ := cur[req].(string); strings.TrimSpace(v) == "" {
			if !create && body[req] == nil && !hasKey(body, req) {
				continue // a partial update need not repeat untouched fields
			}
			ptr := "/" + req
			if strings.HasSuffix(req, "AddressId") {
				ptr = "/" + strings.TrimSuffix(req, "Id")
			}
			errs = append(errs, blank(ptr))
		}
	}
	if e, _ := cur["email"].(string); e != "" && !strings.Contains(e, "@") {
		errs = append(errs, apiError{Code: "bd79c0ab-ddba-46cc-a703-a7a4b08de310", Status: "400", Title: "Constraint violation error",
			Detail: "This value is not a valid email address.", Source: map[string]any{"pointer": "/email"}})
	}
	for field, entity := range map[string]string{"groupId": "customer_group", "salesChannelId": "sales_channel", "defaultPaymentMethodId": "payment_method", "salutationId": "salutation"} {
		if v, _ := cur[field].(string); v != "" && s.refByID(entity, v) == nil {
			errs = append(errs, invalid("/"+field, fmt.Sprintf("The %s with id \"%s\" does not exist.", entity, v)))
		}
	}
	for _, f := range []string{"defaultBillingAddressId", "defaultShippingAddressId"} {
		if aid, _ := cur[f].(string); aid != "" {
			if _, ok := stagedAddr[aid]; !ok {
				if a, ok := s.addresses[aid]; !ok || a["customerId"] != id {
					errs = append(errs, invalid("/"+f, "The address with id \""+aid+"\" does not exist."))
				}
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	ts := s.now()
	op := "update"
	if create {
		cur["createdAt"] = ts
		op = "insert"
		s.order = append(s.order, id)
	} else {
		// Shopware bumps updatedAt on every write, changed or not.
		cur["updatedAt"] = ts
	}
	fields = append(fields, "updatedAt")
	slices.Sort(fields)
	s.customers[id] = cur
	for _, aid := range sortedKeys(stagedAddr) {
		if _, exists := s.addresses[aid]; !exists {
			s.byOwner[id] = append(s.byOwner[id], aid)
		}
	}
	maps.Copy(s.addresses, stagedAddr)
	maps.Copy(s.tags, stagedTags)
	return append([]change{{entity: "customer", operation: op, id: id, fields: slices.Compact(fields)}}, changes...), nil
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

func (s *store) deleteCustomer(id string) bool {
	if _, ok := s.customers[id]; !ok {
		return false
	}
	delete(s.customers, id)
	s.order = slices.DeleteFunc(s.order, func(x string) bool { return x == id })
	for _, aid := range s.byOwner[id] {
		delete(s.addresses, aid)
	}
	delete(s.byOwner, id)
	return true
}

// seedCustomer is the body the emulator's merchant helpers start from.
func (s *store) seedBody(i int) map[string]any {
	s.seq++
	n := s.seq
	aid := NewID()
	return map[string]any{
		"email":                    fmt.Sprintf("seed-%d@example.com", n),
		"firstName":                "Seed",
		"lastName":                 fmt.Sprintf("Customer %d", n),
		"customerNumber":           fmt.Sprintf("SEED-%06d", n),
		"groupId":                  s.first("customer_group"),
		"salesChannelId":           s.first("sales_channel"),
		"languageId":               SystemLanguageID,
		"defaultPaymentMethodId":   s.first("payment_method"),
		"salutationId":             s.first("salutation"),
		"defaultShippingAddressId": aid,
		"defaultBillingAddress": map[string]any{
			"id": aid, "firstName": "Seed", "lastName": fmt.Sprintf("Customer %d", n), "street": fmt.Sprintf("Seedstraße %d", i+1),
			"zipcode": "10115", "city": "Berlin", "countryId": s.countryID("DE"),
		},
	}
}

// fillDefaults completes a merchant-made body with what the admin would
// preselect.
func (s *store) fillDefaults(body map[string]any) map[string]any {
	out := s.seedBody(0)
	for k, v := range body {
		if k == "defaultBillingAddress" || k == "defaultShippingAddress" {
			a := maps.Clone(out["defaultBillingAddress"].(map[string]any))
			if k == "defaultShippingAddress" {
				delete(a, "id")
				delete(out, "defaultShippingAddressId")
			}
			if m, ok := v.(map[string]any); ok {
				maps.Copy(a, m)
				if iso, ok := a["countryIso"].(string); ok {
					a["countryId"] = s.countryID(iso)
					delete(a, "countryIso")
				}
			}
			out[k] = a
			continue
		}
		out[k] = v
	}
	return out
}

// inCreationOrder is those of ids that are stored customers, each once, in
// the order they were created (the order a search without sorting lists).
func (s *store) inCreationOrder(ids []string) []string {
	var out []string
	for _, id := range ids {
		if _, ok := s.customers[id]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(out) > 1 {
		pos := make(map[string]int, len(out))
		for _, id := range out {
			pos[id] = -1
		}
		for i, id := range s.order {
			if _, ok := pos[id]; ok {
				pos[id] = i
			}
		}
		slices.SortFunc(out, func(a, b string) int { return pos[a] - pos[b] })
	}
	return out
}
