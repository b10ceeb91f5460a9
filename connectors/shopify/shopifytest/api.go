package shopifytest

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	errInvalidToken = "[API] Invalid API key or access token (unrecognized login or wrong password)"
	errThrottled    = "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."
	maxLimit        = 250
	defaultLimit    = 50
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, errs any) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

func notFound(w http.ResponseWriter) { writeErr(w, http.StatusNotFound, "Not Found") }

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/admin/api/")
	if !ok {
		notFound(w)
		return
	}
	e.CountRequest()
	if r.Method != http.MethodGet {
		e.CountWrite()
	}
	// Every answer says when it was made, by the clock that stamps the
	// records (net/http would use the machine's).
	w.Header().Set("Date", e.opts.Now().UTC().Format(http.TimeFormat))
	version, rest, _ := strings.Cut(rest, "/")
	if r.Header.Get("X-Shopify-Access-Token") != e.opts.AccessToken {
		writeErr(w, http.StatusUnauthorized, errInvalidToken)
		return
	}
	if !e.admit(w) {
		return
	}
	segs := strings.Split(rest, "/")
	switch {
	case len(segs) == 1 && segs[0] == "customers.json":
		switch r.Method {
		case http.MethodGet:
			e.list(w, r, version)
		case http.MethodPost:
			e.createHTTP(w, r)
		default:
			notFound(w)
		}
	case len(segs) == 1 && segs[0] == "checkouts.json" && r.Method == http.MethodGet:
		e.listCheckouts(w, r, version) // checkouts.go
	case len(segs) == 1 && segs[0] == "orders.json" && r.Method == http.MethodGet:
		e.listOrders(w, r, version) // orders.go
	case len(segs) == 2 && segs[0] == "orders" && segs[1] == "count.json" && r.Method == http.MethodGet:
		e.countOrders(w, r)
	case len(segs) == 2 && segs[0] == "orders" && strings.HasSuffix(segs[1], ".json"):
		e.orderHTTP(w, r, strings.TrimSuffix(segs[1], ".json"))
	case len(segs) == 2 && segs[0] == "customers" && segs[1] == "count.json" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"count": e.Count()})
	case len(segs) == 2 && segs[0] == "customers" && segs[1] == "search.json" && r.Method == http.MethodGet:
		e.search(w, r)
	case len(segs) == 2 && segs[0] == "customers" && strings.HasSuffix(segs[1], ".json"):
		e.customerHTTP(w, r, strings.TrimSuffix(segs[1], ".json"))
	case len(segs) == 3 && segs[0] == "customers" && segs[2] == "metafields.json":
		e.metafieldsHTTP(w, r, segs[1], nil) // metafields.go
	case len(segs) == 4 && segs[0] == "customers" && segs[2] == "metafields":
		e.metafieldsHTTP(w, r, segs[1], segs[3:])
	case len(segs) == 3 && segs[0] == "customers" && segs[2] == "addresses.json":
		e.addressesHTTP(w, r, segs[1])
	case len(segs) == 4 && segs[0] == "customers" && segs[2] == "addresses" && strings.HasSuffix(segs[3], ".json"):
		e.addressHTTP(w, r, segs[1], strings.TrimSuffix(segs[3], ".json"))
	default:
		notFound(w)
	}
}

