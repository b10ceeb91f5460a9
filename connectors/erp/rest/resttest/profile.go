package resttest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
	"github.com/shophub/shophub/connectors/erp/rest"
)

// ProfileOptions shape a ProfileEmulator's records, which the profile does
// not describe.
type ProfileOptions struct {
	// Seed returns the i-th seeded record in the system's shape, without
	// id and updated field (the emulator sets both).
	Seed func(i int, first, last, email string) map[string]any
	// EmailPath is where a record holds its email (dotted; a numeric
	// segment indexes a list), for the find endpoint.
	EmailPath string
	// Token, User and Password are the credentials accepted (defaults
	// DefaultToken, DefaultUser, DefaultPassword).
	Token, User, Password string
}

// ProfileEmulator serves any REST profile: authentication, endpoints,
// paging, the changed-since filter and the envelopes come from the
// profile, so a system described only in YAML (profile and mapping) runs
// the conformance kit before the real system is touched. It checks the
// profile's consistency and the mapping, not the real API: the profile's
// comments say what that was checked against.
type ProfileEmulator struct {
	emulator.Server
	emulator.Clock

	p    *rest.Profile
	opts ProfileOptions

	mu     sync.Mutex
	recs   map[int64]map[string]any
	stamps map[int64]time.Time
	nextID int64
}

// FromProfile builds an emulator speaking p.
func FromProfile(p *rest.Profile, opts ProfileOptions) *ProfileEmulator {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.User == "" {
		opts.User, opts.Password = DefaultUser, DefaultPassword
	}
	return &ProfileEmulator{p: p, opts: opts, recs: map[int64]map[string]any{}, stamps: map[int64]time.Time{}, nextID: 1001}
}

// Start serves the emulator and returns the base_url to configure.
func (e *ProfileEmulator) Start() string { return e.Server.Start(http.HandlerFunc(e.serveHTTP)) }

// ---- store ----

// stamp is the record time in the profile's resolution: whole seconds
// for RFC 3339, SQL and epoch, milliseconds for epoch_ms.
func (e *ProfileEmulator) stamp() time.Time {
	t := e.Now().UTC()
	if e.p.Records.UpdatedFormat == "epoch_ms" {
		return t.Truncate(time.Millisecond)
	}
	return t.Truncate(time.Second)
}

func (e *ProfileEmulator) formatStamp(t time.Time) any {
	switch e.p.Records.UpdatedFormat {
	case "epoch_ms":
		return t.UnixMilli()
	case "epoch":
		return t.Unix()
	case "sql":
		return t.Format(time.DateTime)
	}
	return t.Format(time.RFC3339)
}

// render is the record as the API shows it (callers hold mu).
func (e *ProfileEmulator) render(id int64) map[string]any {
	out := maps.Clone(e.recs[id])
	out[e.p.Records.IDField] = id
	out[e.p.Records.UpdatedField] = e.formatStamp(e.stamps[id])
	return out
}

func (e *ProfileEmulator) create(fields map[string]any) int64 {
	id := e.nextID
	e.nextID++
	r := jsonish(fields)
	delete(r, e.p.Records.IDField)
	delete(r, e.p.Records.UpdatedField)
	e.recs[id] = r
	e.stamps[id] = e.stamp()
	return id
}

// Seed creates n records (ProfileOptions.Seed) and returns their ids.
func (e *ProfileEmulator) Seed(n int) []string {
	ids := make([]string, n)
	for i := range n {
		first, last := emulator.SeedName(i)
		e.mu.Lock()
		id := e.create(e.opts.Seed(i, first, last, fmt.Sprintf("seed%d@example.com", e.nextID)))
		e.mu.Unlock()
		ids[i] = strconv.FormatInt(id, 10)
	}
	return ids
}

// Update changes top-level fields as an edit in the system would, and
// stamps the record.
func (e *ProfileEmulator) Update(id string, fields map[string]any) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.recs[n] == nil {
		return fmt.Errorf("resttest: no record %s", id)
	}
	maps.Copy(e.recs[n], jsonish(fields))
	e.stamps[n] = e.stamp()
	return nil
}

// Customer returns a record as the API renders it.
func (e *ProfileEmulator) Customer(id string) (map[string]any, bool) {
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

// Count is the number of records.
func (e *ProfileEmulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.recs)
}

// ---- HTTP ----

func (e *ProfileEmulator) authorized(r *http.Request) bool {
	a := e.p.Auth
	switch a.Type {
	case "bearer":
		return r.Header.Get("Authorization") == "Bearer "+e.opts.Token
	case "header":
		return r.Header.Get(a.Header) == a.Prefix+e.opts.Token
	case "query":
		return r.URL.Query().Get(a.Param) == e.opts.Token
	case "basic":
		u, p, ok := r.BasicAuth()
		return ok && u == e.opts.User && p == e.opts.Password
	}
	return false
}

