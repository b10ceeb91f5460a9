package shopifytest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// filter holds the list filters; page_info tokens carry them so follow-up
// pages see the same result set, as Shopify's do.
type filter struct {
	SinceID int64   `json:"since_id,omitempty"`
	IDs     []int64 `json:"ids,omitempty"`
	UpdMin  int64   `json:"updated_at_min,omitempty"`
	UpdMax  int64   `json:"updated_at_max,omitempty"`
	CrMin   int64   `json:"created_at_min,omitempty"`
	CrMax   int64   `json:"created_at_max,omitempty"`
}

func (f *filter) match(c *customer) bool {
	if f.SinceID != 0 && c.id <= f.SinceID {
		return false
	}
	if f.UpdMin != 0 && c.updatedAt < f.UpdMin || f.UpdMax != 0 && c.updatedAt > f.UpdMax {
		return false
	}
	if f.CrMin != 0 && c.createdAt < f.CrMin || f.CrMax != 0 && c.createdAt > f.CrMax {
		return false
	}
	if len(f.IDs) > 0 {
		for _, id := range f.IDs {
			if id == c.id {
				return true
			}
		}
		return false
	}
	return true
}

// pageInfo is the decoded page_info token: base64url JSON like Shopify's.
type pageInfo struct {
	Filter    filter `json:"filter"`
	ByUpdated bool   `json:"by_updated,omitempty"`
	Desc      bool   `json:"desc,omitempty"`
	// Prev is true for a rel="previous" token; Key is the key of the first
	// (previous) or last (next) record of the page the token was made on.
	Prev bool  `json:"prev,omitempty"`
	Key  int64 `json:"last"`
}

func (p pageInfo) encode() string { return encodeToken(p) }

