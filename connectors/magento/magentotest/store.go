package magentotest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// store keeps customers in Magento's REST shape, keyed by entity id.
type store struct {
	customers map[int64]map[string]any
	nextID    int64
	nextAddr  int64
	// orders are sales orders in REST shape (orders.go); nil until the
	// first is placed.
	orders    map[int64]map[string]any
	nextOrder int64
	// quotes are quote table rows (carts.go), searched by their columns
	// and rendered as CartInterface; nil until the first is created.
	quotes    map[int64]map[string]any
	nextQuote int64
	// newsletter is each customer's newsletter_subscriber status.
	newsletter map[int64]int
	// attributes are the user-defined customer attribute codes
	// (attributes.go).
	attributes map[string]bool
}

// Magento's newsletter_subscriber statuses (Magento\Newsletter\Model\Subscriber).
const (
	SubscriberSubscribed   = 1
	SubscriberNotActive    = 2 // waiting for the confirmation link
	SubscriberUnsubscribed = 3
	SubscriberUnconfirmed  = 4 // waiting for the account's confirmation
)

func newStore() *store {
	return &store{customers: map[int64]map[string]any{}, nextID: 1, nextAddr: 1, newsletter: map[int64]int{}, attributes: map[string]bool{}}
}

// subscription applies a requested is_subscribed as Magento's newsletter
// plugin does on a customer save, and sets what GET renders: is_subscribed
// is true only for status Subscribed (Subscriber::isSubscribed). Under
// Need to Confirm a new subscription waits as Not Activated and reads as
// false; a save that sends false — as a client that read that false and
// sends it back does — unsubscribes, pending or not.
func (s *store) subscription(id int64, c map[string]any, o Options) {
	ext, _ := c["extension_attributes"].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
		c["extension_attributes"] = ext
	}
	want, _ := ext["is_subscribed"].(bool)
	switch cur := s.newsletter[id]; {
	case want && cur != SubscriberSubscribed && cur != SubscriberNotActive:
		s.newsletter[id] = SubscriberSubscribed
		if o.NeedToConfirm {
			s.newsletter[id] = SubscriberNotActive
		}
	case !want && (cur == SubscriberSubscribed || cur == SubscriberNotActive):
		s.newsletter[id] = SubscriberUnsubscribed
	}
	ext["is_subscribed"] = s.newsletter[id] == SubscriberSubscribed
}

// inputError is a Magento validation error: HTTP 400 with message and
// parameters, "%name" placeholders filled from parameters by clients.
type inputError struct {
	Message    string         `json:"message"`
	Parameters map[string]any `json:"parameters,omitempty"`
}

func (e *inputError) Error() string {
	msg := e.Message
	for k, v := range e.Parameters {
		msg = strings.ReplaceAll(msg, "%"+k, fmt.Sprint(v))
	}
	return msg
}

func required(field string) *inputError {
	return &inputError{Message: `"%fieldName" is required. Enter and try again.`, Parameters: map[string]any{"fieldName": field}}
}

const errDuplicateEmail = "A customer with the same email address already exists in an associated website."

// create stores a new customer; c is owned by the store afterwards.
func (s *store) create(c map[string]any, o Options, now string) (int64, *inputError) {
	delete(c, "id")
	c["created_at"] = now
	c["updated_at"] = now
	if _, ok := c["website_id"]; !ok {
		c["website_id"] = o.WebsiteID
	}
	if _, ok := c["group_id"]; !ok {
		c["group_id"] = int64(1)
	}
	if _, ok := c["store_id"]; !ok {
		c["store_id"] = int64(1)
	}
	c["created_in"] = "Default Store View"
	c["disable_auto_group_change"] = int64(0)
	ext, _ := c["extension_attributes"].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
	}
	if _, ok := ext["is_subscribed"]; !ok {
		ext["is_subscribed"] = false
	}
	c["extension_attributes"] = ext
	id := s.nextID
	if err := s.normalize(id, c, nil, o); err != nil {
		return 0, err
	}
	s.nextID++
	s.subscription(id, c, o)
	c["id"] = id
	s.commitAddresses(id, c)
	s.customers[id] = c
	return id, nil
}

