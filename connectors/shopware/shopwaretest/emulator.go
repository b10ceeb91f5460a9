// Package shopwaretest is an in-memory Shopware 6 Admin API for tests,
// benchmarks and `shophub dev`: OAuth client credentials, DAL criteria
// search, customer writes in the DAL's nested style, and app-system webhooks
// signed with shopware-shop-signature.
//
// Deviations from real Shopware, on purpose:
//   - Throttled answers carry a Retry-After header besides the wait in the
//     error body (meta.parameters.seconds). Real Shopware only sends the
//     body; the header lets tests exercise the shared client's fractional
//     waits. The connector reads both.
//   - Only the entities a customer and order sync touches exist; reference data
//     (countries, sales channels, groups, payment methods, salutations) is
//     seeded and read-only.
//   - Every response is plain JSON (Accept: application/json), never JSON:API.
package shopwaretest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
	"github.com/shophub/shophub/internal/jsonx"
)

// Options configure an Emulator. Zero values give working defaults.
type Options struct {
	// ClientID and ClientSecret are the integration's credentials
	// (default "SWIA-test" / "test-secret").
	ClientID     string
	ClientSecret string
	// AppSecret signs webhooks (hex HMAC-SHA256 in shopware-shop-signature).
	AppSecret string
	// WebhookURL receives deliveries; empty means no deliveries.
	WebhookURL string
	// TokenTTL is the access token lifetime (default 600 s, PT10M).
	TokenTTL time.Duration
	// WebhookEvents are the subscribed events (default customer.written,
	// customer.deleted and OrderEvents). customer_address.written is
	// available too.
	WebhookEvents []string
	// WebhookRetryDelays is the queue-mode retry schedule after a failed
	// delivery (default 1 s, 2 s, 4 s as Symfony Messenger does). A non-nil
	// empty slice disables retries (admin-worker mode: one try).
	WebhookRetryDelays []time.Duration
	// OAuthLimit enables Shopware's `oauth` rate limiter: more than this
	// many token requests in OAuthWindow are answered 429 (0 = off).
	OAuthLimit  int
	OAuthWindow time.Duration
	// ShopID identifies the shop in webhook bodies (default random).
	ShopID string
	// Version is sent as sw-version (default 6.6.10.0).
	Version string
	// ReturnManagement installs the Shopware Commercial Return Management
	// extension: orders get the returns association (returns.go), and the
	// default WebhookEvents include ReturnEvents.
	ReturnManagement bool
}

// Emulator is an in-memory Shopware shop. All methods are safe for
// concurrent use.
type Emulator struct {
	opts    Options
	handler http.Handler
	emulator.Server

	mu         sync.Mutex
	st         *store
	tokens     map[string]time.Time
	issued     int
	oauthTimes []time.Time
	hookURL    string
	closed     bool
	// appSecret signs webhooks: Options.AppSecret until InstallApp
	// replaces it with the per-shop secret (app.go).
	appSecret string
	// integrations are OAuth clients besides Options.ClientID: those
	// created for installed apps.
	integrations map[string]string

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	client *http.Client
}

// New builds an emulator; call Start for a listening server or mount
// Handler yourself.
func New(opts Options) *Emulator {
	if opts.ClientID == "" {
		opts.ClientID = "SWIA-test"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "test-secret"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 600 * time.Second
	}
	if opts.WebhookEvents == nil {
		opts.WebhookEvents = append([]string{"customer.written", "customer.deleted"}, OrderEvents()...)
		if opts.ReturnManagement {
			opts.WebhookEvents = append(opts.WebhookEvents, ReturnEvents()...)
		}
	}
	if opts.WebhookRetryDelays == nil {
		opts.WebhookRetryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}
	}
	if opts.OAuthWindow <= 0 {
		opts.OAuthWindow = 10 * time.Second
	}
	if opts.ShopID == "" {
		opts.ShopID = NewID()[:16]
	}
	if opts.Version == "" {
		opts.Version = "6.6.10.0"
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		opts: opts, st: newStore(), tokens: map[string]time.Time{}, hookURL: opts.WebhookURL,
		appSecret: opts.AppSecret, integrations: map[string]string{},
		ctx: ctx, cancel: cancel, client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 20 * time.Second},
	}
	e.st.orders.returnManagement = opts.ReturnManagement
	e.handler = e.routes()
	return e
}