// admit applies test throttles, injected failures and the leaky bucket, and
// sets X-Shopify-Shop-Api-Call-Limit. It answers the request when refusing it.
func (e *Emulator) admit(w http.ResponseWriter) bool {
	e.bucketMu.Lock()
	defer e.bucketMu.Unlock()
	now := e.opts.Now()
	if e.opts.LeakRate > 0 && !e.bucketAt.IsZero() {
		e.bucket = math.Max(0, e.bucket-now.Sub(e.bucketAt).Seconds()*e.opts.LeakRate)
	}
	e.bucketAt = now
	size := float64(e.opts.BucketSize)
	used := func() string {
		return strconv.Itoa(int(math.Ceil(e.bucket))) + "/" + strconv.Itoa(e.opts.BucketSize)
	}
	switch f := e.Next(); {
	case f.Throttled:
		w.Header().Set("X-Shopify-Shop-Api-Call-Limit", strconv.Itoa(e.opts.BucketSize)+"/"+strconv.Itoa(e.opts.BucketSize))
		w.Header().Set("Retry-After", formatSeconds(f.RetryAfter))
		writeErr(w, http.StatusTooManyRequests, errThrottled)
		return false
	case f.Status != 0:
		w.Header().Set("X-Shopify-Shop-Api-Call-Limit", used())
		writeErr(w, f.Status, http.StatusText(f.Status))
		return false
	}
	if e.opts.LeakRate > 0 && e.bucket+1 > size {
		w.Header().Set("X-Shopify-Shop-Api-Call-Limit", used())
		w.Header().Set("Retry-After", "2.0")
		writeErr(w, http.StatusTooManyRequests, errThrottled)
		return false
	}
	if e.opts.LeakRate > 0 {
		e.bucket++
	} else {
		e.bucket = 1
	}
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", used())
	return true
}

// formatSeconds renders a wait as Shopify does: "2.0", "0.25".
func formatSeconds(d time.Duration) string {
	s := d.Seconds()
	if s == math.Trunc(s) {
		return strconv.FormatFloat(s, 'f', 1, 64)
	}
	return strconv.FormatFloat(s, 'f', -1, 64)
}

// decodeWrapped reads {"<key>": {...}} with numbers kept exact.
func decodeWrapped(r *http.Request, key string) (map[string]any, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, false
	}
	m, ok := body[key].(map[string]any)
	return m, ok
}

func missingParam(w http.ResponseWriter, key string) {
	writeErr(w, http.StatusBadRequest, map[string]any{key: "Required parameter missing or invalid"})
}

func (e *Emulator) createHTTP(w http.ResponseWriter, r *http.Request) {
	fields, ok := decodeWrapped(r, "customer")
	if !ok {
		missingParam(w, "customer")
		return
	}
	c, errs := e.create(fields)
	if errs != nil {
		writeErr(w, http.StatusUnprocessableEntity, errs)
		return
	}
	e.mu.RLock()
	out := e.st.render(c)
	e.mu.RUnlock()
	writeJSON(w, http.StatusCreated, map[string]any{"customer": out})
}

func (e *Emulator) customerHTTP(w http.ResponseWriter, r *http.Request, id string) {
	switch r.Method {
	case http.MethodGet:
		c, ok := e.Customer(id)
		if !ok {
			notFound(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"customer": filterFields(c, r.URL.Query().Get("fields"))})
	case http.MethodPut:
		fields, ok := decodeWrapped(r, "customer")
		if !ok {
			missingParam(w, "customer")
			return
		}
		out, errs, found := e.update(id, fields)
		switch {
		case !found:
			notFound(w)
		case errs != nil:
			writeErr(w, http.StatusUnprocessableEntity, errs)
		default:
			writeJSON(w, http.StatusOK, map[string]any{"customer": out})
		}
	case http.MethodDelete:
		if !e.delete(id) {
			notFound(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		notFound(w)
	}
}

func (e *Emulator) addressesHTTP(w http.ResponseWriter, r *http.Request, id string) {
	switch r.Method {
	case http.MethodGet:
		c, ok := e.Customer(id)
		if !ok {
			notFound(w)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"addresses": c["addresses"]})
	case http.MethodPost:
		fields, ok := decodeWrapped(r, "address")
		if !ok {
			missingParam(w, "address")
			return
		}
		delete(fields, "id")
		e.writeAddress(w, id, fields, http.StatusCreated)
	default:
		notFound(w)
	}
}

func (e *Emulator) addressHTTP(w http.ResponseWriter, r *http.Request, id, aid string) {
	c, ok := e.Customer(id)
	if !ok {
		notFound(w)
		return
	}
	var current map[string]any
	for _, a := range c["addresses"].([]any) {
		if am := a.(map[string]any); str(am["id"]) == aid {
			current = am
		}
	}
	if current == nil {
		notFound(w)
		return
	}
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"customer_address": current})
	case http.MethodPut:
		fields, ok := decodeWrapped(r, "address")
		if !ok {
			missingParam(w, "address")
			return
		}
		fields["id"] = json.Number(aid)
		e.writeAddress(w, id, fields, http.StatusOK)
	case http.MethodDelete:
		if current["default"] == true {
			writeErr(w, http.StatusUnprocessableEntity, map[string]any{"base": []string{"Cannot delete the customer’s default address"}})
			return
		}
		n, _ := strconv.ParseInt(id, 10, 64)
		an, _ := strconv.ParseInt(aid, 10, 64)
		e.mutate(n, func(c *customer, _ int64) fieldErrors {
			kept := c.addresses[:0]
			for _, a := range c.addresses {
				if a.id != an {
					kept = append(kept, a)
				}
			}
			c.addresses = kept
			return nil
		})
		writeJSON(w, http.StatusOK, map[string]any{})
	default:
		notFound(w)
	}
}

