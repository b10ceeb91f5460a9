// Package resttest is a small configurable REST ERP for tests and demos.
// One store of customers speaks one of several wire styles, so the generic
// rest connector is tested against more than one way ERPs page and filter:
//
//   - Weclapp: /webapp/api/v1/customer, AuthenticationToken header,
//     page/pageSize, <field>-<op> filters (lastModifiedDate-gt in epoch
//     ms), records in "result", PUT with ignoreMissingProperties.
//   - Xentral: /api/v1/customers, bearer token, page[number]/page[size],
//     filter[updatedAt][gte] (RFC 3339), {"data": …} envelopes, PATCH,
//     X-RateLimit-* headers.
//   - Cursor: /api/customers, basic auth, updated_since + limit, records in
//     "items" and the next page's token in "next_cursor".
//   - Link: as Cursor, but OAuth2 client credentials (POST /oauth/token)
//     and the next page in the Link header (rel="next").
package resttest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// Style is a wire style.
type Style string

const (
	Weclapp Style = "weclapp"
	Xentral Style = "xentral"
	Cursor  Style = "cursor"
	Link    Style = "link"
)

// Credentials the emulator accepts.
const (
	DefaultToken        = "erp-api-token-123"
	DefaultUser         = "shophub"
	DefaultPassword     = "erp-password"
	DefaultClientID     = "shophub-client"
	DefaultClientSecret = "shophub-client-secret"
)

// Options configure an Emulator.
type Options struct {
	Style Style
	// MaxPageSize caps page sizes (default 1000).
	MaxPageSize int
	// RateLimit, when > 0, is the requests per window the Xentral style
	// reports in X-RateLimit-* headers (a 429 past it).
	RateLimit int
	Now       func() time.Time
}

// Emulator is an in-memory ERP. It is safe for concurrent use.
type Emulator struct {
	opts Options

	mu     sync.Mutex
	recs   map[int64]map[string]any
	stamps map[int64]time.Time
	nextID int64
	tokens map[string]bool
	issued int

	emulator.Clock

	emulator.Server

	ctlMu      sync.Mutex
	windowUsed int
}

// New builds an emulator of a style (default Weclapp).
func New(opts Options) *Emulator {
	if opts.Style == "" {
		opts.Style = Weclapp
	}
	if opts.MaxPageSize == 0 {
		opts.MaxPageSize = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Emulator{opts: opts, Clock: emulator.Clock{Base: opts.Now}, recs: map[int64]map[string]any{}, stamps: map[int64]time.Time{}, nextID: 1001, tokens: map[string]bool{}}
}

// Start serves the emulator and returns the base URL the style's profile
// takes as base_url.
func (e *Emulator) Start() string {
	return e.Server.Start(http.HandlerFunc(e.serveHTTP)) + e.basePath()
}

func (e *Emulator) basePath() string {
	if e.opts.Style == Weclapp {
		return "/webapp/api/v1"
	}
	return ""
}

// ---- clock and controls ----

func (e *Emulator) stamp() time.Time {
	t := e.Now().UTC()
	if e.opts.Style == Weclapp {
		return t.Truncate(time.Millisecond)
	}
	return t.Truncate(time.Second) // RFC 3339 in whole seconds, as many ERPs write
}

// ResetWindow starts a new rate-limit window (RateLimit option).
func (e *Emulator) ResetWindow() {
	e.ctlMu.Lock()
	defer e.ctlMu.Unlock()
	e.windowUsed = 0
}

// Seed creates n customers in the style's shape, all stamped now, and
// returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	ids := make([]string, n)
	for i := range n {
		first, last := emulator.SeedName(i)
		e.mu.Lock()
		next := e.nextID
		e.mu.Unlock()
		email := fmt.Sprintf("erp%d@example.com", next)
		var rec map[string]any
		switch e.opts.Style {
		case Weclapp:
			rec = map[string]any{"partyType": "PERSON", "firstName": first, "lastName": last, "email": email,
				"addresses": []any{map[string]any{"street1": "Hauptstraße 1", "zipcode": "10115", "city": "Berlin", "countryCode": "DE",
					"invoiceAddress": true, "deliveryAddress": true, "primeAddress": true}}}
		case Xentral:
			rec = map[string]any{"firstName": first, "lastName": last, "email": email,
				"address": map[string]any{"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"}}
		default:
			rec = map[string]any{"first_name": first, "last_name": last, "email": email,
				"billing_address": map[string]any{"street": "Hauptstraße 1", "zip": "10115", "city": "Berlin", "country": "DE"}}
		}
		ids[i] = e.CreateCustomer(rec)
	}
	return ids
}

