package shopware

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// The payload a mapping renders for this Writer is a Shopware customer in
// the Admin API's shape, with three connector-level conventions:
//
//   - tags: a list of tag names. The Writer resolves names to tag ids
//     (POST /api/search/tag), creates missing tags (POST /api/tag), adds
//     new ones with the customer write and removes dropped ones
//     (DELETE /api/customer/{id}/tags/{tagId}). Absent: tags untouched.
//   - defaultBillingAddress / defaultShippingAddress: address fields with
//     countryIso (ISO-2) instead of countryId and countryStateCode (ISO
//     3166-2) instead of countryStateId; the Writer resolves them
//     (POST /api/search/country, cached). An existing default address is
//     updated in place, never duplicated.
//   - Required fields (email, firstName, lastName; street, city, names and
//     country of addresses) cannot be cleared in Shopware: "" for them is
//     dropped, not sent.
//
// Updates send only what differs from the customer as Shopware holds it;
// a push that changes nothing writes nothing, so no customer.written
// webhook echoes back.

var requiredCustomer = map[string]bool{"email": true, "firstName": true, "lastName": true}
var requiredAddress = map[string]bool{"firstName": true, "lastName": true, "street": true, "city": true, "countryIso": true, "countryId": true}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// customerNumber derives a number from the id: unique without a round trip
// to Shopware's number range, and recognisable as made by shophub.
func customerNumber(id string) string { return "SH-" + strings.ToUpper(id[:12]) }

// Upsert creates (externalID empty) or updates a customer and returns it as
// Shopware then holds it.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if externalID == "" {
		return c.CreateAs(ctx, resource, newID(), payload)
	}
	return c.Update(ctx, resource, &connectors.Record{ExternalID: externalID}, payload)
}

// NewExternalID names a customer before it is created: Shopware takes the
// id the client makes (connectors.Namer).
func (c *Connector) NewExternalID(string) string { return newID() }

// CreateAs creates a customer under an id NewExternalID gave.
func (c *Connector) CreateAs(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	rest, billing, shipping, names, hasTags, err := splitPayload(resource, payload)
	if err != nil {
		return nil, err
	}
	return c.create(ctx, externalID, rest, billing, shipping, names, hasTags)
}

// Update is Upsert of an existing customer whose current state the
// pipeline has just read: the patch is computed against it instead of a
// fresh read. A current without data is read first.
func (c *Connector) Update(ctx context.Context, resource string, current *connectors.Record, payload map[string]any) (*connectors.Record, error) {
	rest, billing, shipping, names, hasTags, err := splitPayload(resource, payload)
	if err != nil {
		return nil, err
	}
	cur := current
	if cur.Data == nil {
		cur = nil
	}
	return c.update(ctx, current.ExternalID, cur, rest, billing, shipping, names, hasTags)
}

// splitPayload takes a payload apart: the customer's own fields ("" made
// null, or left out where Shopware requires a value), the two default
// addresses and the tag names (hasTags false: tags untouched), for a
// resource Shopware's connector writes.
func splitPayload(resource string, payload map[string]any) (rest, billing, shipping map[string]any, names []string, hasTags bool, err error) {
	if err := checkResource(resource); err != nil {
		return nil, nil, nil, nil, false, err
	}
	rest = maps.Clone(payload)
	billing, _ = rest["defaultBillingAddress"].(map[string]any)
	shipping, _ = rest["defaultShippingAddress"].(map[string]any)
	var tags any
	tags, hasTags = rest["tags"]
	delete(rest, "defaultBillingAddress")
	delete(rest, "defaultShippingAddress")
	delete(rest, "tags")
	for k, v := range rest {
		if v == "" {
			if requiredCustomer[k] {
				delete(rest, k)
			} else {
				rest[k] = nil
			}
		}
	}
	if hasTags {
		if names, err = tagNames(tags); err != nil {
			return nil, nil, nil, nil, false, connectors.Permanent(err)
		}
	}
	return rest, billing, shipping, names, hasTags, nil
}