// Handler serves the Admin API under /api.
func (e *Emulator) Handler() http.Handler { return e.handler }

// Start serves the emulator on a local port and returns its base URL.
func (e *Emulator) Start() string { return e.Server.Start(e.handler) }

// Close stops the server and pending webhook deliveries. Safe to call twice.
func (e *Emulator) Close() {
	e.mu.Lock()
	e.closed = true
	e.mu.Unlock()
	e.cancel()
	e.Server.Close()
	e.wg.Wait()
}

// ---- test controls ----

// Throttle answers 429 with the wait in the error body
// (meta.parameters.seconds, rounded up) plus a Retry-After header with the
// exact value; FailNext answers a Shopware error body. Requests counts
// every HTTP request served, token requests included.

// Seed creates n customers in bulk (as an import would: no webhooks) and
// returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, n)
	for i := 0; i < n; i++ {
		id := NewID()
		if _, errs := e.st.writeCustomer(id, e.st.seedBody(i), true); len(errs) > 0 {
			panic(fmt.Sprintf("shopwaretest: seed: %+v", errs))
		}
		ids = append(ids, id)
	}
	return ids
}

// CreateCustomer creates a customer as a merchant in the admin would, filling
// required fields the body leaves out (addresses may give countryIso instead
// of countryId), fires webhooks and returns the id. It panics on a body the
// API would reject: that is a bug in the test.
func (e *Emulator) CreateCustomer(fields map[string]any) string {
	e.mu.Lock()
	id, _ := fields["id"].(string)
	if id == "" {
		id = NewID()
	}
	changes, errs := e.st.writeCustomer(id, e.st.fillDefaults(fields), true)
	e.mu.Unlock()
	if len(errs) > 0 {
		panic(fmt.Sprintf("shopwaretest: CreateCustomer: %+v", errs))
	}
	e.emit(changes)
	return id
}

// UpdateCustomer changes a customer as a merchant in the admin would: a
// partial body (nested defaultBillingAddress fields merge into the existing
// address), updatedAt bumped, customer.written sent. It reports whether the
// customer exists and panics on a body the API would reject.
func (e *Emulator) UpdateCustomer(id string, fields map[string]any) bool {
	e.mu.Lock()
	c, ok := e.st.customers[id]
	if !ok {
		e.mu.Unlock()
		return false
	}
	body := map[string]any{}
	for k, v := range fields {
		if m, isMap := v.(map[string]any); isMap && (k == "defaultBillingAddress" || k == "defaultShippingAddress") {
			m = cloneMap(m)
			if _, has := m["id"]; !has {
				m["id"] = c[k+"Id"]
			}
			if iso, ok := m["countryIso"].(string); ok {
				m["countryId"] = e.st.countryID(iso)
				delete(m, "countryIso")
			}
			v = m
		}
		body[k] = v
	}
	changes, errs := e.st.writeCustomer(id, body, false)
	e.mu.Unlock()
	if len(errs) > 0 {
		panic(fmt.Sprintf("shopwaretest: UpdateCustomer: %+v", errs))
	}
	e.emit(changes)
	return true
}

// DeleteCustomer deletes a customer as a merchant would (customer.deleted).
func (e *Emulator) DeleteCustomer(id string) bool {
	e.mu.Lock()
	ok := e.st.deleteCustomer(id)
	e.mu.Unlock()
	if ok {
		e.emit([]change{{entity: "customer", operation: "delete", id: id}})
	}
	return ok
}