// save replaces customer id with next (a full record). It reports whether
// anything changed. updated_at is customer_entity's ON UPDATE
// CURRENT_TIMESTAMP column: it moves only when a column of that row
// changes. Addresses live in customer_address_entity, so a change of
// addresses alone (the storefront's address book, an admin editing one
// address) leaves updated_at as it was, and a poll by updated_at never
// sees it. Adding a default address still moves it: default_billing and
// default_shipping are columns of customer_entity.
func (s *store) save(id int64, next map[string]any, o Options, now string) (bool, *inputError) {
	old := s.customers[id]
	next["id"] = id
	next["created_at"] = old["created_at"]
	next["created_in"] = old["created_in"]
	next["updated_at"] = old["updated_at"]
	if err := s.normalize(id, next, old, o); err != nil {
		return false, err
	}
	s.commitAddresses(id, next)
	s.subscription(id, next, o)
	if reflect.DeepEqual(canonicalJSON(old), canonicalJSON(next)) {
		return false, nil
	}
	if !reflect.DeepEqual(entityRow(old), entityRow(next)) {
		next["updated_at"] = now
	}
	s.customers[id] = next
	return true, nil
}

// entityRow is what customer_entity holds of a customer: everything but
// its addresses (and updated_at itself).
func entityRow(c map[string]any) any {
	row := canonicalJSON(c).(map[string]any)
	delete(row, "addresses")
	return row
}

// fullSave applies PUT /V1/customers/{id} semantics to the submitted
// customer: the submitted object is the whole record. Omitted addresses are
// kept ("addresses": [] removes them); an omitted extension_attributes keeps
// the newsletter state; everything else omitted is gone or back to its
// default, which is why clients must send what they read.
func (s *store) fullSave(id int64, in map[string]any, o Options, now string) (bool, *inputError) {
	old := s.customers[id]
	next := in
	if _, ok := next["addresses"]; !ok {
		next["addresses"] = deepCopy(old["addresses"])
	}
	ext, _ := next["extension_attributes"].(map[string]any)
	if ext == nil {
		ext = map[string]any{}
	}
	if _, ok := ext["is_subscribed"]; !ok {
		oldExt, _ := old["extension_attributes"].(map[string]any)
		ext["is_subscribed"] = oldExt["is_subscribed"]
	}
	next["extension_attributes"] = ext
	if _, ok := next["website_id"]; !ok {
		next["website_id"] = old["website_id"]
	}
	if _, ok := next["group_id"]; !ok {
		next["group_id"] = int64(1)
	}
	if _, ok := next["store_id"]; !ok {
		next["store_id"] = old["store_id"]
	}
	next["disable_auto_group_change"] = old["disable_auto_group_change"]
	return s.save(id, next, o, now)
}

func (s *store) delete(id int64) bool {
	if s.customers[id] == nil {
		return false
	}
	delete(s.customers, id)
	return true
}

