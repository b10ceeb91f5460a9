package helpscouttest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func token(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/v2/oauth2/token", url.Values{"grant_type": {"client_credentials"},
		"client_id": {DefaultClientID}, "client_secret": {DefaultClientSecret}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.AccessToken == "" || out.ExpiresIn != 172800 {
		t.Fatalf("token: %+v %v", out, err)
	}
	return out.AccessToken
}

func do(t *testing.T, method, u, tok, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// Writes cost two units of the window; over it, 429 with Help Scout's
// headers; a new window admits again.
func TestRateLimitWindow(t *testing.T) {
	e := New(Options{RateLimit: 5, RateWindow: 300 * time.Millisecond})
	base := e.Start()
	defer e.Close()
	tok := token(t, base)
	r := do(t, "POST", base+"/v2/customers", tok, `{"firstName":"A"}`)
	if r.StatusCode != 201 || r.Header.Get("Resource-ID") == "" || r.Header.Get("X-RateLimit-Remaining-Minute") != "3" {
		t.Fatalf("create: %d %v", r.StatusCode, r.Header)
	}
	id := r.Header.Get("Resource-ID")
	do(t, "GET", base+"/v2/customers/"+id, tok, "")
	do(t, "GET", base+"/v2/customers/"+id, tok, "")
	r = do(t, "GET", base+"/v2/customers/"+id, tok, "")
	if r.StatusCode != 200 || r.Header.Get("X-RateLimit-Remaining-Minute") != "0" {
		t.Fatalf("fifth unit: %d remaining %q", r.StatusCode, r.Header.Get("X-RateLimit-Remaining-Minute"))
	}
	r = do(t, "GET", base+"/v2/customers/"+id, tok, "")
	if r.StatusCode != 429 || r.Header.Get("X-RateLimit-Retry-After") == "" {
		t.Fatalf("over the limit: %d %v", r.StatusCode, r.Header)
	}
	time.Sleep(320 * time.Millisecond)
	if r = do(t, "GET", base+"/v2/customers/"+id, tok, ""); r.StatusCode != 200 {
		t.Fatalf("new window: %d", r.StatusCode)
	}
	if s := e.Stats(); s.TooMany != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestUnauthorizedWithoutToken(t *testing.T) {
	e := New(Options{})
	base := e.Start()
	defer e.Close()
	if r := do(t, "GET", base+"/v2/customers", "nope", ""); r.StatusCode != 401 {
		t.Fatalf("got %d", r.StatusCode)
	}
	tok := token(t, base)
	e.ExpireTokens()
	if r := do(t, "GET", base+"/v2/customers", tok, ""); r.StatusCode != 401 {
		t.Fatalf("expired token: got %d", r.StatusCode)
	}
}

func TestSignature(t *testing.T) {
	// base64(HMAC-SHA1("secret", `{"id":1}`)), from openssl dgst -sha1 -hmac.
	if got := SignWith("secret", []byte(`{"id":1}`)); got != "pkq9ASkZdrNd69hwrROjDJQ0ODE=" {
		t.Errorf("signature %s", got)
	}
	e := New(Options{WebhookSecret: "s"})
	h, body := e.SignedDelivery("convo.created", map[string]any{"id": 1})
	if h.Get("X-HelpScout-Event") != "convo.created" || h.Get("X-HelpScout-Signature") != SignWith("s", body) {
		t.Errorf("headers %v", h)
	}
}

// Injected faults reach authorized requests only and cost no units.
func TestInjectedFaults(t *testing.T) {
	e := New(Options{})
	base := e.Start()
	defer e.Close()
	tok := token(t, base)
	e.Throttle(1, 1500*time.Millisecond)
	e.FailNext(1, http.StatusServiceUnavailable)
	if r := do(t, "GET", base+"/v2/customers", "nope", ""); r.StatusCode != 401 {
		t.Fatalf("unauthorized: got %d", r.StatusCode)
	}
	if r := do(t, "GET", base+"/v2/customers", tok, ""); r.StatusCode != 429 || r.Header.Get("X-RateLimit-Retry-After") != "2" {
		t.Fatalf("throttled: %d %v", r.StatusCode, r.Header)
	}
	if r := do(t, "GET", base+"/v2/customers", tok, ""); r.StatusCode != 503 {
		t.Fatalf("failed: got %d", r.StatusCode)
	}
	if r := do(t, "GET", base+"/v2/customers", tok, ""); r.StatusCode != 200 {
		t.Fatalf("after the faults: got %d", r.StatusCode)
	}
	if s := e.Stats(); s.Requests != 4 || s.TooMany != 1 || s.Units != 1 {
		t.Errorf("stats %+v", s)
	}
}
