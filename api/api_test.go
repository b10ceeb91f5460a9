package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/api"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

func serve(t *testing.T, a *api.API) *gin.Engine {
	gin.SetMode(gin.TestMode)
	e := gin.New()
	a.Register(e)
	return e
}

func get(t *testing.T, e *gin.Engine, path, token string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	e.ServeHTTP(w, req)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body
}

func TestCustomerAPI(t *testing.T) {
	st := hubtest.SQLite(t)
	rdb, _ := redistest.Client(t)
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	res, err := st.MergeCustomer(context.Background(), hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: "42",
		SourceAt: at, Doc: map[string]any{"email": "jane@example.com", "first_name": "Jane"}}, hub.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	e := serve(t, &api.API{Store: st, Redis: rdb, Token: "s3cret"})

	cases := []struct {
		name, path, token string
		want              int
	}{
		{"no token", "/api/customers", "", http.StatusUnauthorized},
		{"wrong token", "/api/customers", "nope", http.StatusUnauthorized},
		{"list", "/api/customers", "s3cret", http.StatusOK},
		{"by email, any case", "/api/customers?email=JANE@example.com", "s3cret", http.StatusOK},
		{"view", "/api/customers/1", "s3cret", http.StatusOK},
		{"unknown", "/api/customers/999", "s3cret", http.StatusNotFound},
		{"bad id", "/api/customers/x", "s3cret", http.StatusBadRequest},
		{"health needs no token", "/healthz", "", http.StatusOK},
		{"ready", "/readyz", "", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if code, body := get(t, e, c.path, c.token); code != c.want {
				t.Errorf("GET %s: %d %v, want %d", c.path, code, body, c.want)
			}
		})
	}

	_, list := get(t, e, "/api/customers?email=JANE@example.com", "s3cret")
	if cs, _ := list["customers"].([]any); len(cs) != 1 {
		t.Errorf("email lookup: %v", list)
	}
	_, view := get(t, e, "/api/customers/1", "s3cret")
	prov, _ := view["provenance"].(map[string]any)
	fn, _ := prov["first_name"].(map[string]any)
	if fn["instance"] != "shopify" {
		t.Errorf("provenance of first_name: %v", prov)
	}
	links, _ := view["links"].([]any)
	changes, _ := view["recent_changes"].([]any)
	// A creation is one change-log row holding the initial values.
	if len(links) != 1 || len(changes) != 1 || view["id"] != float64(res.CustomerID) {
		t.Errorf("view: links %v changes %v", links, changes)
	}
}

func TestReadyzWhenRedisIsDown(t *testing.T) {
	st := hubtest.SQLite(t)
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	e := serve(t, &api.API{Store: st, Redis: rdb})
	code, body := get(t, e, "/readyz", "")
	if code != http.StatusServiceUnavailable || body["database"] != "ok" || body["redis"] == "ok" {
		t.Errorf("readyz with Redis down: %d %v", code, body)
	}
	if code, _ := get(t, e, "/api/customers", "anything"); code != http.StatusUnauthorized {
		t.Errorf("with no admin token configured /api must refuse, got %d", code)
	}
}
