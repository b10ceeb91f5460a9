package magentotest

import (
	"net/http"
	"slices"
)

// Customer EAV attributes. A Magento store knows the custom attributes an
// operator or a module defined (Stores › Attributes › Customer in Adobe
// Commerce, a data patch in Open Source; core REST has no endpoint that
// creates one). What a REST save names beyond them is dropped without an
// error: the webapi builds the customer data object, whose
// setCustomAttribute (AbstractExtensibleObject) keeps only codes in
// getCustomAttributesCodes(). GET /V1/attributeMetadata/customer/attribute/{code}
// answers the metadata of a known attribute and 404 otherwise.

// DefaultCustomerAttributes are the user-defined customer attributes of
// the emulated store when Options.CustomerAttributes is nil: a loyalty
// number, as stores add.
var DefaultCustomerAttributes = []string{"loyalty_number"}

// systemAttributes are customer attributes of every Magento install that
// attributeMetadata answers for (they are fields, not custom attributes).
var systemAttributes = []string{"email", "firstname", "lastname", "middlename", "prefix", "suffix", "dob", "taxvat",
	"gender", "group_id", "website_id", "store_id", "created_in", "created_at", "updated_at", "default_billing", "default_shipping",
	"disable_auto_group_change", "confirmation"}

// DefineCustomerAttribute adds a user-defined customer attribute (a
// single-line text), as an operator does in the admin.
func (e *Emulator) DefineCustomerAttribute(code string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.attributes[code] = true
}

// keepDefined drops custom attributes the store does not define.
func (s *store) keepDefined(list []any) []any {
	return slices.DeleteFunc(list, func(x any) bool {
		m, _ := x.(map[string]any)
		code, _ := m["attribute_code"].(string)
		return !s.attributes[code]
	})
}

func (e *Emulator) attributeMetadataHTTP(w http.ResponseWriter, r *http.Request, code string) {
	if r.Method != http.MethodGet {
		noRoute(w)
		return
	}
	e.mu.Lock()
	defined := e.st.attributes[code]
	e.mu.Unlock()
	system := slices.Contains(systemAttributes, code)
	if !defined && !system {
		writeErr(w, http.StatusNotFound, &inputError{Message: "No such entity with %fieldName = %fieldValue, %field2Name = %field2Value",
			Parameters: map[string]any{"fieldName": "entityType", "fieldValue": "customer", "field2Name": "attributeCode", "field2Value": code}})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"frontend_input": "text", "input_filter": "", "store_label": code, "validation_rules": []any{}, "multiline_count": 0,
		"visible": true, "required": false, "data_model": "", "options": []any{}, "frontend_class": "", "user_defined": defined,
		"sort_order": 1000, "frontend_label": code, "note": "", "system": system, "backend_type": "varchar",
		"is_used_in_grid": false, "is_visible_in_grid": false, "is_filterable_in_grid": false, "is_searchable_in_grid": false,
		"attribute_code": code,
	})
}