// CreateCustomer creates a customer as a user in the ERP would, in the
// style's shape; the ERP assigns the id and, where it numbers customers,
// the customer number.
func (e *Emulator) CreateCustomer(fields map[string]any) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	id, err := e.create(jsonish(fields))
	if err != nil {
		panic(fmt.Sprintf("resttest: CreateCustomer: %v", err))
	}
	return strconv.FormatInt(id, 10)
}

// UpdateCustomer changes top-level fields as a user editing the record
// would, and stamps it.
func (e *Emulator) UpdateCustomer(id string, fields map[string]any) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	cur := e.recs[n]
	if cur == nil {
		return fmt.Errorf("resttest: no customer %s", id)
	}
	maps.Copy(cur, jsonish(fields))
	e.stamps[n] = e.stamp()
	return nil
}

// Customer returns a customer as GET renders it (without envelope).
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.recs[n] == nil {
		return nil, false
	}
	return jsonish(e.render(n)), true
}

// FindByEmail returns the id of the customer with that email.
func (e *Emulator) FindByEmail(email string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, r := range e.recs {
		if s, _ := r["email"].(string); strings.EqualFold(s, strings.TrimSpace(email)) {
			return strconv.FormatInt(id, 10), true
		}
	}
	return "", false
}

// Count returns the number of customers.
func (e *Emulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.recs)
}

