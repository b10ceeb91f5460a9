// Package odootest is an in-memory Odoo for tests and demos: the JSON-2
// API (POST /json/2/<model>/<method>, bearer API key, X-Odoo-Database),
// the legacy /jsonrpc endpoint (common.authenticate, object.execute_kw),
// res.partner with res.country, res.country.state and res.partner.category,
// domains with the prefix operators &, |, ! and the usual comparison
// operators, fields, order, limit/offset, create/write/unlink, and error
// bodies shaped like Odoo's ({name, message, arguments, context, debug}).
package odootest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// Defaults used when Options leave a field zero.
const (
	DefaultAPIKey   = "odoo-api-key-0123456789abcdef"
	DefaultDatabase = "shophub"
	DefaultLogin    = "shophub@example.com"
	// DateLayout is how Odoo writes datetimes (UTC).
	DateLayout = "2006-01-02 15:04:05"
)

// Options configure an Emulator.
type Options struct {
	APIKey   string
	Database string
	Login    string
	// Version is what /web/version reports (default "19.0"). Below 19 the
	// JSON-2 routes answer 404, as an Odoo 17 or 18 would.
	Version string
	// Now is the clock (default time.Now); SetNow overrides it.
	Now func() time.Time
	// NoInventory leaves out Inventory and its sales bridge (stock,
	// sale_stock): no stock.* models, as on a database with Sales and
	// Invoicing only.
	NoInventory bool
}

// Emulator is an in-memory Odoo database. It is safe for concurrent use.
// Its request log (RequestLog) holds "model/method" (JSON-2) or "jsonrpc
// service.method model/method" of every call.
type Emulator struct {
	opts Options

	mu sync.Mutex
	st *store

	emulator.Clock

	emulator.Server
}

// New builds an emulator; serve it with Handler or Start.
func New(opts Options) *Emulator {
	if opts.APIKey == "" {
		opts.APIKey = DefaultAPIKey
	}
	if opts.Database == "" {
		opts.Database = DefaultDatabase
	}
	if opts.Login == "" {
		opts.Login = DefaultLogin
	}
	if opts.Version == "" {
		opts.Version = "19.0"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	major, _ := strconv.Atoi(strings.SplitN(opts.Version, ".", 2)[0])
	return &Emulator{opts: opts, st: newStore(!opts.NoInventory, major), Clock: emulator.Clock{Base: opts.Now}}
}

// Handler serves the API.
func (e *Emulator) Handler() http.Handler { return http.HandlerFunc(e.serveHTTP) }

// Start serves the emulator on a local server and returns its base URL.
func (e *Emulator) Start() string { return e.Server.Start(e.Handler()) }

// ---- clock ----

func (e *Emulator) stamp() string { return e.Now().UTC().Format(DateLayout) }

// ---- test controls ----

// Seed creates n individual customers as an import would, all stamped
// with the current clock second, and returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.stamp()
	de := e.st.countryID("DE")
	ids := make([]string, n)
	for i := range n {
		m := e.st.models["res.partner"]
		next := m.nextID
		first, last := emulator.SeedName(i)
		id := e.st.insert("res.partner", record{
			"name":          first + " " + last,
			"email":         fmt.Sprintf("partner%d@example.com", next),
			"ref":           fmt.Sprintf("K%05d", next),
			"street":        fmt.Sprintf("Hauptstraße %d", i+1),
			"zip":           "10115",
			"city":          "Berlin",
			"country_id":    de,
			"customer_rank": int64(1),
		}, now)
		ids[i] = strconv.FormatInt(id, 10)
	}
	return ids
}

// CreateCustomer creates a res.partner as a user would in Odoo's form,
// with vals as JSON-2 takes them (many2one ids, category commands; also
// "country_code" and "state_code" for convenience). It panics on input
// Odoo would reject: the input is the test's own.
func (e *Emulator) CreateCustomer(vals map[string]any) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids, err := e.create("res.partner", []any{e.convenience(jsonish(vals))})
	if err != nil {
		panic(fmt.Sprintf("odootest: CreateCustomer: %v", err))
	}
	return strconv.FormatInt(ids[0], 10)
}

// UpdateCustomer writes vals to a partner as a user editing its form
// would: write_date moves even when nothing changed, as in Odoo.
func (e *Emulator) UpdateCustomer(id string, vals map[string]any) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("odootest: no partner %s", id)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if oerr := e.write("res.partner", []int64{n}, e.convenience(jsonish(vals))); oerr != nil {
		return fmt.Errorf("odootest: update %s: %v", id, oerr)
	}
	return nil
}