func tagNames(v any) ([]string, error) {
	var out []string
	switch x := v.(type) {
	case nil:
	case []string:
		out = x
	case []any:
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("shopware: tags: want names, got %T", e)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("shopware: tags: want a list of names, got %T", v)
	}
	clean := out[:0:0]
	for _, s := range out {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(clean, s) {
			clean = append(clean, s)
		}
	}
	return clean, nil
}

func (c *Connector) create(ctx context.Context, id string, body, billing, shipping map[string]any, tags []string, hasTags bool) (*connectors.Record, error) {
	if len(billing) == 0 {
		// Up to 6.6 a customer needs a default billing address: it follows
		// once the hub knows one.
		return nil, connectors.NotRepresentable("shopware: a new customer needs a default billing address (street, city, country)")
	}
	refs, err := c.createDefaults(ctx)
	if err != nil {
		return nil, err
	}
	body["id"] = id
	cf := customFieldsChange(body["customFields"], nil)
	maps.DeleteFunc(cf, func(_ string, v any) bool { return v == nil }) // a new customer has none to clear
	if len(cf) > 0 {
		body["customFields"] = cf
	} else {
		delete(body, "customFields")
	}
	setDefault := func(k string, v any) {
		if cur, ok := body[k]; (!ok || cur == nil || cur == "") && v != "" {
			body[k] = v
		}
	}
	setDefault("customerNumber", customerNumber(id))
	setDefault("salesChannelId", refs.salesChannel)
	setDefault("groupId", refs.group)
	setDefault("languageId", refs.language)
	setDefault("defaultPaymentMethodId", refs.paymentMethod)
	setDefault("salutationId", refs.salutation)

	newAddress := func(a map[string]any) (map[string]any, error) {
		out, err := c.addressBody(ctx, a, true)
		if err != nil {
			return nil, err
		}
		out["id"] = newID()
		for _, k := range []string{"firstName", "lastName"} {
			if s, _ := out[k].(string); s == "" && body[k] != nil {
				out[k] = customerNameForAddress(k, body[k])
			}
		}
		if _, ok := out["salutationId"]; !ok && refs.salutation != "" {
			out["salutationId"] = refs.salutation
		}
		return out, nil
	}
	bill, err := newAddress(billing)
	if err != nil {
		return nil, err
	}
	body["defaultBillingAddress"] = bill
	if len(shipping) > 0 && !sameAddress(shipping, billing) {
		ship, err := newAddress(shipping)
		if err != nil {
			return nil, err
		}
		body["defaultShippingAddress"] = ship
	} else {
		body["defaultShippingAddressId"] = bill["id"]
	}
	if hasTags && len(tags) > 0 {
		refsList, err := c.tagRefs(ctx, tags)
		if err != nil {
			return nil, err
		}
		body["tags"] = refsList
	}
	// The id is ours, so repeating the create cannot duplicate the customer.
	if _, err := c.do(connectors.Idempotent(ctx), http.MethodPost, "/api/customer", body, nil); err != nil {
		// The id is ours, so a create whose answer was lost (or retried into
		// "already exists") is recognisable: if it landed, it succeeded.
		if rec, ferr := c.Fetch(ctx, connectors.ResourceCustomer, id); ferr == nil {
			return rec, nil
		}
		return nil, fmt.Errorf("shopware: create customer: %w", err)
	}
	return c.Fetch(ctx, connectors.ResourceCustomer, id)
}

