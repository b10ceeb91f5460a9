package magento

import (
	"fmt"
	"strings"

	"github.com/shophub/shophub/connectors"
)

// Payload keys the mapping renders that are not Magento fields: the writer
// maps them onto the customer's default billing and shipping addresses.
const (
	keyBilling  = "default_billing_address"
	keyShipping = "default_shipping_address"
)

// readOnly keys are never sent back: Magento stamps them itself.
var readOnly = []string{"updated_at"}

// addressRequired are the address fields Magento refuses to save empty: an
// empty value in a patch keeps what the address has instead of clearing it.
var addressRequired = map[string]bool{"firstname": true, "lastname": true, "street": true, "city": true, "country_id": true, "telephone": true}

// mergeCustomer applies a rendered payload to the customer as Magento holds
// it and returns the complete record to PUT: Magento's PUT saves the whole
// object, so everything shophub does not map (group, custom attributes it
// does not name, addresses it does not know, taxvat, …) is carried over from
// current. Top-level values in payload replace current ones; objects
// (extension_attributes) merge key by key; custom_attributes merge by
// attribute_code; the default address patches change the addresses marked
// default_billing / default_shipping in place, or add one.
func mergeCustomer(current, payload map[string]any, placeholderPhone string) map[string]any {
	out := connectors.CloneJSON(current).(map[string]any)
	for _, k := range readOnly {
		delete(out, k)
	}
	for k, v := range payload {
		switch k {
		case keyBilling, keyShipping:
			continue
		case "custom_attributes":
			out[k] = mergeCustomAttributes(out[k], v)
		case "id":
			continue // the id is the URL's
		default:
			out[k] = connectors.MergeJSON(out[k], v)
		}
	}
	billing, _ := payload[keyBilling].(map[string]any)
	shipping, _ := payload[keyShipping].(map[string]any)
	applyDefaultAddresses(out, billing, shipping, placeholderPhone)
	return out
}

// newCustomer builds the POST /V1/customers body from a payload.
func newCustomer(payload map[string]any, s Settings) map[string]any {
	out := map[string]any{}
	for k, v := range payload {
		switch k {
		case keyBilling, keyShipping, "id":
		case "custom_attributes":
			out[k] = mergeCustomAttributes(nil, v)
		default:
			out[k] = connectors.CloneJSON(v)
		}
	}
	if _, ok := out["website_id"]; !ok {
		out["website_id"] = s.WebsiteID
	}
	if _, ok := out["group_id"]; !ok {
		out["group_id"] = s.GroupID
	}
	if _, ok := out["store_id"]; !ok && s.StoreID > 0 {
		out["store_id"] = s.StoreID
	}
	billing, _ := payload[keyBilling].(map[string]any)
	shipping, _ := payload[keyShipping].(map[string]any)
	applyDefaultAddresses(out, billing, shipping, s.PlaceholderTelephone)
	return out
}

// mergeCustomAttributes merges v — a list of {attribute_code, value} or a
// map code → value — into the current list, keeping attributes v does not
// name.
func mergeCustomAttributes(cur, v any) any {
	list, _ := connectors.CloneJSON(cur).([]any)
	set := func(code string, val any) {
		for _, x := range list {
			if m, ok := x.(map[string]any); ok && m["attribute_code"] == code {
				m["value"] = val
				return
			}
		}
		list = append(list, map[string]any{"attribute_code": code, "value": val})
	}
	switch x := v.(type) {
	case map[string]any:
		for code, val := range x {
			set(code, connectors.CloneJSON(val))
		}
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if code, ok := m["attribute_code"].(string); ok {
					set(code, connectors.CloneJSON(m["value"]))
				}
			}
		}
	}
	if list == nil {
		list = []any{}
	}
	return list
}