// Tx is a database transaction in progress, as a long import or a
// scheduled action runs one. Odoo stamps write_date with the time its
// transaction began (the cursor's now(), PostgreSQL's transaction start),
// and nobody sees the writes until the commit: a transaction that runs
// for minutes commits rows dated minutes in the past, behind what polls
// have already read.
type Tx struct {
	e     *Emulator
	start string
	ops   []txWrite
}

type txWrite struct {
	id   int64
	vals map[string]any
}

// Begin starts a transaction at the emulator's current time.
func (e *Emulator) Begin() *Tx { return &Tx{e: e, start: e.stamp()} }

// UpdateCustomer writes vals to a partner inside the transaction: invisible
// until Commit.
func (tx *Tx) UpdateCustomer(id string, vals map[string]any) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return fmt.Errorf("odootest: no partner %s", id)
	}
	tx.ops = append(tx.ops, txWrite{n, jsonish(vals)})
	return nil
}

// Commit makes the transaction's writes visible, each stamped with the
// transaction's start.
func (tx *Tx) Commit() error {
	e := tx.e
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, op := range tx.ops {
		if oerr := e.writeAt("res.partner", []int64{op.id}, e.convenience(op.vals), tx.start); oerr != nil {
			return fmt.Errorf("odootest: commit: %v", oerr)
		}
	}
	return nil
}

// convenience turns country_code/state_code into many2one ids.
func (e *Emulator) convenience(vals map[string]any) map[string]any {
	if code, ok := vals["country_code"].(string); ok {
		delete(vals, "country_code")
		vals["country_id"] = float64(e.st.countryID(code))
	}
	if code, ok := vals["state_code"].(string); ok {
		delete(vals, "state_code")
		cid, _ := vals["country_id"].(float64)
		for id, r := range e.st.models["res.country.state"].recs {
			if r["code"] == code && (cid == 0 || r["country_id"] == int64(cid)) {
				vals["state_id"] = float64(id)
			}
		}
	}
	return vals
}

// jsonish converts Go literals to what JSON decoding yields.
func jsonish(v map[string]any) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}

// Invoice marks a partner as referred to by a journal entry (an invoice),
// which makes Odoo refuse to unlink it.
func (e *Emulator) Invoice(id string) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.st.invoiced[n] = true
}

// DeleteCustomer unlinks a partner.
func (e *Emulator) DeleteCustomer(id string) bool {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st.models["res.partner"].recs[n] == nil {
		return false
	}
	delete(e.st.models["res.partner"].recs, n)
	return true
}

// Customer returns a partner as search_read renders it with all fields,
// plus country_code, state_code and category names for test convenience.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.st.models["res.partner"]
	r := m.recs[n]
	if r == nil {
		return nil, false
	}
	out := e.st.render(m, r, nil)
	if c := e.st.models["res.country"].recs[asID(r["country_id"])]; c != nil {
		out["country_code"] = c["code"]
	}
	if s := e.st.models["res.country.state"].recs[asID(r["state_id"])]; s != nil {
		out["state_code"] = s["code"]
	}
	var tags []string
	cats, _ := r["category_id"].([]int64)
	for _, cid := range cats {
		if c := e.st.models["res.partner.category"].recs[cid]; c != nil {
			tags = append(tags, c["name"].(string))
		}
	}
	out["category_names"] = tags
	return out, true
}

func asID(v any) int64 { n, _ := v.(int64); return n }

// FindByEmail returns the id of the partner with that email.
func (e *Emulator) FindByEmail(email string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, r := range e.st.models["res.partner"].recs {
		if s, _ := r["email"].(string); strings.EqualFold(s, strings.TrimSpace(email)) {
			return strconv.FormatInt(id, 10), true
		}
	}
	return "", false
}

// Count returns the number of partners, archived ones included.
func (e *Emulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.st.models["res.partner"].recs)
}

// Categories returns the partner tag names.
func (e *Emulator) Categories() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, r := range e.st.models["res.partner.category"].recs {
		out = append(out, r["name"].(string))
	}
	slices.Sort(out)
	return out
}

