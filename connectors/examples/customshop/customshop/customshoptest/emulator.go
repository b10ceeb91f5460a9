// Package customshoptest emulates the custom shop for tests and demos: its
// REST API (bearer API key; GET/PATCH/DELETE /customers/{id}, POST
// /customers, GET /customers?email=) and its signed webhooks, sent for
// every change made in the shop's admin (CreateCustomer, UpdateCustomer,
// DeleteCustomer; changes through the API send none).
package customshoptest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// Credentials the emulator accepts.
const (
	APIKey        = "customshop-api-key"
	WebhookSecret = "customshop-webhook-secret"
)

// Emulator is an in-memory custom shop; safe for concurrent use.
type Emulator struct {
	emulator.Server // Start, Close, Throttle, FailNext, RequestLog
	emulator.Clock  // Now, SetNow

	mu     sync.Mutex
	recs   map[int64]map[string]any
	nextID int64

	webhookURL atomic.Pointer[string]
	delivery   atomic.Int64
	client     *http.Client
}

// New builds an empty emulator.
func New() *Emulator {
	return &Emulator{recs: map[int64]map[string]any{}, nextID: 1001, client: &http.Client{Timeout: 30 * time.Second}}
}

// Start serves the API and returns its base URL (the base_url setting).
func (e *Emulator) Start() string { return e.Server.Start(http.HandlerFunc(e.serveHTTP)) }

// SetWebhookURL makes admin changes post signed deliveries to url.
func (e *Emulator) SetWebhookURL(url string) { e.webhookURL.Store(&url) }