func jsonish(v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// ---- store ----

func (e *Emulator) idField() string { return "id" }

func (e *Emulator) updatedField() string {
	switch e.opts.Style {
	case Weclapp:
		return "lastModifiedDate"
	case Xentral:
		return "updatedAt"
	}
	return "updated_at"
}

type apiError struct {
	status int
	msg    string
}

func (e *Emulator) validate(r map[string]any) *apiError {
	if em, ok := r["email"].(string); ok && em != "" && !strings.Contains(em, "@") {
		return &apiError{400, fmt.Sprintf("invalid email address %q", em)}
	}
	if e.opts.Style == Weclapp {
		if pt, _ := r["partyType"].(string); pt != "PERSON" && pt != "ORGANIZATION" {
			return &apiError{400, "partyType: must be PERSON or ORGANIZATION"}
		}
	}
	return nil
}

func (e *Emulator) create(r map[string]any) (int64, *apiError) {
	for _, k := range []string{"id", e.updatedField(), "createdDate", "version"} {
		delete(r, k)
	}
	if err := e.validate(r); err != nil {
		return 0, err
	}
	id := e.nextID
	e.nextID++
	switch e.opts.Style {
	case Weclapp:
		if s, _ := r["customerNumber"].(string); s == "" {
			r["customerNumber"] = fmt.Sprintf("K%d", 10000+id)
		}
		r["version"] = "0"
	case Xentral:
		if s, _ := r["number"].(string); s == "" {
			r["number"] = fmt.Sprintf("%d", 10000+id)
		}
	}
	e.recs[id] = r
	e.stamps[id] = e.stamp()
	return id, nil
}

func (e *Emulator) render(id int64) map[string]any {
	out := maps.Clone(e.recs[id])
	t := e.stamps[id]
	switch e.opts.Style {
	case Weclapp:
		out["id"] = strconv.FormatInt(id, 10)
		out["lastModifiedDate"] = t.UnixMilli()
	case Xentral:
		out["id"] = strconv.FormatInt(id, 10)
		out["updatedAt"] = t.Format(time.RFC3339)
	default:
		out["id"] = id
		out["updated_at"] = t.Format(time.RFC3339)
	}
	return out
}

// ---- HTTP ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (e *Emulator) fail(w http.ResponseWriter, status int, msg string) {
	if e.opts.Style == Xentral {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": msg})
		return
	}
	writeJSON(w, status, map[string]any{"error": msg})
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if e.opts.Style == Link && r.URL.Path == "/oauth/token" {
		e.serveToken(w, r)
		return
	}
	e.LogRequest(r)
	switch f := e.Take(); {
	case f.Throttled:
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		e.fail(w, 429, "too many requests")
		return
	case f.Status != 0:
		e.fail(w, f.Status, fmt.Sprintf("injected failure (%d)", f.Status))
		return
	}
	e.ctlMu.Lock()
	if e.opts.RateLimit > 0 {
		e.windowUsed++
		left := e.opts.RateLimit - e.windowUsed
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(e.opts.RateLimit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(max(left, 0)))
		w.Header().Set("X-RateLimit-Reset", "1")
		if left < 0 {
			e.ctlMu.Unlock()
			w.Header().Set("Retry-After", "1")
			e.fail(w, 429, "rate limit exceeded")
			return
		}
	}
	e.ctlMu.Unlock()
	if !e.authorized(r) {
		e.fail(w, 401, "authentication failed")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, e.basePath())
	coll := map[Style]string{Weclapp: "/customer", Xentral: "/api/v1/customers", Cursor: "/api/customers", Link: "/api/customers"}[e.opts.Style]
	itemPrefix := coll + "/"
	if e.opts.Style == Weclapp {
		itemPrefix = coll + "/id/"
	}
	switch {
	case path == coll && r.Method == http.MethodGet:
		e.list(w, r)
	case path == coll && r.Method == http.MethodPost:
		e.post(w, r)
	case e.opts.Style == Weclapp && path == coll+"/count" && r.Method == http.MethodGet:
		e.mu.Lock()
		n := len(e.recs)
		e.mu.Unlock()
		writeJSON(w, 200, map[string]any{"result": n})
	case strings.HasPrefix(path, itemPrefix):
		id, err := strconv.ParseInt(strings.TrimPrefix(path, itemPrefix), 10, 64)
		if err != nil {
			e.fail(w, 404, "not found")
			return
		}
		e.item(w, r, id)
	default:
		e.fail(w, 404, "no such endpoint "+r.Method+" "+r.URL.Path)
	}
}

func (e *Emulator) authorized(r *http.Request) bool {
	switch e.opts.Style {
	case Weclapp:
		return r.Header.Get("AuthenticationToken") == DefaultToken
	case Xentral:
		return r.Header.Get("Authorization") == "Bearer "+DefaultToken
	case Cursor:
		u, p, ok := r.BasicAuth()
		return ok && u == DefaultUser && p == DefaultPassword
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	e.mu.Lock()
	defer e.mu.Unlock()
	return ok && e.tokens[tok]
}

func (e *Emulator) serveToken(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		_ = r.ParseForm()
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	_ = r.ParseForm()
	if id != DefaultClientID || secret != DefaultClientSecret || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, 401, map[string]any{"error": "invalid_client"})
		return
	}
	e.mu.Lock()
	e.issued++
	tok := fmt.Sprintf("tok-%d-%d", e.issued, time.Now().UnixNano())
	e.tokens[tok] = true
	e.mu.Unlock()
	writeJSON(w, 200, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
}

// TokensIssued counts the OAuth2 tokens issued (Link style).
func (e *Emulator) TokensIssued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.issued
}

// ExpireTokens revokes every OAuth2 token issued so far (Link style).
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.tokens)
}

var weclappFilter = regexp.MustCompile(`^([A-Za-z0-9_.]+)-(eq|ne|gt|ge|lt|le|like|ilike)$`)
var xentralFilter = regexp.MustCompile(`^filter\[([A-Za-z0-9_]+)\]\[(equals|gte|gt|lte|lt)\]$`)