// ---- HTTP ----

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/web/version" {
		writeJSON(w, 200, map[string]any{"version": e.opts.Version, "version_info": []any{e.major(), 0, 0, "final", 0, ""}})
		return
	}
	switch f := e.Take(); {
	case f.Throttled:
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		writeJSON(w, 429, errBody("werkzeug.exceptions.TooManyRequests", "Too many requests"))
		return
	case f.Status != 0:
		writeJSON(w, f.Status, errBody("odoo.exceptions.UserError", fmt.Sprintf("injected failure (%d)", f.Status)))
		return
	}
	if r.Method != http.MethodPost {
		writeJSON(w, 405, errBody("werkzeug.exceptions.MethodNotAllowed", "The method is not allowed for the requested URL."))
		return
	}
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/jsonrpc" {
		e.serveJSONRPC(w, body)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/json/2/")
	if !ok || e.major() < 19 {
		writeJSON(w, 404, errBody("werkzeug.exceptions.NotFound", "The requested URL was not found on the server."))
		return
	}
	modelName, method, ok := strings.Cut(rest, "/")
	if !ok {
		writeJSON(w, 404, errBody("werkzeug.exceptions.NotFound", "The requested URL was not found on the server."))
		return
	}
	auth := r.Header.Get("Authorization")
	scheme, key, _ := strings.Cut(auth, " ")
	if !strings.EqualFold(scheme, "bearer") || key != e.opts.APIKey {
		writeJSON(w, 401, errBody("werkzeug.exceptions.Unauthorized", "Invalid apikey"))
		return
	}
	if db := r.Header.Get("X-Odoo-Database"); db != "" && db != e.opts.Database {
		writeJSON(w, 404, errBody("werkzeug.exceptions.NotFound", fmt.Sprintf("database %q not found", db)))
		return
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		writeJSON(w, 415, errBody("werkzeug.exceptions.UnsupportedMediaType", "expected application/json"))
		return
	}
	var kw map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	if len(bytes.TrimSpace(body)) > 0 {
		if err := dec.Decode(&kw); err != nil {
			writeJSON(w, 400, errBody("werkzeug.exceptions.BadRequest", "Invalid JSON data: "+err.Error()))
			return
		}
	}
	e.Log(modelName + "/" + method)
	res, oerr := e.dispatch(modelName, method, kw)
	if oerr != nil {
		writeJSON(w, oerr.status, errBody(oerr.name, oerr.msg))
		return
	}
	writeJSON(w, 200, res)
}

func (e *Emulator) major() int {
	n, _ := strconv.Atoi(strings.SplitN(e.opts.Version, ".", 2)[0])
	return n
}

func errBody(name, msg string) map[string]any {
	return map[string]any{"name": name, "message": msg, "arguments": []any{msg}, "context": map[string]any{},
		"debug": "Traceback (most recent call last):\n  ...\n" + name + ": " + msg}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (e *Emulator) hasModel(name string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.models[name] != nil
}

// dispatch runs one model method with named arguments.
func (e *Emulator) dispatch(modelName, method string, kw map[string]any) (any, *odooError) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := e.st.models[modelName]
	if m == nil {
		return nil, &odooError{status: 404, name: "werkzeug.exceptions.NotFound", msg: fmt.Sprintf("model %q not found", modelName)}
	}
	known := map[string][]string{
		"search_read":  {"domain", "fields", "limit", "offset", "order", "context"},
		"search":       {"domain", "limit", "offset", "order", "context"},
		"search_count": {"domain", "limit", "context"},
		"read":         {"ids", "fields", "context"},
		"create":       {"vals_list", "context"},
		"write":        {"ids", "vals", "context"},
		"unlink":       {"ids", "context"},
	}
	args, ok := known[method]
	if !ok {
		return nil, &odooError{status: 404, name: "werkzeug.exceptions.NotFound", msg: fmt.Sprintf("method %q not found on %s", method, modelName)}
	}
	for k := range kw {
		if !slices.Contains(args, k) {
			return nil, &odooError{status: 422, name: "builtins.TypeError",
				msg: fmt.Sprintf("%s.%s() got an unexpected keyword argument '%s'", modelName, method, k)}
		}
	}
	switch method {
	case "search_read", "search", "search_count":
		recs, err := e.search(m, kw)
		if err != nil {
			return nil, err
		}
		switch method {
		case "search_count":
			return len(recs), nil
		case "search":
			ids := make([]int64, len(recs))
			for i, r := range recs {
				ids[i] = r["id"].(int64)
			}
			return ids, nil
		}
		fields, err := fieldList(m, kw["fields"])
		if err != nil {
			return nil, err
		}
		out := make([]any, len(recs))
		for i, r := range recs {
			out[i] = e.st.render(m, r, fields)
		}
		return out, nil
	case "read":
		ids, err := idList(kw["ids"])
		if err != nil {
			return nil, err
		}
		fields, oerr := fieldList(m, kw["fields"])
		if oerr != nil {
			return nil, oerr
		}
		var out []any
		var missing []int64
		for _, id := range ids {
			if r := m.recs[id]; r != nil {
				out = append(out, e.st.render(m, r, fields))
			} else {
				missing = append(missing, id)
			}
		}
		if len(missing) > 0 {
			return nil, missingError(modelName, missing)
		}
		return out, nil
	case "create":
		list, ok := kw["vals_list"].([]any)
		if !ok {
			if one, isMap := kw["vals_list"].(map[string]any); isMap {
				list = []any{one}
			} else {
				return nil, &odooError{status: 422, name: "builtins.TypeError", msg: modelName + ".create() missing 1 required positional argument: 'vals_list'"}
			}
		}
		ids, err := e.create(modelName, list)
		if err != nil {
			return nil, err
		}
		return ids, nil
	case "write":
		ids, err := idList(kw["ids"])
		if err != nil {
			return nil, err
		}
		vals, ok := kw["vals"].(map[string]any)
		if !ok {
			return nil, &odooError{status: 422, name: "builtins.TypeError", msg: modelName + ".write() missing 1 required positional argument: 'vals'"}
		}
		if err := e.write(modelName, ids, vals); err != nil {
			return nil, err
		}
		return true, nil
	case "unlink":
		ids, err := idList(kw["ids"])
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			if m.recs[id] == nil {
				return nil, missingError(modelName, []int64{id})
			}
			if modelName == "res.partner" && e.st.invoiced[id] {
				// What Odoo answers when journal entries refer to the
				// partner: the foreign key holds, the user is told to
				// archive instead.
				return nil, &odooError{status: 422, name: "odoo.exceptions.UserError", msg: "The operation cannot be completed: " +
					"another model requires the record being deleted. If possible, archive it instead.\n\n" +
					"Model: Journal Entry (account.move), Field: Partner (partner_id)"}
			}
		}
		for _, id := range ids {
			delete(m.recs, id)
		}
		return true, nil
	}
	return nil, nil
}