// encodeToken makes a page_info token of a list's cursor: base64url JSON.
func encodeToken(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pageRequest reads a list request's limit and where its page starts: a
// page_info token, decoded into token, which Shopify lets only the
// parameters named by with accompany; or, on a first page, the filters
// parse reads (it names a parameter it cannot read). paged says which;
// ok false: the 400 has been written.
func pageRequest(w http.ResponseWriter, q url.Values, token any, parse func(url.Values) (bad string), with ...string) (limit int, paged, ok bool) {
	if limit, ok = parseLimit(w, q.Get("limit")); !ok {
		return 0, false, false
	}
	if !q.Has("page_info") {
		if bad := parse(q); bad != "" {
			writeErr(w, http.StatusBadRequest, map[string]any{bad: "Invalid value."})
			return 0, false, false
		}
		return limit, false, true
	}
	for k := range q {
		if k != "page_info" && !slices.Contains(with, k) {
			writeErr(w, http.StatusBadRequest, map[string]any{"page_info": "cannot be combined with " + k + "; only " + strings.Join(with, " and ") + " may accompany page_info"})
			return 0, true, false
		}
	}
	b, err := base64.RawURLEncoding.DecodeString(q.Get("page_info"))
	if err != nil || json.Unmarshal(b, token) != nil {
		writeErr(w, http.StatusBadRequest, map[string]any{"page_info": "Invalid value."})
		return 0, true, false
	}
	return limit, true, true
}

// view is one ordering of the store: by id (creation order) or by the
// updated_at log. Keys are ids or log sequence numbers, ascending.
type view struct {
	s         *store
	byUpdated bool
}

func (v view) n() int {
	if v.byUpdated {
		return len(v.s.log)
	}
	return len(v.s.ids)
}

func (v view) at(i int) (int64, *customer) {
	if v.byUpdated {
		e := v.s.log[i]
		return int64(e.seq), v.s.liveLog(e)
	}
	id := v.s.ids[i]
	return id, v.s.customers[id]
}

// after returns the first index whose key is > key.
func (v view) after(key int64) int {
	if v.byUpdated {
		return sort.Search(len(v.s.log), func(i int) bool { return int64(v.s.log[i].seq) > key })
	}
	return sort.Search(len(v.s.ids), func(i int) bool { return v.s.ids[i] > key })
}

// start is where a first page begins scanning, using the index to skip
// records the filter excludes anyway.
func (v view) start(f filter, desc bool) int {
	if desc {
		return v.n() - 1
	}
	if v.byUpdated && f.UpdMin != 0 {
		return sort.Search(len(v.s.log), func(i int) bool { return v.s.log[i].ts >= f.UpdMin })
	}
	if !v.byUpdated && f.SinceID != 0 {
		return v.after(f.SinceID)
	}
	return 0
}

type hit struct {
	key int64
	c   *customer
}

func (e *Emulator) list(w http.ResponseWriter, r *http.Request, version string) {
	q := r.URL.Query()
	var p pageInfo
	limit, paged, ok := pageRequest(w, q, &p, func(q url.Values) (bad string) {
		p, bad = parseListQuery(q)
		return bad
	}, "limit", "fields")
	if !ok {
		return
	}

	e.mu.RLock()
	v := view{s: e.st, byUpdated: p.ByUpdated}
	// Scan forward for asc/next and desc/prev, backward otherwise.
	forward := p.Desc == p.Prev
	var i int
	switch {
	case !paged:
		i = v.start(p.Filter, p.Desc)
	case forward:
		i = v.after(p.Key)
	default:
		i = v.after(p.Key-1) - 1
	}
	hits := make([]hit, 0, limit+1)
	for ; i >= 0 && i < v.n() && len(hits) <= limit; i = step(i, forward) {
		key, c := v.at(i)
		if c != nil && p.Filter.match(c) {
			hits = append(hits, hit{key, c})
		}
	}
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	if paged && p.Prev {
		for a, b := 0, len(hits)-1; a < b; a, b = a+1, b-1 {
			hits[a], hits[b] = hits[b], hits[a]
		}
	}
	fields := q.Get("fields")
	out := make([]any, len(hits))
	for j, h := range hits {
		out[j] = filterFields(e.st.render(h.c), fields)
	}
	e.mu.RUnlock()

	hasPrev, hasNext := paged && (!p.Prev || more), !paged && more || paged && (p.Prev || more)
	var links []string
	if len(hits) > 0 {
		base := linkBase(r, version, "customers.json", limit, fields)
		if hasPrev {
			t := p
			t.Prev, t.Key = true, hits[0].key
			links = append(links, "<"+base+url.QueryEscape(t.encode())+`>; rel="previous"`)
		}
		if hasNext {
			t := p
			t.Prev, t.Key = false, hits[len(hits)-1].key
			links = append(links, "<"+base+url.QueryEscape(t.encode())+`>; rel="next"`)
		}
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": out})
}

func step(i int, forward bool) int {
	if forward {
		return i + 1
	}
	return i - 1
}

// linkBase is the Link header URL of a listing of resource ("orders.json")
// up to its page_info value.
func linkBase(r *http.Request, version, resource string, limit int, fields string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	s := scheme + "://" + r.Host + "/admin/api/" + version + "/" + resource + "?limit=" + strconv.Itoa(limit)
	if fields != "" {
		s += "&fields=" + url.QueryEscape(fields)
	}
	return s + "&page_info="
}

// parseListQuery reads filters and order of a first page; it returns the
// name of an invalid parameter.
func parseListQuery(q url.Values) (pageInfo, string) {
	var p pageInfo
	var err error
	if v := q.Get("since_id"); v != "" {
		if p.Filter.SinceID, err = strconv.ParseInt(v, 10, 64); err != nil {
			return p, "since_id"
		}
	}
	if p.Filter.IDs, err = parseIDs(q.Get("ids")); err != nil {
		return p, "ids"
	}
	for name, dst := range map[string]*int64{
		"updated_at_min": &p.Filter.UpdMin, "updated_at_max": &p.Filter.UpdMax,
		"created_at_min": &p.Filter.CrMin, "created_at_max": &p.Filter.CrMax,
	} {
		if v := q.Get(name); v != "" {
			t, ok := parseTime(v)
			if !ok {
				return p, name
			}
			*dst = t.Unix()
			if *dst == 0 {
				*dst = 1 // 0 means "no filter"; 1970-01-01T00:00:00Z filters nothing anyway
			}
		}
	}
	var ok bool
	if p.ByUpdated, p.Desc, ok = parseSort(q.Get("order")); !ok {
		return p, "order"
	}
	return p, ""
}

// parseIDs reads the ids parameter, a comma-separated list (nil if empty).
func parseIDs(v string) ([]int64, error) {
	if v == "" {
		return nil, nil
	}
	var ids []int64
	for _, s := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// parseSort reads the order parameter: "updated_at", "id" or "created_at",
// optionally followed by "asc" or "desc" (ascending by default); ok is false
// for anything else.
func parseSort(v string) (byUpdated, desc, ok bool) {
	o := strings.Fields(v)
	if len(o) == 0 {
		return false, false, true
	}
	switch o[0] {
	case "updated_at":
		byUpdated = true
	case "id", "created_at":
	default:
		return false, false, false
	}
	if len(o) > 1 {
		switch strings.ToLower(o[1]) {
		case "desc":
			desc = true
		case "asc":
		default:
			return false, false, false
		}
	}
	return byUpdated, desc, true
}

func parseTime(v string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