// ---- the API ----

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg})
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	e.LogRequest(r)
	switch f := e.Take(); {
	case f.Throttled:
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		fail(w, http.StatusTooManyRequests, "too many requests")
		return
	case f.Status != 0:
		fail(w, f.Status, "injected failure")
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+APIKey {
		fail(w, http.StatusUnauthorized, "invalid API key")
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/customers")
	switch {
	case !ok:
		fail(w, http.StatusNotFound, "no such endpoint")
	case rest == "" && r.Method == http.MethodGet:
		e.search(w, r.URL.Query().Get("email"))
	case rest == "" && r.Method == http.MethodPost:
		e.createHTTP(w, r)
	case strings.HasPrefix(rest, "/"):
		id, err := strconv.ParseInt(rest[1:], 10, 64)
		if err != nil {
			fail(w, http.StatusNotFound, "no such customer")
			return
		}
		e.customerHTTP(w, r, id)
	default:
		fail(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

func (e *Emulator) search(w http.ResponseWriter, email string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	found := []any{}
	for _, c := range e.recs {
		if s, _ := c["email"].(string); email != "" && strings.EqualFold(s, strings.TrimSpace(email)) {
			found = append(found, maps.Clone(c))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": found})
}

func decode(r *http.Request) (map[string]any, error) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		return nil, err
	}
	return in, nil
}

// writable are the fields the API takes; id and updated_at are the shop's.
var writable = map[string]bool{"email": true, "first_name": true, "last_name": true, "phone": true}

func (e *Emulator) check(in map[string]any) string {
	for k := range in {
		if !writable[k] {
			return fmt.Sprintf("unknown field %q", k)
		}
	}
	if s, ok := in["email"].(string); ok && s != "" && !strings.Contains(s, "@") {
		return "email is invalid"
	}
	return ""
}

// readWrite reads a create's or an update's body and counts the write;
// a body that is no JSON object, or one check refuses, is answered here
// (400, 422) and not counted.
func (e *Emulator) readWrite(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	in, err := decode(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "body is no JSON object")
		return nil, false
	}
	if msg := e.check(in); msg != "" {
		fail(w, http.StatusUnprocessableEntity, msg)
		return nil, false
	}
	e.CountWrite()
	return in, true
}

func (e *Emulator) createHTTP(w http.ResponseWriter, r *http.Request) {
	in, ok := e.readWrite(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	c := e.create(in)
	e.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (e *Emulator) customerHTTP(w http.ResponseWriter, r *http.Request, id int64) {
	switch r.Method {
	case http.MethodGet:
		if c, ok := e.Customer(strconv.FormatInt(id, 10)); ok {
			writeJSON(w, http.StatusOK, c)
			return
		}
		fail(w, http.StatusNotFound, "no such customer")
	case http.MethodPatch:
		in, ok := e.readWrite(w, r)
		if !ok {
			return
		}
		e.mu.Lock()
		c, ok := e.update(id, in)
		e.mu.Unlock()
		if !ok {
			fail(w, http.StatusNotFound, "no such customer")
			return
		}
		writeJSON(w, http.StatusOK, c)
	case http.MethodDelete:
		e.CountWrite()
		e.mu.Lock()
		_, ok := e.recs[id]
		delete(e.recs, id)
		e.mu.Unlock()
		if !ok {
			fail(w, http.StatusNotFound, "no such customer")
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(w, http.StatusMethodNotAllowed, "method not allowed")
	}
}

// ---- the store (callers hold mu) ----

func (e *Emulator) stamp() string { return e.Now().UTC().Format(time.RFC3339Nano) }

func (e *Emulator) create(in map[string]any) map[string]any {
	id := e.nextID
	e.nextID++
	c := map[string]any{"email": "", "first_name": "", "last_name": "", "phone": ""}
	maps.Copy(c, in)
	c["id"] = strconv.FormatInt(id, 10)
	c["updated_at"] = e.stamp()
	e.recs[id] = c
	return maps.Clone(c)
}

func (e *Emulator) update(id int64, in map[string]any) (map[string]any, bool) {
	c, ok := e.recs[id]
	if !ok {
		return nil, false
	}
	maps.Copy(c, in)
	c["updated_at"] = e.stamp()
	return maps.Clone(c), true
}

// ---- admin side: changes made in the shop, each sends a webhook ----

// Seed creates n customers as if made in the shop's admin (without
// webhooks) and returns their ids in creation order.
func (e *Emulator) Seed(n int) []string {
	ids := make([]string, n)
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := range n {
		first, last := emulator.SeedName(i)
		c := e.create(map[string]any{"email": fmt.Sprintf("seed%d@example.com", e.nextID), "first_name": first, "last_name": last})
		ids[i] = c["id"].(string)
	}
	return ids
}

// CreateCustomer creates a customer in the admin and sends
// customer.created; it returns the id.
func (e *Emulator) CreateCustomer(fields map[string]any) string {
	e.mu.Lock()
	c := e.create(fields)
	e.mu.Unlock()
	e.send("customer.created", c)
	return c["id"].(string)
}

// UpdateCustomer changes fields in the admin and sends customer.updated.
func (e *Emulator) UpdateCustomer(id string, fields map[string]any) error {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	c, ok := e.update(n, fields)
	e.mu.Unlock()
	if !ok {
		return fmt.Errorf("customshoptest: no customer %s", id)
	}
	e.send("customer.updated", c)
	return nil
}

// Customer returns a customer as the shop holds it.
func (e *Emulator) Customer(id string) (map[string]any, bool) {
	n, _ := strconv.ParseInt(id, 10, 64)
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.recs[n]
	return maps.Clone(c), ok
}

// FindByEmail returns the id of the customer with that email.
func (e *Emulator) FindByEmail(email string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for id, c := range e.recs {
		if s, _ := c["email"].(string); strings.EqualFold(s, email) {
			return strconv.FormatInt(id, 10), true
		}
	}
	return "", false
}

// Count is the number of customers.
func (e *Emulator) Count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.recs)
}

// ---- webhooks ----

func (e *Emulator) send(topic string, c map[string]any) {
	url := e.webhookURL.Load()
	if url == nil {
		return
	}
	h, body := e.delivery1(topic, c, WebhookSecret)
	req, err := http.NewRequest(http.MethodPost, *url, bytes.NewReader(body))
	if err != nil {
		return
	}
	req.Header = h
	if resp, err := e.client.Do(req); err == nil {
		resp.Body.Close()
	}
}

func (e *Emulator) delivery1(topic string, c map[string]any, secret string) (http.Header, []byte) {
	body, _ := json.Marshal(c)
	h := e.SignBody(body, secret)
	h.Set("X-Customshop-Topic", topic)
	h.Set("X-Customshop-Delivery", fmt.Sprintf("dlv-%d", e.delivery.Add(1)))
	return h, body
}

// SignedWebhook is the customer.updated delivery for customer id, signed
// with secret.
func (e *Emulator) SignedWebhook(id, secret string) (http.Header, []byte) {
	c, _ := e.Customer(id)
	return e.delivery1("customer.updated", c, secret)
}

// SignBody signs body as the shop does.
func (e *Emulator) SignBody(body []byte, secret string) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Customshop-Hmac-Sha256", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	return h
}