// Customer returns a customer rendered as the API renders it with every
// association loaded.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.st.render(id, nil)
	return r, r != nil
}

// Count is the number of customers.
func (e *Emulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.st.customers)
}

// CountryID returns the seeded country id for an ISO-2 code ("" if none).
func (e *Emulator) CountryID(iso string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st.countryID(iso)
}

// TokensIssued counts access tokens issued.
func (e *Emulator) TokensIssued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.issued
}

// ExpireTokens invalidates every issued access token.
func (e *Emulator) ExpireTokens() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.tokens)
}

// SetWebhookURL changes where deliveries go ("" stops them).
func (e *Emulator) SetWebhookURL(url string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hookURL = url
}

// Sign returns hex HMAC-SHA256 of body with the app secret, the value of
// shopware-shop-signature: Options.AppSecret, or once InstallApp ran, the
// per-shop secret the app handed out.
func (e *Emulator) Sign(body []byte) string {
	e.mu.Lock()
	secret := e.appSecret
	e.mu.Unlock()
	return hmacHex(secret, body)
}

// SignedDelivery builds a delivery of event (e.g. "customer.written") for
// ids exactly as the shop would send it, with a fresh event id.
func (e *Emulator) SignedDelivery(event string, ids []string) (http.Header, []byte) {
	entity, _, _ := strings.Cut(event, ".")
	op := "update"
	if strings.HasSuffix(event, ".deleted") {
		op = "delete"
	}
	items := make([]change, 0, len(ids))
	for _, id := range ids {
		items = append(items, change{entity: entity, operation: op, id: id, fields: []string{"updatedAt"}})
	}
	body := e.webhookBody(event, items)
	return e.webhookHeader(body), body
}

// ---- HTTP ----

func (e *Emulator) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/oauth/token", e.handleToken)
	mux.HandleFunc("POST /api/search/{entity}", e.authed(e.handleSearch))
	mux.HandleFunc("POST /api/customer", e.authed(e.handleCreate))
	mux.HandleFunc("GET /api/customer/{id}", e.authed(e.handleGet))
	mux.HandleFunc("PATCH /api/customer/{id}", e.authed(e.handlePatch))
	mux.HandleFunc("DELETE /api/customer/{id}", e.authed(e.handleDelete))
	mux.HandleFunc("DELETE /api/customer/{id}/tags/{tagId}", e.authed(e.handleUntag))
	mux.HandleFunc("PATCH /api/customer-address/{id}", e.authed(e.handlePatchAddress))
	mux.HandleFunc("POST /api/tag", e.authed(e.handleCreateTag))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeErrors(w, http.StatusNotFound, apiError{Code: "0", Status: "404", Title: "Not Found", Detail: "No route found for \"" + r.Method + " " + r.URL.Path + "\""})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/search/") && r.URL.Path != "/api/oauth/token" {
			e.CountWrite()
		}
		if e.injected(w) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// injected answers throttled or failing requests.
func (e *Emulator) injected(w http.ResponseWriter) bool {
	switch f := e.Take(); {
	case f.Throttled:
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		writeErrors(w, http.StatusTooManyRequests, rateLimited(f.RetryAfter))
		return true
	case f.Status != 0:
		writeErrors(w, f.Status, apiError{Code: "0", Status: strconv.Itoa(f.Status), Title: http.StatusText(f.Status), Detail: "Injected failure."})
		return true
	}
	return false
}

func rateLimited(wait time.Duration) apiError {
	secs := int(math.Ceil(wait.Seconds()))
	return apiError{Code: "FRAMEWORK__RATE_LIMIT_EXCEEDED", Status: "429", Title: "Too Many Requests",
		Detail: fmt.Sprintf("Too many requests, try again in %d seconds.", secs),
		Meta:   map[string]any{"parameters": map[string]any{"seconds": secs}}}
}

