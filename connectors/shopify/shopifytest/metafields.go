package shopifytest

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Customer metafields through the REST metafield resource nested under the
// customer (shopify.dev, REST Admin API › Metafield):
//
//	GET    customers/{id}/metafields.json          ?namespace=&key=&limit=  → {"metafields":[…]}
//	GET    customers/{id}/metafields/count.json                              → {"count":n}
//	GET    customers/{id}/metafields/{mid}.json                              → {"metafield":{…}}
//	POST   customers/{id}/metafields.json          {"metafield":{namespace,key,value,type}} → 201
//	PUT    customers/{id}/metafields/{mid}.json    {"metafield":{id,value,type}}            → 200
//	DELETE customers/{id}/metafields/{mid}.json                                              → 200 {}
//
// A metafield is rendered with id, namespace, key, value, type,
// description, owner_id, owner_resource "customer", created_at,
// updated_at and admin_graphql_api_id. Invalid input is refused with 422
// and {"errors": {field: [messages]}}; a second metafield with the same
// namespace and key is refused ("must be unique within this namespace on
// this resource"), so an update must name the metafield's id. Metafield
// writes leave the customer's updated_at alone and send no
// customers/update. Every call counts against the leaky bucket like any
// other REST call (serveHTTP admits it).

type metafieldRow struct {
	id        int64
	namespace string
	key       string
	value     string
	typ       string
	createdAt int64
	updatedAt int64
}

// Namespace 3–255 and key 2–64 characters of letters, digits, "-" and "_"
// (MetafieldInput's documented limits).
var (
	metafieldNamespaceRe = regexp.MustCompile(`^[A-Za-z0-9_-]{3,255}$`)
	metafieldKeyRe       = regexp.MustCompile(`^[A-Za-z0-9_-]{2,64}$`)
)

// metafieldTypes are the types the emulator accepts (a subset of
// Shopify's; list types and references are not emulated).
var metafieldTypes = map[string]bool{
	"single_line_text_field": true, "multi_line_text_field": true, "number_integer": true, "number_decimal": true,
	"date": true, "date_time": true, "boolean": true, "json": true, "url": true, "color": true,
}

func (s *store) renderMetafield(owner int64, m *metafieldRow) map[string]any {
	return map[string]any{
		"id": m.id, "namespace": m.namespace, "key": m.key, "value": m.value, "type": m.typ, "description": nil,
		"owner_id": owner, "owner_resource": "customer",
		"created_at": s.ts(m.createdAt), "updated_at": s.ts(m.updatedAt),
		"admin_graphql_api_id": "gid://shopify/Metafield/" + strconv.FormatInt(m.id, 10),
	}
}

// checkMetafieldValue validates a value against its type as Shopify does
// for the simple types.
func checkMetafieldValue(typ, value string, errs fieldErrors) {
	if value == "" {
		errs.add("value", "can't be blank")
		return
	}
	switch typ {
	case "number_integer":
		if _, err := strconv.ParseInt(value, 10, 64); err != nil {
			errs.add("value", "must be an integer.")
		}
	case "number_decimal":
		if _, err := strconv.ParseFloat(value, 64); err != nil {
			errs.add("value", "must be a decimal.")
		}
	case "boolean":
		if value != "true" && value != "false" {
			errs.add("value", "must be true or false.")
		}
	case "single_line_text_field":
		if strings.ContainsAny(value, "\r\n") {
			errs.add("value", "must be a single line text string.")
		}
	}
}