type cond struct {
	field, op, value string
}

func (e *Emulator) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var conds []cond
	offset, size := 0, 100
	bad := ""
	atoi := func(k string, def int) int {
		if q.Get(k) == "" {
			return def
		}
		n, err := strconv.Atoi(q.Get(k))
		if err != nil || n < 0 {
			bad = k + ": not a number"
		}
		return n
	}
	switch e.opts.Style {
	case Weclapp:
		for k, vs := range q {
			if m := weclappFilter.FindStringSubmatch(k); m != nil {
				conds = append(conds, cond{m[1], m[2], vs[0]})
			}
		}
		size = atoi("pageSize", 100)
		offset = (atoi("page", 1) - 1) * size
	case Xentral:
		ops := map[string]string{"equals": "eq", "gte": "ge", "gt": "gt", "lte": "le", "lt": "lt"}
		for k, vs := range q {
			if m := xentralFilter.FindStringSubmatch(k); m != nil {
				conds = append(conds, cond{m[1], ops[m[2]], vs[0]})
			}
		}
		size = atoi("page[size]", 10)
		offset = (atoi("page[number]", 1) - 1) * size
	default:
		if tok := q.Get("cursor"); tok != "" {
			raw, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				e.fail(w, 400, "bad cursor")
				return
			}
			q, _ = url.ParseQuery(string(raw))
			offset = atoi("offset", 0)
		}
		if s := q.Get("updated_since"); s != "" {
			conds = append(conds, cond{"updated_at", "ge", s})
		}
		if s := q.Get("email"); s != "" {
			conds = append(conds, cond{"email", "ilike", s})
		}
		size = atoi("limit", 50)
	}
	if bad != "" || size < 1 || offset < 0 {
		e.fail(w, 400, "bad paging parameters "+bad)
		return
	}
	size = min(size, e.opts.MaxPageSize)
	e.mu.Lock()
	var matched []map[string]any
	for _, id := range slices.Sorted(maps.Keys(e.recs)) {
		rec := e.render(id)
		ok := true
		for _, c := range conds {
			if !e.match(rec, c) {
				ok = false
				break
			}
		}
		if ok {
			matched = append(matched, rec)
		}
	}
	e.mu.Unlock()
	uf := e.updatedField()
	slices.SortStableFunc(matched, func(a, b map[string]any) int {
		if c := strings.Compare(sortable(a[uf]), sortable(b[uf])); c != 0 {
			return c
		}
		return strings.Compare(sortable(a["id"]), sortable(b["id"]))
	})
	total := len(matched)
	page := []map[string]any{}
	if offset < total {
		page = matched[offset:min(offset+size, total)]
	}
	switch e.opts.Style {
	case Weclapp:
		writeJSON(w, 200, map[string]any{"result": page})
	case Xentral:
		writeJSON(w, 200, map[string]any{"data": page, "extra": map[string]any{"totalCount": total}})
	default:
		next := ""
		if offset+size < total {
			nq := url.Values{}
			for _, k := range []string{"updated_since", "email", "limit"} {
				if q.Get(k) != "" {
					nq.Set(k, q.Get(k))
				}
			}
			nq.Set("offset", strconv.Itoa(offset+size))
			next = base64.RawURLEncoding.EncodeToString([]byte(nq.Encode()))
		}
		if e.opts.Style == Cursor {
			writeJSON(w, 200, map[string]any{"items": page, "next_cursor": next})
			return
		}
		if next != "" {
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?cursor=%s>; rel="next"`, e.URL(), r.URL.Path, next))
		}
		writeJSON(w, 200, map[string]any{"items": page})
	}
}

// sortable renders ids and times so that string order is value order.
func sortable(v any) string {
	switch x := v.(type) {
	case int64:
		return fmt.Sprintf("%020d", x)
	case string:
		if n, err := strconv.ParseInt(x, 10, 64); err == nil {
			return fmt.Sprintf("%020d", n)
		}
		return x
	}
	return fmt.Sprint(v)
}

func (e *Emulator) match(rec map[string]any, c cond) bool {
	v := rec[c.field]
	if c.field == e.updatedField() {
		var at time.Time
		switch x := v.(type) {
		case int64:
			at = time.UnixMilli(x)
		case string:
			at, _ = time.Parse(time.RFC3339, x)
		}
		var want time.Time
		if n, err := strconv.ParseInt(c.value, 10, 64); err == nil {
			want = time.UnixMilli(n)
		} else if t, err := time.Parse(time.RFC3339Nano, c.value); err == nil {
			want = t
		} else {
			return false
		}
		switch c.op {
		case "gt":
			return at.After(want)
		case "ge":
			return !at.Before(want)
		case "lt":
			return at.Before(want)
		case "le":
			return !at.After(want)
		case "eq":
			return at.Equal(want)
		}
		return false
	}
	s := fmt.Sprint(v)
	switch c.op {
	case "eq":
		return s == c.value
	case "ne":
		return s != c.value
	case "ilike":
		return strings.EqualFold(s, strings.Trim(c.value, "%"))
	case "like":
		return strings.Contains(s, strings.Trim(c.value, "%"))
	}
	return false
}

func (e *Emulator) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		e.fail(w, 400, "body is not a JSON object")
		return nil, false
	}
	return m, true
}

func (e *Emulator) envelope(v map[string]any) any {
	if e.opts.Style == Xentral {
		return map[string]any{"data": v}
	}
	return v
}

func (e *Emulator) post(w http.ResponseWriter, r *http.Request) {
	m, ok := e.readBody(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	id, err := e.create(m)
	var out map[string]any
	if err == nil {
		out = e.render(id)
	}
	e.mu.Unlock()
	if err != nil {
		e.fail(w, err.status, err.msg)
		return
	}
	writeJSON(w, 201, e.envelope(out))
}

func (e *Emulator) item(w http.ResponseWriter, r *http.Request, id int64) {
	e.mu.Lock()
	cur := e.recs[id]
	e.mu.Unlock()
	if cur == nil {
		e.fail(w, 404, fmt.Sprintf("customer %d not found", id))
		return
	}
	switch r.Method {
	case http.MethodGet:
		e.mu.Lock()
		out := e.render(id)
		e.mu.Unlock()
		writeJSON(w, 200, e.envelope(out))
	case http.MethodDelete:
		e.mu.Lock()
		delete(e.recs, id)
		delete(e.stamps, id)
		e.mu.Unlock()
		w.WriteHeader(204)
	case http.MethodPut, http.MethodPatch:
		m, ok := e.readBody(w, r)
		if !ok {
			return
		}
		for _, k := range []string{"id", e.updatedField(), "createdDate"} {
			delete(m, k)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		cur := e.recs[id]
		if e.opts.Style == Weclapp {
			if v, ok := m["version"]; ok && fmt.Sprint(v) != fmt.Sprint(cur["version"]) {
				e.fail(w, 409, "optimistic lock error: version mismatch")
				return
			}
		}
		var next map[string]any
		partial := r.Method == http.MethodPatch || r.URL.Query().Get("ignoreMissingProperties") == "true"
		if partial {
			next = maps.Clone(cur)
			maps.Copy(next, m)
		} else {
			next = m
			for _, k := range []string{"customerNumber", "number"} { // ERP-assigned
				if _, ok := next[k]; !ok && cur[k] != nil {
					next[k] = cur[k]
				}
			}
		}
		if err := e.validate(next); err != nil {
			e.fail(w, err.status, err.msg)
			return
		}
		if e.opts.Style == Weclapp {
			v, _ := strconv.Atoi(fmt.Sprint(cur["version"]))
			next["version"] = strconv.Itoa(v + 1)
		}
		e.recs[id] = next
		e.stamps[id] = e.stamp()
		writeJSON(w, 200, e.envelope(e.render(id)))
	default:
		e.fail(w, 405, "method not allowed")
	}
}