// writeJSON writes what a json.Encoder's Encode writes, through jsonx
// (the same bytes): in the benchmarks the emulator shares the cores with
// shophub, and encoding/json's encoding of its answers was a fifth of
// the emulators' CPU.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := jsonx.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err == nil {
		_, _ = w.Write(append(b, '\n'))
	}
}

func writeErrors(w http.ResponseWriter, status int, errs ...apiError) {
	writeJSON(w, status, map[string]any{"errors": errs})
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<20))
	if err == nil {
		err = jsonx.DecodeNumbers(b, v) // a json.Decoder's Decode after UseNumber
	}
	if err != nil {
		writeErrors(w, http.StatusBadRequest, apiError{Code: "FRAMEWORK__INVALID_REQUEST_PARAMETER", Status: "400", Title: "Bad Request", Detail: "The JSON payload is malformed: " + err.Error()})
		return false
	}
	return true
}

func (e *Emulator) handleToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		_ = r.ParseForm()
		req.GrantType, req.ClientID, req.ClientSecret = r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else if !decodeBody(w, r, &req) {
		return
	}
	e.mu.Lock()
	if e.opts.OAuthLimit > 0 {
		now := time.Now()
		kept := e.oauthTimes[:0]
		for _, t := range e.oauthTimes {
			if now.Sub(t) < e.opts.OAuthWindow {
				kept = append(kept, t)
			}
		}
		e.oauthTimes = kept
		if len(kept) >= e.opts.OAuthLimit {
			wait := e.opts.OAuthWindow - now.Sub(kept[0])
			e.mu.Unlock()
			// Real Shopware: the wait is in the body only, no Retry-After.
			writeErrors(w, http.StatusTooManyRequests, rateLimited(wait))
			return
		}
		e.oauthTimes = append(e.oauthTimes, now)
	}
	known := req.ClientID == e.opts.ClientID && req.ClientSecret == e.opts.ClientSecret
	if s, ok := e.integrations[req.ClientID]; ok && s == req.ClientSecret {
		known = true
	}
	if req.GrantType != "client_credentials" || !known {
		e.mu.Unlock()
		writeErrors(w, http.StatusUnauthorized, apiError{Code: "10", Status: "401", Title: "Unauthorized", Detail: "The user credentials were incorrect."})
		return
	}
	tok := NewID() + NewID()
	e.tokens[tok] = time.Now().Add(e.opts.TokenTTL)
	e.issued++
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": int(e.opts.TokenTTL.Seconds()), "access_token": tok})
}

func (e *Emulator) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		e.mu.Lock()
		exp, known := e.tokens[tok]
		e.mu.Unlock()
		if !ok || !known || time.Now().After(exp) {
			writeErrors(w, http.StatusUnauthorized, apiError{Code: "9", Status: "401", Title: "Unauthorized", Detail: "Access token could not be verified."})
			return
		}
		e.LogRequest(r) // RequestLog: what a client wrote, for tests
		h(w, r)
	}
}

func notFound(entity, id string) apiError {
	return apiError{Code: "FRAMEWORK__RESOURCE_NOT_FOUND", Status: "404", Title: "Not Found",
		Detail: fmt.Sprintf("The %s resource with the following primary key was not found: id(%s)", entity, id)}
}