func idList(v any) ([]int64, *odooError) {
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case float64:
		list = []any{x}
	default:
		return nil, valueError("ids: want a list of record ids, got %v", v)
	}
	ids := make([]int64, 0, len(list))
	for _, e := range list {
		n, ok := e.(float64)
		if !ok {
			return nil, valueError("ids: want a list of record ids, got %v", v)
		}
		ids = append(ids, int64(n))
	}
	return ids, nil
}

func fieldList(m *model, v any) ([]string, *odooError) {
	if v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, valueError("fields: want a list of field names")
	}
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		if _, ok := m.fields[s]; !ok {
			return nil, valueError("Invalid field '%s' on model '%s'", s, m.name)
		}
		out = append(out, s)
	}
	return out, nil
}

// activeTest: archived records are left out unless the call's context
// says active_test: false, as Odoo's search does.
func activeTest(kw map[string]any) bool {
	c, _ := kw["context"].(map[string]any)
	v, ok := c["active_test"].(bool)
	return !ok || v
}

func (e *Emulator) search(m *model, kw map[string]any) ([]record, *odooError) {
	dom, mentionsActive, err := parseDomain(kw["domain"])
	if err != nil {
		return nil, valueError("%s", err.Error())
	}
	_, hasActive := m.fields["active"]
	var out []record
	for _, id := range slices.Sorted(maps.Keys(m.recs)) {
		r := m.recs[id]
		if hasActive && !mentionsActive && activeTest(kw) && r["active"] == false {
			continue // active_test
		}
		ok, err := dom.match(m, r)
		if err != nil {
			return nil, valueError("%s", err.Error())
		}
		if ok {
			out = append(out, r)
		}
	}
	order, _ := kw["order"].(string)
	if err := sortRecords(m, out, order); err != nil {
		return nil, valueError("%s", err.Error())
	}
	offset, _ := kw["offset"].(float64)
	if int(offset) >= len(out) {
		return nil, nil
	}
	out = out[int(offset):]
	if limit, ok := kw["limit"].(float64); ok && limit > 0 && int(limit) < len(out) {
		out = out[:int(limit)]
	}
	return out, nil
}

func (e *Emulator) create(modelName string, list []any) ([]int64, *odooError) {
	m := e.st.models[modelName]
	now := e.stamp()
	var ids []int64
	for _, x := range list {
		vals, ok := x.(map[string]any)
		if !ok {
			return nil, valueError("create: want a list of dicts")
		}
		r := record{}
		if _, err := e.st.applyVals(m, r, vals); err != nil {
			return nil, err
		}
		for _, req := range m.required {
			if v := r[req]; v == nil || v == "" || v == int64(0) {
				return nil, &odooError{status: 422, name: "odoo.exceptions.ValidationError",
					msg: fmt.Sprintf("The operation cannot be completed: Missing required value for the field '%s' (%s)", req, req)}
			}
		}
		if modelName == "res.partner" {
			if em, _ := r["email"].(string); em != "" && !strings.Contains(em, "@") {
				return nil, &odooError{status: 422, name: "odoo.exceptions.ValidationError", msg: fmt.Sprintf("Invalid email address %q", em)}
			}
		}
		ids = append(ids, e.st.insert(modelName, r, now))
	}
	return ids, nil
}