// normalize validates c and brings its types to Magento's (ids as numbers,
// default_billing as a string id, addresses with ids and flags).
func (s *store) normalize(id int64, c map[string]any, old map[string]any, o Options) *inputError {
	wantBilling, wantShipping := str(c["default_billing"]), str(c["default_shipping"])
	delete(c, "default_billing")
	delete(c, "default_shipping")
	for _, k := range []string{"website_id", "group_id", "store_id", "gender"} {
		if v, ok := c[k]; ok && v != nil {
			n, ok := toInt(v)
			if !ok {
				return &inputError{Message: `The "%value" value's type is invalid. The "int" type was expected. Verify and try again.`, Parameters: map[string]any{"value": fmt.Sprint(v)}}
			}
			c[k] = n
		}
	}
	if g, ok := c["gender"].(int64); ok && (g < 0 || g > 3) {
		return &inputError{Message: `Invalid value of "%value" provided for the %fieldName field.`, Parameters: map[string]any{"fieldName": "gender", "value": g}}
	}
	for _, f := range []string{"email", "firstname", "lastname"} {
		if strings.TrimSpace(str(c[f])) == "" {
			return required(f)
		}
	}
	email := strings.TrimSpace(str(c["email"]))
	if at := strings.LastIndexByte(email, '@'); at <= 0 || !strings.Contains(email[at:], ".") || strings.ContainsAny(email, " \t") {
		return &inputError{Message: `"%value" is not a valid email address.`, Parameters: map[string]any{"value": email}}
	}
	for oid, other := range s.customers {
		if oid != id && strings.EqualFold(str(other["email"]), email) && fmt.Sprint(other["website_id"]) == fmt.Sprint(c["website_id"]) {
			return &inputError{Message: errDuplicateEmail}
		}
	}
	if dob, ok := c["dob"]; ok && dob != nil && str(dob) != "" {
		d := str(dob)
		if len(d) >= 10 {
			d = d[:10]
		}
		c["dob"] = d
	}
	if ca, ok := c["custom_attributes"]; ok && ca != nil {
		list, ok := ca.([]any)
		if !ok {
			return &inputError{Message: "custom_attributes must be a list of {attribute_code, value}"}
		}
		c["custom_attributes"] = s.keepDefined(list) // unknown codes are dropped silently (attributes.go)
	}
	addrs, _ := c["addresses"].([]any)
	if c["addresses"] != nil && addrs == nil {
		return &inputError{Message: "addresses must be a list"}
	}
	known := map[int64]bool{}
	if old != nil {
		for _, a := range listOf(old["addresses"]) {
			if aid, ok := toInt(a["id"]); ok {
				known[aid] = true
			}
		}
	}
	out := make([]any, 0, len(addrs))
	for _, x := range addrs {
		a, ok := x.(map[string]any)
		if !ok {
			return &inputError{Message: "an address must be an object"}
		}
		if v, ok := a["id"]; ok && v != nil {
			aid, ok := toInt(v)
			if !ok || !known[aid] {
				return &inputError{Message: `No such entity with %fieldName = %fieldValue`, Parameters: map[string]any{"fieldName": "addressId", "fieldValue": fmt.Sprint(v)}}
			}
			a["id"] = aid
		} else {
			delete(a, "id")
		}
		fields := []string{"firstname", "lastname", "street", "city", "country_id"}
		if o.RequireTelephone {
			fields = append(fields, "telephone")
		}
		for _, f := range fields {
			if f == "street" {
				st, _ := a["street"].([]any)
				if len(st) == 0 || strings.TrimSpace(str(st[0])) == "" {
					return required("street")
				}
				continue
			}
			if strings.TrimSpace(str(a[f])) == "" {
				return required(f)
			}
		}
		if err := normalizeRegion(a); err != nil { // directory.go
			return err
		}
		a["customer_id"] = id
		a["default_billing"] = a["default_billing"] == true
		a["default_shipping"] = a["default_shipping"] == true
		out = append(out, a)
	}
	// Without address flags, the customer's default ids still choose.
	flagged := map[string]bool{}
	for _, x := range out {
		a := x.(map[string]any)
		for _, k := range []string{"default_billing", "default_shipping"} {
			if a[k] == true {
				flagged[k] = true
			}
		}
	}
	for k, want := range map[string]string{"default_billing": wantBilling, "default_shipping": wantShipping} {
		if flagged[k] || want == "" {
			continue
		}
		for _, x := range out {
			a := x.(map[string]any)
			if a["id"] != nil && str(a["id"]) == want {
				a[k] = true
			}
		}
	}
	c["addresses"] = out
	return nil
}

// commitAddresses gives new addresses ids and sets the customer's
// default_billing/default_shipping ids from the address flags.
func (s *store) commitAddresses(id int64, c map[string]any) {
	for _, a := range listOf(c["addresses"]) {
		if _, ok := a["id"]; !ok {
			a["id"] = s.nextAddr
			s.nextAddr++
		}
		a["customer_id"] = id
		aid := strconv.FormatInt(a["id"].(int64), 10)
		if a["default_billing"] == true {
			c["default_billing"] = aid
		}
		if a["default_shipping"] == true {
			c["default_shipping"] = aid
		}
	}
}

// render returns a deep copy in GET /V1/customers/{id} form: address flags
// only on the default addresses, as Magento omits them elsewhere.
func (s *store) render(id int64) map[string]any {
	c := deepCopy(s.customers[id]).(map[string]any)
	for _, a := range listOf(c["addresses"]) {
		for _, k := range []string{"default_billing", "default_shipping"} {
			if a[k] != true {
				delete(a, k)
			}
		}
	}
	return c
}

// canonicalJSON compares records by their JSON form, so 1 and int64(1)
// and json.Number("1") are the same.
func canonicalJSON(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	if m, ok := out.(map[string]any); ok {
		delete(m, "updated_at")
	}
	return out
}

func listOf(v any) []map[string]any {
	items, _ := v.([]any)
	out := make([]map[string]any, 0, len(items))
	for _, x := range items {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func toInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case float64:
		return int64(x), x == float64(int64(x))
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case []string:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = e
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case int:
		return int64(x)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}