func (e *Emulator) handleSearch(w http.ResponseWriter, r *http.Request) {
	var c criteria
	if !decodeBody(w, r, &c) {
		return
	}
	if err := c.validate(); err != nil {
		writeErrors(w, http.StatusBadRequest, apiError{Code: "FRAMEWORK__INVALID_CRITERIA", Status: "400", Title: "Bad Request", Detail: err.Error()})
		return
	}
	entity := strings.ReplaceAll(r.PathValue("entity"), "-", "_")
	e.mu.Lock()
	var recs []map[string]any
	switch entity {
	case "customer":
		// Associations are rendered for filtering only when a filter or
		// sort reaches into one; rendering them is the emulator's main cost.
		var assoc map[string]bool
		if !c.touchesAssociations() {
			assoc = map[string]bool{}
		}
		ids := e.st.order
		if len(c.IDs) > 0 {
			// A lookup by id renders only those records, not the shop,
			// and finds them without walking it (the push's read before
			// write asks for one id per request).
			ids = e.st.inCreationOrder(c.IDs)
		}
		for _, id := range ids {
			recs = append(recs, e.st.render(id, assoc))
		}
	case "order":
		if _, ok := c.Associations["returns"]; ok && !e.st.orders.returnManagement {
			e.mu.Unlock()
			writeErrors(w, http.StatusBadRequest, apiError{Code: "FRAMEWORK__ASSOCIATION_NOT_FOUND", Status: "400", Title: "Bad Request",
				Detail: "Can not find association by name returns"})
			return
		}
		assoc := map[string]any{}
		for k, raw := range c.Associations {
			var a map[string]any
			_ = json.Unmarshal(raw, &a)
			assoc[k] = a
		}
		recs = e.st.searchOrders(c.IDs, assoc) // orders.go
	case "customer_address":
		for _, id := range sortedKeys(e.st.addresses) {
			recs = append(recs, e.st.renderAddress(id).(map[string]any))
		}
	case "tag":
		for _, id := range sortedKeys(e.st.tags) {
			recs = append(recs, cloneMap(e.st.tags[id]))
		}
	case "country", "country_state", "sales_channel", "customer_group", "payment_method", "salutation":
		for _, row := range e.st.refs[entity] {
			recs = append(recs, cloneMap(row))
		}
	default:
		e.mu.Unlock()
		writeErrors(w, http.StatusNotFound, apiError{Code: "FRAMEWORK__DEFINITION_NOT_FOUND", Status: "404", Title: "Not Found", Detail: fmt.Sprintf("Definition for entity \"%s\" does not exist.", entity)})
		return
	}
	page, total := c.apply(recs, entity)
	data := make([]any, 0, len(page))
	for _, rec := range page {
		if entity == "customer" {
			// Render again with only the requested associations.
			assoc := map[string]bool{}
			for k := range c.Associations {
				assoc[k] = true
			}
			rec = e.st.render(rec["id"].(string), assoc)
		}
		rec["apiAlias"] = entity
		data = append(data, rec)
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"total": total, "data": data, "aggregations": []any{}})
}

func (e *Emulator) location(r *http.Request, path string) string {
	return "http://" + r.Host + path
}

func (e *Emulator) handleCreate(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if !decodeBody(w, r, &body) {
		return
	}
	body = normalizeNumbers(body).(map[string]any)
	id, _ := body["id"].(string)
	if id == "" {
		id = NewID()
	}
	if !uuidRe.MatchString(id) {
		writeErrors(w, http.StatusBadRequest, invalid("/id", "The string \""+id+"\" is not a valid uuid."))
		return
	}
	e.writeCustomer(w, r, id, body, true)
}

