package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/api"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

func call(t *testing.T, h http.Handler, method, path, token string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var body map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &body)
	return w.Code, body
}

func TestErasureAPI(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			rdb, _ := redistest.Client(t)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			points, err := sync.Build(ctx, &config.Config{}, log, false)
			if err != nil {
				t.Fatal(err)
			}
			h := &sync.Handlers{Store: st.Store, Queue: sync.NewQueue(rdb), Points: points, Log: log}
			e := serve(t, &api.API{Store: st.Store, Redis: rdb, Token: "s3cret", Eraser: h})
			at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
			res, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "gone", Resource: "customer", ExternalID: "42",
				SourceAt: at, Doc: map[string]any{"email": "api-erase@example.com", "first_name": "Api"}}, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			id := "/api/customers/" + jsonID(res.CustomerID)

			if code, _ := call(t, e, http.MethodDelete, id, ""); code != http.StatusUnauthorized {
				t.Errorf("DELETE without token: %d", code)
			}
			if code, _ := call(t, e, http.MethodPost, id+"/export", "wrong"); code != http.StatusUnauthorized {
				t.Errorf("export with wrong token: %d", code)
			}
			code, x := call(t, e, http.MethodPost, id+"/export", "s3cret")
			if code != http.StatusOK || x["profile"].(map[string]any)["email"] != "api-erase@example.com" || len(x["links"].([]any)) != 1 {
				t.Fatalf("export: %d %v", code, x)
			}
			code, r := call(t, e, http.MethodDelete, id, "s3cret")
			if code != http.StatusAccepted || r["kind"] != "erase" || r["source"] != "api" {
				t.Fatalf("DELETE: %d %v", code, r)
			}
			// The only touchpoint is no longer configured: nothing to wait
			// for, and the audit row says why.
			steps := r["touchpoints"].([]any)
			if r["status"] != hub.PrivacyDone || len(steps) != 1 || steps[0].(map[string]any)["error"] != "instance not configured" {
				t.Errorf("audit: %v", r)
			}
			b, _ := json.Marshal(r)
			if strings.Contains(string(b), "api-erase") || strings.Contains(string(b), `"42"`) {
				t.Errorf("audit row shows personal data: %s", b)
			}
			code, again := call(t, e, http.MethodGet, r["status_url"].(string), "s3cret")
			if code != http.StatusOK || again["id"] != r["id"] {
				t.Errorf("status: %d %v", code, again)
			}
			for _, c := range []struct{ method, path string }{{http.MethodDelete, id}, {http.MethodPost, id + "/export"}, {http.MethodGet, "/api/privacy/requests/999"}} {
				if code, _ := call(t, e, c.method, c.path, "s3cret"); code != http.StatusNotFound {
					t.Errorf("%s %s after erasure: %d, want 404", c.method, c.path, code)
				}
			}
			if code, _ := call(t, e, http.MethodDelete, "/api/customers/x", "s3cret"); code != http.StatusBadRequest {
				t.Errorf("bad id: %d", code)
			}
		})
	}
}

func jsonID(id uint64) string { b, _ := json.Marshal(id); return string(b) }
