package helpscouttest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/hal+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"message": msg, "logRef": "emulator"})
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/v2/oauth2/token" && r.Method == http.MethodPost {
		e.token(w, r)
		return
	}
	e.CountRequest()
	if !e.authorized(r) {
		writeErr(w, http.StatusUnauthorized, "Invalid or expired token")
		return
	}
	cost := 1
	if r.Method != http.MethodGet {
		cost = 2
	}
	if !e.admit(w, cost) {
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/v2"), "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "customers":
		switch r.Method {
		case http.MethodGet:
			e.listCustomers(w, r.URL.Query())
		case http.MethodPost:
			e.createHTTP(w, r)
		default:
			writeErr(w, http.StatusMethodNotAllowed, "method not allowed")
		}
	case len(parts) >= 2 && parts[0] == "customers":
		e.customerHTTP(w, r, parseID(parts[1]), parts[2:])
	case len(parts) == 1 && parts[0] == "conversations" && r.Method == http.MethodGet:
		e.listConversations(w, r.URL.Query())
	case len(parts) == 2 && parts[0] == "conversations" && r.Method == http.MethodGet:
		e.mu.Lock()
		cv := e.convos[parseID(parts[1])]
		var body map[string]any
		if cv != nil {
			body = cv.render()
		}
		e.mu.Unlock()
		if body == nil {
			writeErr(w, http.StatusNotFound, "conversation not found")
			return
		}
		writeJSON(w, http.StatusOK, body)
	default:
		writeErr(w, http.StatusNotFound, "no such resource")
	}
}

// token is POST /v2/oauth2/token; JSON and form bodies are accepted.
func (e *Emulator) token(w http.ResponseWriter, r *http.Request) {
	vals := url.Values{}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			writeErr(w, http.StatusBadRequest, "bad json")
			return
		}
		for k, v := range m {
			vals.Set(k, v)
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeErr(w, http.StatusBadRequest, "bad form")
			return
		}
		vals = r.Form
	}
	if vals.Get("grant_type") != "client_credentials" || vals.Get("client_id") != e.opts.ClientID || vals.Get("client_secret") != e.opts.ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "Client authentication failed"})
		return
	}
	e.tokenCount.Add(1)
	tok := newToken()
	e.mu.Lock()
	e.tokens[tok] = time.Now().Add(e.opts.TokenTTL)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "bearer", "access_token": tok, "expires_in": int(e.opts.TokenTTL.Seconds())})
}

func (e *Emulator) authorized(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	exp, ok := e.tokens[tok]
	return ok && time.Now().Before(exp)
}

// admit answers injected faults, then charges cost units to the current
// fixed window and sets Help Scout's rate-limit headers; over the limit it
// answers 429.
func (e *Emulator) admit(w http.ResponseWriter, cost int) bool {
	switch f := e.Next(); {
	case f.Throttled:
		e.tooMany.Add(1)
		d := f.RetryAfter
		w.Header().Set("X-RateLimit-Retry-After", strconv.Itoa(int(math.Ceil(d.Seconds()))))
		if d < time.Second {
			w.Header().Set("X-RateLimit-Retry-After", emulator.Seconds(d))
		}
		writeErr(w, http.StatusTooManyRequests, "Rate limit exceeded")
		return false
	case f.Status != 0:
		writeErr(w, f.Status, fmt.Sprintf("injected failure (%d)", f.Status))
		return false
	}
	e.asked.Add(int64(cost))
	e.mu.Lock()
	limit := e.opts.RateLimit
	if limit <= 0 {
		e.mu.Unlock()
		e.units.Add(int64(cost))
		return true
	}
	t := time.Now()
	if e.winStart.IsZero() || t.Sub(e.winStart) >= e.opts.RateWindow {
		e.winStart, e.winUsed = t, 0
	}
	w.Header().Set("X-RateLimit-Limit-Minute", strconv.Itoa(limit))
	if e.winUsed+cost > limit {
		left := e.opts.RateWindow - t.Sub(e.winStart)
		e.mu.Unlock()
		e.tooMany.Add(1)
		w.Header().Set("X-RateLimit-Remaining-Minute", "0")
		w.Header().Set("X-RateLimit-Retry-After", strconv.Itoa(int(math.Ceil(left.Seconds()))))
		writeErr(w, http.StatusTooManyRequests, "Rate limit exceeded")
		return false
	}
	e.winUsed += cost
	w.Header().Set("X-RateLimit-Remaining-Minute", strconv.Itoa(limit-e.winUsed))
	e.mu.Unlock()
	e.units.Add(int64(cost))
	return true
}