func (e *Emulator) handleGet(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e.mu.Lock()
	rec := e.st.render(id, nil)
	e.mu.Unlock()
	if rec == nil {
		writeErrors(w, http.StatusNotFound, notFound("customer", id))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": rec})
}

func (e *Emulator) handlePatch(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body map[string]any
	if !decodeBody(w, r, &body) {
		return
	}
	body = normalizeNumbers(body).(map[string]any)
	e.writeCustomer(w, r, id, body, false)
}

// writeCustomer stores a create or update and answers as Shopware does:
// 204 with a Location header, or the validation errors.
func (e *Emulator) writeCustomer(w http.ResponseWriter, r *http.Request, id string, body map[string]any, create bool) {
	e.mu.Lock()
	_, exists := e.st.customers[id]
	switch {
	case create && exists:
		e.mu.Unlock()
		writeErrors(w, http.StatusBadRequest, apiError{Code: "FRAMEWORK__WRITE_INSERT_COMMAND_EXISTS", Status: "400", Title: "Bad Request", Detail: "Entity customer with id " + id + " already exists."})
		return
	case !create && !exists:
		e.mu.Unlock()
		writeErrors(w, http.StatusNotFound, notFound("customer", id))
		return
	}
	changes, errs := e.st.writeCustomer(id, body, create)
	e.mu.Unlock()
	if len(errs) > 0 {
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	e.emit(changes)
	w.Header().Set("Location", e.location(r, "/api/customer/"+id))
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) handleDelete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	e.mu.Lock()
	ok := e.st.deleteCustomer(id)
	e.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusNotFound, notFound("customer", id))
		return
	}
	e.emit([]change{{entity: "customer", operation: "delete", id: id}})
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) handleUntag(w http.ResponseWriter, r *http.Request) {
	id, tagID := r.PathValue("id"), r.PathValue("tagId")
	e.mu.Lock()
	c, ok := e.st.customers[id]
	if !ok {
		e.mu.Unlock()
		writeErrors(w, http.StatusNotFound, notFound("customer", id))
		return
	}
	tags := c["tagIds"].([]string)
	kept := make([]string, 0, len(tags))
	for _, t := range tags {
		if t != tagID {
			kept = append(kept, t)
		}
	}
	c["tagIds"] = kept
	e.mu.Unlock()
	// Deleting a mapping row fires customer_tag.deleted, not customer.written.
	e.emit([]change{{entity: "customer_tag", operation: "delete", id: tagID}})
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) handlePatchAddress(w http.ResponseWriter, r *http.Request) {
	aid := r.PathValue("id")
	var body map[string]any
	if !decodeBody(w, r, &body) {
		return
	}
	e.mu.Lock()
	a, ok := e.st.addresses[aid]
	if !ok {
		e.mu.Unlock()
		writeErrors(w, http.StatusNotFound, notFound("customer_address", aid))
		return
	}
	var errs []apiError
	next := cloneMap(a)
	var fields []string
	for k, v := range body {
		if !addressFields[k] {
			errs = append(errs, unexpected("/"+k, k))
			continue
		}
		next[k] = v
		fields = append(fields, k)
	}
	if cid, _ := next["countryId"].(string); e.st.refByID("country", cid) == nil {
		errs = append(errs, invalid("/countryId", "The country with id \""+cid+"\" does not exist."))
	}
	if len(errs) > 0 {
		e.mu.Unlock()
		writeErrors(w, http.StatusBadRequest, errs...)
		return
	}
	// A standalone address write leaves customer.updatedAt alone, as in
	// Shopware: only customer_address.written is fired.
	next["updatedAt"] = e.st.now()
	e.st.addresses[aid] = next
	e.mu.Unlock()
	e.emit([]change{{entity: "customer_address", operation: "update", id: aid, fields: append(fields, "updatedAt")}})
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) handleCreateTag(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if !decodeBody(w, r, &body) {
		return
	}
	id, _ := body["id"].(string)
	if id == "" {
		id = NewID()
	}
	name, _ := body["name"].(string)
	if strings.TrimSpace(name) == "" {
		writeErrors(w, http.StatusBadRequest, blank("/name"))
		return
	}
	e.mu.Lock()
	if _, dup := e.st.tags[id]; dup {
		e.mu.Unlock()
		writeErrors(w, http.StatusBadRequest, apiError{Code: "FRAMEWORK__WRITE_INSERT_COMMAND_EXISTS", Status: "400", Title: "Bad Request", Detail: "Entity tag with id " + id + " already exists."})
		return
	}
	e.st.tags[id] = map[string]any{"id": id, "name": name, "createdAt": e.st.now(), "updatedAt": nil}
	e.mu.Unlock()
	w.Header().Set("Location", e.location(r, "/api/tag/"+id))
	w.WriteHeader(http.StatusNoContent)
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// normalizeNumbers turns json.Number into float64 so stored values compare
// like decoded JSON.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
	}
	return v
}