func (e *Emulator) writeAddress(w http.ResponseWriter, id string, fields map[string]any, status int) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		notFound(w)
		return
	}
	var aid int64
	out, errs, found := e.mutate(n, func(c *customer, _ int64) fieldErrors {
		aid = e.st.upsertAddress(c, fields).id
		return nil
	})
	switch {
	case !found:
		notFound(w)
	case errs != nil:
		writeErr(w, http.StatusUnprocessableEntity, errs)
	default:
		for _, a := range out["addresses"].([]any) {
			if am := a.(map[string]any); am["id"] == aid {
				writeJSON(w, status, map[string]any{"customer_address": am})
				return
			}
		}
		notFound(w)
	}
}

func (e *Emulator) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := parseLimit(w, q.Get("limit"))
	if !ok {
		return
	}
	var email, phone string
	var words []string
	for _, term := range queryTerms(q.Get("query")) {
		k, v, has := strings.Cut(term, ":")
		v = strings.Trim(v, `"'`)
		switch {
		case has && k == "email":
			email = strings.ToLower(v)
		case has && k == "phone":
			phone = digits(v)
		default:
			words = append(words, strings.ToLower(strings.Trim(term, `"'`)))
		}
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := []any{}
	if email != "" && phone == "" && len(words) == 0 {
		if id, ok := e.st.byEmail[email]; ok {
			out = append(out, filterFields(e.st.render(e.st.customers[id]), q.Get("fields")))
		}
		writeJSON(w, http.StatusOK, map[string]any{"customers": out})
		return
	}
	for _, id := range e.st.ids {
		c := e.st.customers[id]
		if c == nil || (email != "" && strings.ToLower(c.email) != email) || (phone != "" && digits(c.phone) != phone) {
			continue
		}
		text := strings.ToLower(c.email + " " + c.firstName + " " + c.lastName + " " + c.tags)
		match := true
		for _, w := range words {
			if !strings.Contains(text, w) {
				match = false
			}
		}
		if match {
			out = append(out, filterFields(e.st.render(c), q.Get("fields")))
			if len(out) == limit {
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": out})
}

// queryTerms splits a search query on spaces outside double quotes.
func queryTerms(q string) []string {
	var terms []string
	var cur strings.Builder
	quoted := false
	for _, r := range q {
		switch {
		case r == '"':
			quoted = !quoted
			cur.WriteRune(r)
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				terms = append(terms, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		terms = append(terms, cur.String())
	}
	return terms
}

func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func parseLimit(w http.ResponseWriter, v string) (int, bool) {
	if v == "" {
		return defaultLimit, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		writeErr(w, http.StatusBadRequest, map[string]any{"limit": "Invalid value"})
		return 0, false
	}
	if n > maxLimit {
		writeErr(w, http.StatusBadRequest, map[string]any{"limit": "must be less than or equal to 250"})
		return 0, false
	}
	return n, true
}

func filterFields(c map[string]any, fields string) map[string]any {
	if fields == "" {
		return c
	}
	out := map[string]any{}
	for _, f := range strings.Split(fields, ",") {
		f = strings.TrimSpace(f)
		if v, ok := c[f]; ok {
			out[f] = v
		}
	}
	return out
}
