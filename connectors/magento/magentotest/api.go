package magentotest

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors/emulator"
)

// Magento's messages, verbatim.
const (
	errUnauthorized = "The consumer isn't authorized to access %resources."
	errSignIn       = "The account sign-in was incorrect or your account is disabled temporarily. Please wait and try again later."
	errNoEntity     = "No such entity with %fieldName = %fieldValue"
	errNoRoute      = "Request does not match any route."
	errStore        = "The store that was requested wasn't found. Verify the store and try again."
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, e *inputError) { writeJSON(w, status, e) }

func noRoute(w http.ResponseWriter) {
	writeErr(w, http.StatusNotFound, &inputError{Message: errNoRoute})
}

func noSuchCustomer(w http.ResponseWriter, id string) {
	writeErr(w, http.StatusNotFound, &inputError{Message: errNoEntity, Parameters: map[string]any{"fieldName": "customerId", "fieldValue": id}})
}

func (e *Emulator) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/rest/")
	if !ok {
		noRoute(w)
		return
	}
	e.CountRequest()
	e.LogRequest(r)
	if r.Method != http.MethodGet && !strings.Contains(r.URL.Path, "/V1/integration/") && !strings.Contains(r.URL.Path, "/V1/tfa/") {
		e.CountWrite()
	}

	store, rest, _ := strings.Cut(rest, "/")
	if store != e.opts.StoreCode && store != "default" && store != "all" {
		writeErr(w, http.StatusBadRequest, &inputError{Message: errStore})
		return
	}
	rest, ok = strings.CutPrefix(rest, "V1/")
	if !ok {
		noRoute(w)
		return
	}
	if !e.admit(w) {
		return
	}
	if rest == "integration/admin/token" && r.Method == http.MethodPost {
		e.tokenHTTP(w, r)
		return
	}
	if !e.authorized(r) {
		writeErr(w, http.StatusUnauthorized, &inputError{Message: errUnauthorized, Parameters: map[string]any{"resources": "Magento_Customer::manage"}})
		return
	}
	segs := strings.Split(strings.TrimSuffix(rest, "/"), "/")
	switch {
	case len(segs) == 1 && segs[0] == "customers" && r.Method == http.MethodPost:
		e.createHTTP(w, r)
	case len(segs) == 2 && segs[0] == "customers" && segs[1] == "search" && r.Method == http.MethodGet:
		e.searchHTTP(w, r)
	case len(segs) == 2 && segs[0] == "customers":
		e.customerHTTP(w, r, segs[1])
	case len(segs) == 1 && segs[0] == "orders" && r.Method == http.MethodGet:
		e.ordersHTTP(w, r) // orders.go
	case len(segs) == 2 && segs[0] == "carts" && segs[1] == "search" && r.Method == http.MethodGet:
		e.cartsSearchHTTP(w, r) // carts.go
	case len(segs) == 2 && segs[0] == "carts" && r.Method == http.MethodGet:
		e.cartHTTP(w, segs[1])
	case len(segs) == 2 && segs[0] == "orders":
		e.orderHTTP(w, r, segs[1])
	case len(segs) == 4 && segs[0] == "attributeMetadata" && segs[1] == "customer" && segs[2] == "attribute":
		e.attributeMetadataHTTP(w, r, segs[3]) // attributes.go
	case len(segs) == 2 && segs[0] == "directory" && segs[1] == "countries":
		e.directoryHTTP(w, r, "") // directory.go
	case len(segs) == 3 && segs[0] == "directory" && segs[1] == "countries":
		e.directoryHTTP(w, r, segs[2])
	default:
		noRoute(w)
	}
}

// admit applies test throttles and injected failures.
func (e *Emulator) admit(w http.ResponseWriter) bool {
	switch f := e.Next(); {
	case f.Throttled:
		w.Header().Set("Retry-After", emulator.Seconds(f.RetryAfter))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "Too Many Requests"})
		return false
	case f.Status != 0:
		writeErr(w, f.Status, &inputError{Message: "Internal Error. Details are available in Magento log file. Report ID: webapi-emulator"})
		return false
	}
	return true
}

func decodeBody(r *http.Request) (map[string]any, *inputError) {
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, &inputError{Message: "Decoding error: %1", Parameters: map[string]any{"1": err.Error()}}
	}
	return body, nil
}

func (e *Emulator) tokenHTTP(w http.ResponseWriter, r *http.Request) {
	body, ierr := decodeBody(r)
	if ierr != nil {
		writeErr(w, http.StatusBadRequest, ierr)
		return
	}
	user, pass := str(body["username"]), str(body["password"])
	if user == "" || pass == "" {
		writeErr(w, http.StatusBadRequest, &inputError{Message: `"%fieldName" is required. Enter and try again.`, Parameters: map[string]any{"fieldName": "username"}})
		return
	}
	tok, ok := e.issueToken(user, pass)
	if !ok {
		writeErr(w, http.StatusUnauthorized, &inputError{Message: errSignIn})
		return
	}
	writeJSON(w, http.StatusOK, tok)
}