// wrap puts v at a dotted path of a fresh object.
func wrap(path string, v any) any {
	if path == "" {
		return v
	}
	parts := strings.Split(path, ".")
	for i := len(parts) - 1; i >= 0; i-- {
		v = map[string]any{parts[i]: v}
	}
	return v
}

// match reports whether path matches an endpoint path whose {id} or
// {value} placeholder takes one segment, and returns that segment.
func match(pattern, path string) (string, bool) {
	pre, post, ok := strings.Cut(pattern, "{")
	if !ok {
		return "", pattern == path
	}
	_, post, _ = strings.Cut(post, "}")
	if !strings.HasPrefix(path, pre) || !strings.HasSuffix(path, post) || len(path) < len(pre)+len(post)+1 {
		return "", false
	}
	seg, err := url.PathUnescape(path[len(pre) : len(path)-len(post)])
	if err != nil || strings.Contains(seg, "/") {
		return "", false
	}
	return seg, true
}

func (e *ProfileEmulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.LogRequest(r)
	switch f := e.Take(); {
	case f.Throttled:
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": "too many requests"})
		return
	case f.Status != 0:
		writeJSON(w, f.Status, map[string]any{"error": "injected failure"})
		return
	}
	if !e.authorized(r) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "unauthorized"})
		return
	}
	eps := e.p.Endpoints
	path := r.URL.Path
	// Fixed paths before paths with placeholders: /persons/search is no id.
	// A find path like /members/{value} that is also the get path takes an
	// email or an id (Mailchimp's takes both).
	if r.Method == eps.Find.Method && eps.Find.Path != "" {
		if v, ok := match(eps.Find.Path, path); ok && (!strings.Contains(eps.Find.Path, "{value}") || strings.Contains(v, "@")) {
			e.find(w, r, v)
			return
		}
	}
	switch {
	case r.Method == eps.List.Method && path == eps.List.Path:
		e.list(w, r)
		return
	case r.Method == eps.Create.Method && path == eps.Create.Path:
		e.createHTTP(w, r)
		return
	}
	for _, ep := range []rest.Endpoint{eps.Get, eps.Update, eps.Delete} {
		if ep.Path == "" || r.Method != ep.Method {
			continue
		}
		if id, ok := match(ep.Path, path); ok {
			e.item(w, r, ep, id)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": "no such endpoint: " + r.Method + " " + path})
}

func (e *ProfileEmulator) readBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "body is no JSON object"})
		return nil, false
	}
	return in, true
}

func (e *ProfileEmulator) createHTTP(w http.ResponseWriter, r *http.Request) {
	in, ok := e.readBody(w, r)
	if !ok {
		return
	}
	e.CountWrite()
	e.mu.Lock()
	id := e.create(in)
	out := e.render(id)
	e.mu.Unlock()
	writeJSON(w, http.StatusCreated, wrap(e.p.Endpoints.Create.ItemPath, out))
}