// page renders a HAL page of items (1-based page numbers).
func (e *Emulator) page(w http.ResponseWriter, key, path string, q url.Values, items []map[string]any) {
	size := e.opts.PageSize
	n, _ := strconv.Atoi(q.Get("page"))
	if n < 1 {
		n = 1
	}
	total := len(items)
	pages := (total + size - 1) / size
	lo := min((n-1)*size, total)
	hi := min(lo+size, total)
	link := func(p int) map[string]any {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("page", strconv.Itoa(p))
		return map[string]any{"href": e.URL() + "/v2/" + path + "?" + qq.Encode()}
	}
	links := map[string]any{"self": link(n), "first": link(1), "last": link(max(pages, 1)),
		"page": map[string]any{"href": e.URL() + "/v2/" + path + "{?page}", "templated": true}}
	if n < pages {
		links["next"] = link(n + 1)
	}
	if n > 1 {
		links["prev"] = link(n - 1)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"_embedded": map[string]any{key: items[lo:hi]},
		"_links":    links,
		"page":      map[string]any{"size": size, "totalElements": total, "totalPages": pages, "number": n},
	})
}

func parseSince(w http.ResponseWriter, q url.Values) (time.Time, bool) {
	s := q.Get("modifiedSince")
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.Parse("2006-01-02T15:04:05Z", s)
	if err != nil {
		writeErr(w, http.StatusBadRequest, "modifiedSince: want yyyy-MM-ddTHH:mm:ssZ")
		return t, false
	}
	return t, true
}

// listCustomers is GET /v2/customers: modifiedSince (inclusive),
// sortField=modifiedAt|createdAt, sortOrder, and query=(email:"x").
func (e *Emulator) listCustomers(w http.ResponseWriter, q url.Values) {
	since, ok := parseSince(w, q)
	if !ok {
		return
	}
	email := ""
	if qs := q.Get("query"); qs != "" {
		qs = strings.Trim(qs, "()")
		if v, ok := strings.CutPrefix(qs, "email:"); ok {
			email = strings.Trim(v, `"`)
		}
	}
	e.mu.Lock()
	var cs []*customer
	for _, c := range e.customers {
		if !since.IsZero() && c.UpdatedAt.Before(since) {
			continue
		}
		if email != "" {
			found := false
			for _, m := range c.Emails {
				found = found || strings.EqualFold(m.Value, email)
			}
			if !found {
				continue
			}
		}
		cs = append(cs, c)
	}
	byModified := q.Get("sortField") == "modifiedAt"
	desc := strings.EqualFold(q.Get("sortOrder"), "desc")
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if desc {
			a, b = b, a
		}
		if byModified && !a.UpdatedAt.Equal(b.UpdatedAt) {
			return a.UpdatedAt.Before(b.UpdatedAt)
		}
		return a.ID < b.ID
	})
	items := make([]map[string]any, len(cs))
	for i, c := range cs {
		items[i] = c.render()
	}
	e.mu.Unlock()
	e.page(w, "customers", "customers", q, items)
}

func (e *Emulator) listConversations(w http.ResponseWriter, q url.Values) {
	since, ok := parseSince(w, q)
	if !ok {
		return
	}
	status := q.Get("status")
	e.mu.Lock()
	var cs []*conversation
	for _, c := range e.convos {
		if !since.IsZero() && c.UpdatedAt.Before(since) {
			continue
		}
		if status != "all" && c.Status != "active" && c.Status != "pending" {
			continue // Help Scout lists only open ones unless status=all
		}
		cs = append(cs, c)
	}
	byModified := q.Get("sortField") == "modifiedAt"
	sort.Slice(cs, func(i, j int) bool {
		if byModified && !cs[i].UpdatedAt.Equal(cs[j].UpdatedAt) {
			return cs[i].UpdatedAt.Before(cs[j].UpdatedAt)
		}
		return cs[i].ID < cs[j].ID
	})
	items := make([]map[string]any, len(cs))
	for i, c := range cs {
		items[i] = c.render()
	}
	e.mu.Unlock()
	e.page(w, "conversations", "conversations", q, items)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeErr(w, http.StatusBadRequest, "request body is not valid JSON")
		return false
	}
	return true
}

func (e *Emulator) createHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if !decodeBody(w, r, &body) {
		return
	}
	if str(body["firstName"]) == "" && len(listOf(body["emails"])) == 0 {
		writeErr(w, http.StatusBadRequest, "firstName or an email is required")
		return
	}
	e.mu.Lock()
	for _, m := range listOf(body["emails"]) {
		if e.byEmailLocked(str(m["value"])) != nil {
			e.mu.Unlock()
			writeErr(w, http.StatusConflict, "a customer with this email exists")
			return
		}
	}
	c := e.createLocked(body)
	obj := c.render()
	e.mu.Unlock()
	w.Header().Set("Resource-ID", strconv.FormatInt(c.ID, 10))
	w.Header().Set("Location", fmt.Sprintf("%s/v2/customers/%d", e.URL(), c.ID))
	w.WriteHeader(http.StatusCreated)
	e.notify("customer.created", obj)
}