func (e *Emulator) searchHTTP(w http.ResponseWriter, r *http.Request) {
	c, ierr := parseCriteria(r.URL.Query(), e.opts)
	if ierr != nil {
		writeErr(w, http.StatusBadRequest, ierr)
		return
	}
	e.mu.Lock()
	items, total := e.st.search(c)
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "search_criteria": c.echo(), "total_count": total})
}

// customerBody reads the {"customer": {…}} body of a create or a save; when
// it cannot, it has answered with Magento's error.
func customerBody(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	body, ierr := decodeBody(r)
	if ierr != nil {
		writeErr(w, http.StatusBadRequest, ierr)
		return nil, false
	}
	cust, ok := body["customer"].(map[string]any)
	if !ok {
		writeErr(w, http.StatusBadRequest, &inputError{Message: `"%fieldName" is required. Enter and try again.`, Parameters: map[string]any{"fieldName": "customer"}})
		return nil, false
	}
	return cust, true
}

func (e *Emulator) createHTTP(w http.ResponseWriter, r *http.Request) {
	cust, ok := customerBody(w, r)
	if !ok {
		return
	}
	e.mu.Lock()
	id, ierr := e.st.create(deepCopy(cust).(map[string]any), e.opts, e.stamp())
	var out map[string]any
	if ierr == nil {
		out = e.st.render(id)
	}
	e.mu.Unlock()
	if ierr != nil {
		writeErr(w, http.StatusBadRequest, ierr)
		return
	}
	e.sendWebhook(webhookBody("observer.customer_save_commit_after", out))
	writeJSON(w, http.StatusOK, out)
}

func (e *Emulator) customerHTTP(w http.ResponseWriter, r *http.Request, sid string) {
	id, err := strconv.ParseInt(sid, 10, 64)
	if err != nil {
		noSuchCustomer(w, sid)
		return
	}
	switch r.Method {
	case http.MethodGet:
		if c, ok := e.Customer(sid); ok {
			writeJSON(w, http.StatusOK, c)
			return
		}
		noSuchCustomer(w, sid)
	case http.MethodPut:
		cust, ok := customerBody(w, r)
		if !ok {
			return
		}
		e.mu.Lock()
		if e.st.customers[id] == nil {
			e.mu.Unlock()
			noSuchCustomer(w, sid)
			return
		}
		changed, ierr := e.st.fullSave(id, deepCopy(cust).(map[string]any), e.opts, e.stamp())
		var out map[string]any
		if ierr == nil {
			out = e.st.render(id)
		}
		e.mu.Unlock()
		if ierr != nil {
			writeErr(w, http.StatusBadRequest, ierr)
			return
		}
		if changed {
			e.sendWebhook(webhookBody("observer.customer_save_commit_after", out))
		}
		writeJSON(w, http.StatusOK, out)
	case http.MethodDelete:
		if !e.DeleteCustomer(sid) {
			noSuchCustomer(w, sid)
			return
		}
		writeJSON(w, http.StatusOK, true)
	default:
		noRoute(w)
	}
}

// ---- Adobe Commerce webhooks ----

// webhookBody is an Adobe Commerce observer webhook payload: the event name
// and the observer's data, here the customer model's data.
func webhookBody(event string, customer map[string]any) []byte {
	data := deepCopy(customer).(map[string]any)
	if id, ok := data["id"]; ok {
		data["entity_id"] = id
	}
	b, _ := json.Marshal(map[string]any{"eventName": event, "data": map[string]any{"customer": data}})
	return b
}

// SignedDelivery returns the headers and body Adobe Commerce sends for an
// observer event about customer.
func (e *Emulator) SignedDelivery(event string, customer map[string]any) (http.Header, []byte) {
	body := webhookBody(event, customer)
	return e.DeliveryHeaders(body), body
}

// DeliveryHeaders signs an arbitrary body as Adobe Commerce would.
func (e *Emulator) DeliveryHeaders(body []byte) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("x-adobe-commerce-webhook-signature", SignWith(e.privateKey(), body))
	return h
}

// SignWith returns the base64 RSA-SHA256 (PKCS #1 v1.5) signature of body.
func SignWith(k *rsa.PrivateKey, body []byte) string {
	sum := sha256.Sum256(body)
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// sendWebhook posts synchronously, as Adobe Commerce webhooks run inside
// the save; a failure is not retried.
func (e *Emulator) sendWebhook(body []byte) {
	url := *e.webhookURL.Load()
	if url == "" || body == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return
	}
	for k, v := range e.DeliveryHeaders(body) {
		req.Header[k] = v
	}
	resp, err := e.hc.Do(req)
	if err == nil {
		emulator.Discard(resp)
	}
}