func (e *ProfileEmulator) item(w http.ResponseWriter, r *http.Request, ep rest.Endpoint, sid string) {
	id, _ := strconv.ParseInt(sid, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.recs[id] == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found"})
		return
	}
	switch ep.Path {
	case e.p.Endpoints.Delete.Path:
		if r.Method == e.p.Endpoints.Delete.Method {
			e.CountWrite()
			delete(e.recs, id)
			delete(e.stamps, id)
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if r.Method == e.p.Endpoints.Update.Method && ep.Path == e.p.Endpoints.Update.Path {
		e.mu.Unlock()
		in, ok := e.readBody(w, r)
		e.mu.Lock()
		if !ok {
			return
		}
		if e.recs[id] == nil {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found"})
			return
		}
		e.CountWrite()
		delete(in, e.p.Records.IDField)
		delete(in, e.p.Records.UpdatedField)
		if r.Method == http.MethodPut && !e.p.Endpoints.Update.Partial && len(e.p.Endpoints.Update.Query) == 0 {
			e.recs[id] = jsonish(in) // a PUT replaces
		} else {
			maps.Copy(e.recs[id], jsonish(in))
		}
		e.stamps[id] = e.stamp()
		writeJSON(w, http.StatusOK, wrap(e.p.Endpoints.Update.ItemPath, e.render(id)))
		return
	}
	writeJSON(w, http.StatusOK, wrap(e.p.Endpoints.Get.ItemPath, e.render(id)))
}

// ids lists record ids by updated time, then id (callers hold mu).
func (e *ProfileEmulator) ids() []int64 {
	ids := slices.Collect(maps.Keys(e.recs))
	slices.SortFunc(ids, func(a, b int64) int {
		if c := e.stamps[a].Compare(e.stamps[b]); c != 0 {
			return c
		}
		return int(a - b)
	})
	return ids
}

func (e *ProfileEmulator) find(w http.ResponseWriter, r *http.Request, inPath string) {
	ep := e.p.Endpoints.Find
	value := inPath
	if value == "" {
		for _, param := range ep.Params {
			if v := r.URL.Query().Get(param); v != "" {
				value = v
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var found []any
	for _, id := range e.ids() {
		rec := e.render(id)
		if s, _ := pathValue(rec, e.opts.EmailPath).(string); value != "" && strings.EqualFold(s, value) {
			found = append(found, wrap(ep.ItemPath, rec))
		}
	}
	if strings.Contains(ep.Path, "{value}") {
		if len(found) == 0 {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "not found"})
			return
		}
		writeJSON(w, http.StatusOK, found[0])
		return
	}
	listPath := ep.ListPath
	if listPath == "" {
		listPath = e.p.Records.ListPath
	}
	if found == nil {
		found = []any{}
	}
	writeJSON(w, http.StatusOK, wrap(listPath, found))
}

// pathValue follows a dotted path; numeric segments index lists.
func pathValue(v any, path string) any {
	for part := range strings.SplitSeq(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (e *ProfileEmulator) since(q url.Values) (time.Time, bool, error) {
	cs := e.p.ChangedSince
	v := q.Get(cs.Param)
	if v == "" {
		return time.Time{}, false, nil
	}
	var t time.Time
	var err error
	switch cs.Format {
	case "epoch_ms", "epoch":
		var n int64
		if n, err = strconv.ParseInt(v, 10, 64); err == nil {
			if cs.Format == "epoch_ms" {
				t = time.UnixMilli(n)
			} else {
				t = time.Unix(n, 0)
			}
		}
	case "sql":
		t, err = time.ParseInLocation(time.DateTime, v, time.UTC)
	default:
		t, err = time.Parse(time.RFC3339, v)
	}
	return t, true, err
}

func (e *ProfileEmulator) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pg := e.p.Pagination
	atoi := func(name string, def int) int {
		if n, err := strconv.Atoi(q.Get(name)); err == nil {
			return n
		}
		return def
	}
	size := 0
	switch pg.Style {
	case "page":
		size = atoi(pg.SizeParam, 10)
	case "offset":
		size = atoi(pg.LimitParam, 10)
	default:
		size = atoi(pg.SizeParam, 10)
	}
	size = min(max(size, 1), pg.MaxSize)
	// A cursor (or next link) carries the filter and the offset, as an
	// opaque token.
	cursorParam := pg.CursorParam
	if cursorParam == "" {
		cursorParam = "cursor"
	}
	offset := 0
	switch pg.Style {
	case "page":
		offset = (atoi(pg.PageParam, pg.FirstPage) - pg.FirstPage) * size
	case "offset":
		offset = atoi(pg.OffsetParam, 0)
	default:
		if tok := q.Get(cursorParam); tok != "" {
			raw, err := base64.RawURLEncoding.DecodeString(tok)
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad cursor"})
				return
			}
			saved, err := url.ParseQuery(string(raw))
			if err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"error": "bad cursor"})
				return
			}
			offset, _ = strconv.Atoi(saved.Get("offset"))
			q.Set(e.p.ChangedSince.Param, saved.Get("since"))
		}
	}
	since, filtered, err := e.since(q)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": e.p.ChangedSince.Param + ": " + err.Error()})
		return
	}
	e.mu.Lock()
	var items []any
	for _, id := range e.ids() {
		t := e.stamps[id]
		if filtered && (t.Before(since) || !e.p.ChangedSince.Inclusive && t.Equal(since)) {
			continue
		}
		items = append(items, e.render(id))
	}
	e.mu.Unlock()
	total := len(items)
	items = items[min(offset, total):min(offset+size, total)]
	if items == nil {
		items = []any{}
	}
	body := wrap(e.p.Records.ListPath, items)
	if more := offset+size < total; more && (pg.Style == "cursor" || pg.Style == "link") {
		state := url.Values{"offset": {strconv.Itoa(offset + size)}, "since": {q.Get(e.p.ChangedSince.Param)}}
		tok := base64.RawURLEncoding.EncodeToString([]byte(state.Encode()))
		if pg.Style == "cursor" {
			m, _ := body.(map[string]any)
			if m == nil {
				m = map[string]any{"items": body}
			}
			setPath(m, pg.NextField, tok)
			body = m
		} else {
			next := url.Values{cursorParam: {tok}}
			if pg.SizeParam != "" {
				next.Set(pg.SizeParam, strconv.Itoa(size))
			}
			w.Header().Set("Link", fmt.Sprintf(`<%s%s?%s>; rel="next"`, e.URL(), e.p.Endpoints.List.Path, next.Encode()))
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// setPath sets a dotted path in m, making objects on the way.
func setPath(m map[string]any, path string, v any) {
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = v
}