func (c *Connector) update(ctx context.Context, id string, cur *connectors.Record, rest, billing, shipping map[string]any, tags []string, hasTags bool) (*connectors.Record, error) {
	if cur == nil {
		var err error
		if cur, err = c.Fetch(ctx, connectors.ResourceCustomer, id); err != nil {
			return nil, err
		}
	}
	patch := map[string]any{}
	for k, v := range rest {
		if k == "customFields" {
			if cf := customFieldsChange(v, cur.Data[k]); cf != nil {
				patch[k] = cf
			}
			continue
		}
		if !sameValue(k, v, cur.Data[k]) {
			patch[k] = v
		}
	}
	curBill, _ := cur.Data["defaultBillingAddress"].(map[string]any)
	curShip, _ := cur.Data["defaultShippingAddress"].(map[string]any)
	sharedShipping := curBill != nil && curShip != nil && curBill["id"] == curShip["id"]
	// An address Shopware cannot hold yet (a new one without street, city
	// or country) is left out; the rest is written, and the error says so.
	var waiting error
	if len(billing) > 0 {
		a, err := c.addressChange(ctx, billing, curBill, rest, cur.Data)
		if errors.Is(err, connectors.ErrNotRepresentable) {
			waiting, a, err = err, nil, nil
		}
		if err != nil {
			return nil, err
		}
		if a != nil {
			patch["defaultBillingAddress"] = a
		}
	}
	if len(shipping) > 0 {
		var a map[string]any
		var err error
		switch {
		case !sharedShipping:
			a, err = c.addressChange(ctx, shipping, curShip, rest, cur.Data)
		case len(billing) > 0 && sameAddress(shipping, billing):
			// Still one address for both; the billing change covers it.
		default:
			// Billing and shipping share one address; change only shipping
			// by giving it an address of its own.
			if a, err = c.addressChange(ctx, shipping, curShip, rest, cur.Data); a != nil && err == nil {
				a, err = c.addressChange(ctx, shipping, nil, rest, cur.Data)
				if errors.Is(err, connectors.ErrNotRepresentable) {
					// The change names only what differs (the pipeline
					// sends changed keys only): the new address is the
					// shared one with the change.
					a, err = c.addressChange(ctx, withSharedAddress(curShip, shipping), nil, rest, cur.Data)
				}
			}
		}
		if errors.Is(err, connectors.ErrNotRepresentable) {
			waiting, a, err = err, nil, nil
		}
		if err != nil {
			return nil, err
		}
		if a != nil {
			patch["defaultShippingAddress"] = a
		}
	}
	var remove []string
	if hasTags {
		have := map[string]string{} // name → id
		if list, ok := cur.Data["tags"].([]any); ok {
			for _, t := range list {
				if m, ok := t.(map[string]any); ok {
					have[fmt.Sprint(m["name"])] = fmt.Sprint(m["id"])
				}
			}
		}
		var add []string
		for _, n := range tags {
			if _, ok := have[n]; !ok {
				add = append(add, n)
			}
		}
		for n, tid := range have {
			if !slices.Contains(tags, n) {
				remove = append(remove, tid)
			}
		}
		slices.Sort(remove)
		if len(add) > 0 {
			list, err := c.tagRefs(ctx, add)
			if err != nil {
				return nil, err
			}
			patch["tags"] = list
		}
	}
	if len(patch) == 0 && len(remove) == 0 {
		return cur, waiting
	}
	if len(patch) > 0 {
		if _, err := c.do(ctx, http.MethodPatch, "/api/customer/"+id, patch, nil); err != nil {
			return nil, fmt.Errorf("shopware: update customer %s: %w", id, err)
		}
	}
	for _, tid := range remove {
		if _, err := c.do(ctx, http.MethodDelete, "/api/customer/"+id+"/tags/"+tid, nil, nil); err != nil && !errors.Is(err, connectors.ErrNotFound) {
			return nil, fmt.Errorf("shopware: untag customer %s: %w", id, err)
		}
	}
	rec, err := c.Fetch(ctx, connectors.ResourceCustomer, id)
	if err != nil {
		return nil, err
	}
	return rec, waiting
}