// applyDefaultAddresses brings the customer's default billing and shipping
// addresses to the patches (nil: leave that address alone).
func applyDefaultAddresses(c map[string]any, billing, shipping map[string]any, placeholderPhone string) {
	if isBlank(billing) {
		billing = nil
	}
	if isBlank(shipping) {
		shipping = nil
	}
	if billing == nil && shipping == nil {
		return
	}
	addrs, _ := c["addresses"].([]any)
	bi := defaultIndex(c, addrs, "default_billing")
	si := defaultIndex(c, addrs, "default_shipping")
	flagsChanged := false

	if billing != nil {
		if bi >= 0 {
			patchAddress(addrs[bi].(map[string]any), billing)
		} else if a := newAddress(c, billing, placeholderPhone); a != nil {
			a["default_billing"] = true
			addrs = append(addrs, a)
			bi = len(addrs) - 1
			flagsChanged = true
		}
	}
	if shipping != nil {
		switch {
		case si >= 0 && si != bi:
			patchAddress(addrs[si].(map[string]any), shipping)
		case si >= 0: // one address serves both: split it if they differ
			shared := addrs[si].(map[string]any)
			cand := connectors.CloneJSON(shared).(map[string]any)
			patchAddress(cand, shipping)
			if !connectors.SameJSON(cand, shared) {
				// The patch may name only what changed: the new address
				// is the shared one with the change.
				delete(cand, "id")
				delete(cand, "default_billing")
				shared["default_shipping"] = false
				cand["default_shipping"] = true
				addrs = append(addrs, cand)
				flagsChanged = true
			}
		case bi >= 0 && billing != nil && connectors.SameJSON(billing, shipping):
			addrs[bi].(map[string]any)["default_shipping"] = true
			flagsChanged = true
		default:
			if a := newAddress(c, shipping, placeholderPhone); a != nil {
				a["default_shipping"] = true
				addrs = append(addrs, a)
				flagsChanged = true
			}
		}
	}
	if bi >= 0 && si >= 0 && bi != si && sameAddress(addrs[bi].(map[string]any), addrs[si].(map[string]any)) {
		// Billing and shipping are one address again (a split for a
		// shipping address that differed, then a patch making it equal
		// again): the billing address serves both and the shipping one,
		// now its exact copy, is left out of the PUT, which deletes it
		// (Magento's CustomerRepository::save deletes the addresses the
		// saved customer no longer lists). Nothing of it is lost: every
		// stored key but its id equals the billing address's.
		addrs[bi].(map[string]any)["default_shipping"] = true
		addrs = append(addrs[:si:si], addrs[si+1:]...)
		flagsChanged = true
	}
	if flagsChanged {
		// The address flags decide; a stale customer-level id would not.
		delete(c, "default_billing")
		delete(c, "default_shipping")
	}
	if addrs != nil {
		c["addresses"] = addrs
	}
}

// sameAddress: a and b hold the same address, whatever their ids and
// default flags.
func sameAddress(a, b map[string]any) bool {
	strip := func(m map[string]any) map[string]any {
		out := connectors.CloneJSON(m).(map[string]any)
		for _, k := range []string{"id", "default_billing", "default_shipping"} {
			delete(out, k)
		}
		return out
	}
	return connectors.SameJSON(strip(a), strip(b))
}

// defaultIndex finds the address marked as the customer's default of kind:
// by the address flag, else by the customer's default_billing/_shipping id.
func defaultIndex(c map[string]any, addrs []any, kind string) int {
	for i, x := range addrs {
		if a, ok := x.(map[string]any); ok && a[kind] == true {
			return i
		}
	}
	want := connectors.IDString(c[kind])
	if want == "" {
		return -1
	}
	for i, x := range addrs {
		if a, ok := x.(map[string]any); ok && connectors.IDString(a["id"]) == want {
			return i
		}
	}
	return -1
}

// patchAddress changes the keys of patch in a, keeping its id, flags,
// vat_id, custom attributes and any other key the patch does not name.
func patchAddress(a, patch map[string]any) {
	for k, v := range patch {
		if addressRequired[k] && isBlank(v) {
			continue // Magento cannot save it empty: keep the current value
		}
		if k == "region" {
			setRegion(a, v)
			continue
		}
		a[k] = connectors.CloneJSON(v)
	}
}

// setRegion sets the region the writer resolved from the directory
// (directory.go): region_id with Magento's code and name, or free text
// with region_id 0. An unchanged region leaves the address as it is.
func setRegion(a map[string]any, v any) {
	want, _ := v.(map[string]any)
	code := fmt.Sprint(orEmpty(want["region_code"]))
	id := connectors.IDString(want["region_id"])
	if id == "" {
		id = "0"
	}
	cur, _ := a["region"].(map[string]any)
	curID := connectors.IDString(cur["region_id"])
	if curID == "" {
		curID = "0"
	}
	if cur != nil && fmt.Sprint(orEmpty(cur["region_code"])) == code && curID == id {
		return
	}
	if code == "" {
		a["region"] = map[string]any{"region_code": nil, "region": nil, "region_id": 0}
		a["region_id"] = 0
		return
	}
	name := want["region"]
	if isBlank(name) {
		name = code
	}
	a["region"] = map[string]any{"region_code": code, "region": name, "region_id": want["region_id"]}
	if want["region_id"] == nil {
		a["region"].(map[string]any)["region_id"] = 0
	}
	a["region_id"] = a["region"].(map[string]any)["region_id"]
}

// newAddress builds an address from a patch, or nil when the patch does
// not make an address Magento would save (no street, city or country).
func newAddress(c, patch map[string]any, placeholderPhone string) map[string]any {
	a := map[string]any{"firstname": c["firstname"], "lastname": c["lastname"]}
	patchAddress(a, patch)
	street, _ := a["street"].([]any)
	if len(street) == 0 || isBlank(street[0]) || isBlank(a["city"]) || isBlank(a["country_id"]) {
		return nil
	}
	if isBlank(a["telephone"]) && placeholderPhone != "" {
		a["telephone"] = placeholderPhone
	}
	return a
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		for _, e := range x {
			if !isBlank(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isBlank(e) {
				return false
			}
		}
		return true
	}
	return false
}

func orEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}