func (e *Emulator) metafieldsHTTP(w http.ResponseWriter, r *http.Request, customerID string, rest []string) {
	owner, err := strconv.ParseInt(customerID, 10, 64)
	if err != nil {
		notFound(w)
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.customers[owner] == nil {
		notFound(w)
		return
	}
	list := e.st.metafields[owner]
	switch {
	case len(rest) == 0 && r.Method == http.MethodGet: // metafields.json
		q := r.URL.Query()
		limit, ok := parseLimit(w, q.Get("limit"))
		if !ok {
			return
		}
		out := []any{}
		for _, m := range list {
			if (q.Get("namespace") != "" && m.namespace != q.Get("namespace")) || (q.Get("key") != "" && m.key != q.Get("key")) {
				continue
			}
			if len(out) == limit {
				break
			}
			out = append(out, e.st.renderMetafield(owner, m))
		}
		writeJSON(w, http.StatusOK, map[string]any{"metafields": out})
	case len(rest) == 0 && r.Method == http.MethodPost:
		fields, ok := decodeWrapped(r, "metafield")
		if !ok {
			missingParam(w, "metafield")
			return
		}
		m := &metafieldRow{namespace: str(fields["namespace"]), key: str(fields["key"]), value: str(fields["value"]), typ: str(fields["type"])}
		errs := fieldErrors{}
		switch {
		case m.namespace == "":
			errs.add("namespace", "can't be blank")
		case !metafieldNamespaceRe.MatchString(m.namespace):
			errs.add("namespace", "must be 3-255 characters long and can contain alphanumeric, hyphen, and underscore characters")
		}
		switch {
		case m.key == "":
			errs.add("key", "can't be blank")
		case !metafieldKeyRe.MatchString(m.key):
			errs.add("key", "must be 2-64 characters long and can contain alphanumeric, hyphen, and underscore characters")
		}
		switch {
		case m.typ == "":
			errs.add("type", "can't be blank")
		case !metafieldTypes[m.typ]:
			errs.add("type", "is invalid")
		default:
			checkMetafieldValue(m.typ, m.value, errs)
		}
		for _, o := range list {
			if o.namespace == m.namespace && o.key == m.key {
				errs.add("key", "must be unique within this namespace on this resource")
			}
		}
		if len(errs) > 0 {
			writeErr(w, http.StatusUnprocessableEntity, errs)
			return
		}
		now := e.st.stamp(e.opts.Now())
		m.id, m.createdAt, m.updatedAt = e.st.nextMetafield, now, now
		e.st.nextMetafield++
		e.st.metafields[owner] = append(list, m)
		writeJSON(w, http.StatusCreated, map[string]any{"metafield": e.st.renderMetafield(owner, m)})
	case len(rest) == 1 && rest[0] == "count.json" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"count": len(list)})
	case len(rest) == 1 && strings.HasSuffix(rest[0], ".json"):
		mid, _ := strconv.ParseInt(strings.TrimSuffix(rest[0], ".json"), 10, 64)
		i := sort.Search(len(list), func(i int) bool { return list[i].id >= mid })
		if i == len(list) || list[i].id != mid {
			notFound(w)
			return
		}
		m := list[i]
		switch r.Method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]any{"metafield": e.st.renderMetafield(owner, m)})
		case http.MethodPut:
			fields, ok := decodeWrapped(r, "metafield")
			if !ok {
				missingParam(w, "metafield")
				return
			}
			value, typ := m.value, m.typ
			if v, has := fields["value"]; has {
				value = str(v)
			}
			if t, has := fields["type"]; has {
				typ = str(t)
			}
			errs := fieldErrors{}
			if !metafieldTypes[typ] {
				errs.add("type", "is invalid")
			} else {
				checkMetafieldValue(typ, value, errs)
			}
			if len(errs) > 0 {
				writeErr(w, http.StatusUnprocessableEntity, errs)
				return
			}
			if value != m.value || typ != m.typ {
				nm := *m
				nm.value, nm.typ, nm.updatedAt = value, typ, e.st.stamp(e.opts.Now())
				list[i] = &nm
				m = &nm
			}
			writeJSON(w, http.StatusOK, map[string]any{"metafield": e.st.renderMetafield(owner, m)})
		case http.MethodDelete:
			e.st.metafields[owner] = append(list[:i:i], list[i+1:]...)
			writeJSON(w, http.StatusOK, map[string]any{})
		default:
			notFound(w)
		}
	default:
		notFound(w)
	}
}

// Metafields returns a customer's metafields in namespace as key → value
// (nil when the customer does not exist).
func (e *Emulator) Metafields(customerID, namespace string) map[string]string {
	n, err := strconv.ParseInt(customerID, 10, 64)
	if err != nil {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.st.customers[n] == nil {
		return nil
	}
	out := map[string]string{}
	for _, m := range e.st.metafields[n] {
		if m.namespace == namespace {
			out[m.key] = m.value
		}
	}
	return out
}

// SetMetafield sets a metafield as a merchant or another app would (no
// validation beyond the type being given), creating it when missing.
func (e *Emulator) SetMetafield(customerID, namespace, key, typ, value string) bool {
	n, err := strconv.ParseInt(customerID, 10, 64)
	if err != nil {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.customers[n] == nil {
		return false
	}
	now := e.st.stamp(e.opts.Now())
	for i, m := range e.st.metafields[n] {
		if m.namespace == namespace && m.key == key {
			nm := *m
			nm.value, nm.typ, nm.updatedAt = value, typ, now
			e.st.metafields[n][i] = &nm
			return true
		}
	}
	e.st.metafields[n] = append(e.st.metafields[n], &metafieldRow{id: e.st.nextMetafield, namespace: namespace, key: key,
		value: value, typ: typ, createdAt: now, updatedAt: now})
	e.st.nextMetafield++
	return true
}