// addressChange returns the nested address write for one default address:
// the changed fields with the existing id (in place), a full new address
// when there is none yet, or nil when nothing changes. Nested under the
// customer PATCH it bumps the customer's updatedAt in the same write, which
// a standalone PATCH /api/customer-address/{id} would not: pollers and the
// merge by timestamp then see address changes.
func (c *Connector) addressChange(ctx context.Context, want, current, customer, curCustomer map[string]any) (map[string]any, error) {
	if current == nil {
		a, err := c.addressBody(ctx, want, true)
		if err != nil {
			return nil, err
		}
		for _, k := range []string{"firstName", "lastName"} {
			if s, _ := a[k].(string); s == "" {
				if v, ok := customer[k]; ok && v != nil {
					a[k] = customerNameForAddress(k, v)
				} else {
					a[k] = customerNameForAddress(k, curCustomer[k])
				}
			}
		}
		a["id"] = newID()
		return a, nil
	}
	a, err := c.addressBody(ctx, want, false)
	if err != nil {
		return nil, err
	}
	changed := map[string]any{}
	for k, v := range a {
		if !sameValue(k, v, current[k]) {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return nil, nil
	}
	changed["id"] = current["id"]
	return changed, nil
}

// sharedKeys are the address fields a split-off address takes over from
// the address it shared.
var sharedKeys = []string{"firstName", "lastName", "company", "department", "title", "street", "zipcode", "city",
	"additionalAddressLine1", "additionalAddressLine2", "phoneNumber", "countryId", "countryStateId", "salutationId"}

// withSharedAddress is the payload address change completed by the address
// as Shopware holds it (countryId standing in for countryIso).
func withSharedAddress(shared, change map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range sharedKeys {
		if v, ok := shared[k]; ok && v != nil {
			out[k] = v
		}
	}
	if _, ok := change["countryIso"]; ok {
		delete(out, "countryId")
	}
	maps.Copy(out, change)
	return out
}

// addressBody converts a payload address: countryIso → countryId, "" →
// null for optional fields, required fields never cleared.
func (c *Connector) addressBody(ctx context.Context, a map[string]any, create bool) (map[string]any, error) {
	out := make(map[string]any, len(a))
	for k, v := range a {
		if k == "id" {
			continue
		}
		if v == "" || v == nil {
			if requiredAddress[k] {
				continue
			}
			v = nil
		}
		if k == "countryIso" {
			iso, _ := v.(string)
			cid, err := c.countryID(ctx, iso)
			if err != nil {
				return nil, err
			}
			out["countryId"] = cid
			continue
		}
		if k == "countryStateCode" { // ISO 3166-2 → countryStateId (refs.go)
			code, _ := v.(string)
			sid, err := c.countryStateID(ctx, code)
			if err != nil {
				return nil, err
			}
			out["countryStateId"] = nil
			if sid != "" {
				out["countryStateId"] = sid
			}
			continue
		}
		out[k] = v
	}
	if create {
		var missing []string
		for _, k := range []string{"street", "city", "countryId"} {
			if s, _ := out[k].(string); s == "" {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return nil, connectors.NotRepresentable("shopware: a new address needs %s", strings.Join(missing, ", "))
		}
	}
	return out, nil
}

// customFieldsChange is the customFields write that brings have (the
// customer's custom fields as Shopware renders them) to want: only the
// keys whose value differs, "" as null. Shopware merges custom fields of
// an existing customer key by key (the DAL's JsonUpdateCommand), so keys
// of other plugins and apps stay; nil when nothing differs.
func customFieldsChange(want, have any) map[string]any {
	w, _ := want.(map[string]any)
	h, _ := have.(map[string]any)
	out := map[string]any{}
	for k, v := range w {
		if v == "" {
			v = nil
		}
		if !sameValue(k, v, h[k]) {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// sameAddress compares two payload addresses field by field.
func sameAddress(a, b map[string]any) bool {
	for _, k := range slices.Concat(slices.Collect(maps.Keys(a)), slices.Collect(maps.Keys(b))) {
		if !sameValue(k, a[k], b[k]) {
			return false
		}
	}
	return true
}

// sameValue compares a payload value with what Shopware rendered: null and
// "" are the same, dates compare by day, everything else as decoded JSON.
func sameValue(key string, want, have any) bool {
	ws, wok := want.(string)
	hs, hok := have.(string)
	if (want == nil || wok) && (have == nil || hok) {
		if key == "birthday" && len(ws) >= 10 && len(hs) >= 10 {
			return ws[:10] == hs[:10]
		}
		return ws == hs
	}
	return reflect.DeepEqual(normalizeJSON(want), normalizeJSON(have))
}

func normalizeJSON(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	}
	return v
}

// Delete deletes a customer; one already gone counts as deleted.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if err := checkResource(resource); err != nil {
		return err
	}
	if !isID(externalID) {
		return nil
	}
	if _, err := c.do(ctx, http.MethodDelete, "/api/customer/"+externalID, nil, nil); err != nil {
		if errors.Is(err, connectors.ErrNotFound) {
			return nil
		}
		return fmt.Errorf("shopware: delete customer %s: %w", externalID, err)
	}
	return nil
}