func (e *Emulator) write(modelName string, ids []int64, vals map[string]any) *odooError {
	return e.writeAt(modelName, ids, vals, e.stamp())
}

// writeAt writes vals stamped with now, the start of the transaction the
// write runs in (see Tx).
func (e *Emulator) writeAt(modelName string, ids []int64, vals map[string]any, now string) *odooError {
	m := e.st.models[modelName]
	for _, id := range ids {
		if m.recs[id] == nil {
			return missingError(modelName, []int64{id})
		}
	}
	for _, id := range ids {
		next := maps.Clone(m.recs[id])
		if _, err := e.st.applyVals(m, next, vals); err != nil {
			return err
		}
		if modelName == "res.partner" {
			if em, _ := next["email"].(string); em != "" && !strings.Contains(em, "@") {
				return &odooError{status: 422, name: "odoo.exceptions.ValidationError", msg: fmt.Sprintf("Invalid email address %q", em)}
			}
		}
		next["write_date"] = now // Odoo stamps every write, changed or not
		m.recs[id] = next
	}
	return nil
}

// ---- legacy /jsonrpc ----

func (e *Emulator) serveJSONRPC(w http.ResponseWriter, body []byte) {
	var req struct {
		ID     any `json:"id"`
		Params struct {
			Service string `json:"service"`
			Method  string `json:"method"`
			Args    []any  `json:"args"`
		} `json:"params"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, 400, errBody("werkzeug.exceptions.BadRequest", "Invalid JSON data"))
		return
	}
	fail := func(name, msg string) {
		writeJSON(w, 200, map[string]any{"jsonrpc": "2.0", "id": req.ID, "error": map[string]any{
			"code": 200, "message": "Odoo Server Error",
			"data": map[string]any{"name": name, "message": msg, "arguments": []any{msg}, "context": map[string]any{}, "debug": name + ": " + msg}}})
	}
	ok := func(v any) { writeJSON(w, 200, map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": v}) }
	p := req.Params
	e.Log("jsonrpc " + p.Service + "." + p.Method)
	switch p.Service + "." + p.Method {
	case "common.version":
		ok(map[string]any{"server_version": e.opts.Version})
	case "common.authenticate", "common.login":
		if len(p.Args) < 3 || p.Args[0] != e.opts.Database || p.Args[1] != e.opts.Login || p.Args[2] != e.opts.APIKey {
			ok(false)
			return
		}
		ok(2)
	case "object.execute_kw":
		if len(p.Args) < 5 || p.Args[0] != e.opts.Database || p.Args[1] != float64(2) || p.Args[2] != e.opts.APIKey {
			fail("odoo.exceptions.AccessDenied", "Access Denied")
			return
		}
		modelName, _ := p.Args[3].(string)
		method, _ := p.Args[4].(string)
		var pos []any
		if len(p.Args) > 5 {
			pos, _ = p.Args[5].([]any)
		}
		kw := map[string]any{}
		if len(p.Args) > 6 {
			if m, isMap := p.Args[6].(map[string]any); isMap {
				kw = m
			}
		}
		names := map[string][]string{
			"search_read": {"domain", "fields", "offset", "limit", "order"}, "search": {"domain", "offset", "limit", "order"},
			"search_count": {"domain"}, "read": {"ids", "fields"}, "create": {"vals_list"}, "write": {"ids", "vals"}, "unlink": {"ids"},
		}[method]
		for i, a := range pos {
			if i < len(names) {
				kw[names[i]] = a
			}
		}
		e.Log(modelName + "/" + method)
		if !e.hasModel(modelName) {
			// odoo/service/model.py execute_cr: the registry has no such
			// model (its module is not installed).
			fail("odoo.exceptions.UserError", fmt.Sprintf("Object %s doesn't exist", modelName))
			return
		}
		res, oerr := e.dispatch(modelName, method, kw)
		if oerr != nil {
			fail(oerr.name, oerr.msg)
			return
		}
		ok(res)
	default:
		fail("builtins.NameError", fmt.Sprintf("unknown method %s.%s", p.Service, p.Method))
	}
}