// customerHTTP serves /v2/customers/{id}[/sub[/subID]].
func (e *Emulator) customerHTTP(w http.ResponseWriter, r *http.Request, id int64, rest []string) {
	e.mu.Lock()
	c := e.customers[id]
	if c == nil {
		e.mu.Unlock()
		writeErr(w, http.StatusNotFound, "customer not found")
		return
	}
	if len(rest) == 0 && r.Method == http.MethodGet {
		body := c.render()
		e.mu.Unlock()
		writeJSON(w, http.StatusOK, body)
		return
	}
	if len(rest) == 0 && r.Method == http.MethodDelete {
		delete(e.customers, id)
		e.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		e.notify("customer.deleted", map[string]any{"id": id})
		return
	}
	e.mu.Unlock()
	var body any
	if r.Method != http.MethodDelete && !decodeBody(w, r, &body) {
		return
	}
	e.mu.Lock()
	c = e.customers[id]
	if c == nil {
		e.mu.Unlock()
		writeErr(w, http.StatusNotFound, "customer not found")
		return
	}
	status, msg := e.writeLocked(c, r.Method, rest, body)
	if status >= 300 {
		e.mu.Unlock()
		writeErr(w, status, msg)
		return
	}
	c.UpdatedAt = notBefore(c.UpdatedAt)
	obj := c.render()
	e.mu.Unlock()
	if status == http.StatusCreated {
		w.Header().Set("Resource-ID", msg)
	}
	w.WriteHeader(status)
	e.notify("customer.updated", obj)
}

// writeLocked applies one write to c; for a created sub-entity it returns
// 201 and the new id.
func (e *Emulator) writeLocked(c *customer, method string, rest []string, body any) (int, string) {
	m, _ := body.(map[string]any)
	if len(rest) == 0 {
		switch method {
		case http.MethodPut:
			c.FirstName, c.LastName, c.Organization, c.JobTitle = "", "", "", ""
			applyMain(c, m)
			return http.StatusNoContent, ""
		case http.MethodPatch:
			for _, op := range patchOps(body) {
				if op.Op != "replace" && op.Op != "remove" {
					return http.StatusBadRequest, "op " + op.Op + " not supported"
				}
				applyMain(c, map[string]any{strings.TrimPrefix(op.Path, "/"): op.Value})
			}
			return http.StatusNoContent, ""
		}
		return http.StatusMethodNotAllowed, "method not allowed"
	}
	switch rest[0] {
	case "emails", "phones":
		list := &c.Emails
		if rest[0] == "phones" {
			list = &c.Phones
		}
		switch {
		case len(rest) == 1 && method == http.MethodPost:
			e.nextSub++
			*list = append(*list, subEntity{ID: e.nextSub, Value: str(m["value"]), Type: orDefault(str(m["type"]), "work")})
			return http.StatusCreated, strconv.FormatInt(e.nextSub, 10)
		case len(rest) == 2:
			sid := parseID(rest[1])
			for i := range *list {
				if (*list)[i].ID != sid {
					continue
				}
				if method == http.MethodDelete {
					*list = append((*list)[:i], (*list)[i+1:]...)
					return http.StatusNoContent, ""
				}
				if method == http.MethodPut {
					(*list)[i].Value = str(m["value"])
					(*list)[i].Type = orDefault(str(m["type"]), (*list)[i].Type)
					return http.StatusNoContent, ""
				}
			}
			return http.StatusNotFound, rest[0] + " entry not found"
		}
	case "address":
		switch method {
		case http.MethodPost, http.MethodPut:
			if method == http.MethodPost && c.Address != nil {
				return http.StatusConflict, "address exists"
			}
			if method == http.MethodPut && c.Address == nil {
				return http.StatusNotFound, "no address"
			}
			c.Address = addressOf(m)
			if method == http.MethodPost {
				return http.StatusCreated, strconv.FormatInt(c.ID, 10)
			}
			return http.StatusNoContent, ""
		case http.MethodDelete:
			c.Address = nil
			return http.StatusNoContent, ""
		}
	case "properties":
		if method != http.MethodPatch {
			break
		}
		for _, op := range patchOps(body) {
			slug := strings.TrimPrefix(op.Path, "/")
			switch op.Op {
			case "replace", "add":
				c.Properties[slug] = op.Value
			case "remove":
				delete(c.Properties, slug)
			default:
				return http.StatusBadRequest, "op " + op.Op + " not supported"
			}
		}
		return http.StatusNoContent, ""
	}
	return http.StatusNotFound, "no such sub-resource"
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func patchOps(body any) []patchOp {
	b, _ := json.Marshal(body)
	var ops []patchOp
	if json.Unmarshal(b, &ops) != nil {
		var one patchOp
		if json.Unmarshal(b, &one) == nil && one.Op != "" {
			ops = []patchOp{one}
		}
	}
	return ops
}
