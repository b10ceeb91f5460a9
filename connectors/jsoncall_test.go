package connectors

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestJSONRequestAndDecode(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"q": r.URL.RawQuery, "ct": r.Header.Get("Content-Type"), "body": string(b), "id": json.Number("9007199254740993")})
	}))
	defer srv.Close()
	c := NewHTTPClient(ClientOptions{BaseURL: srv.URL})
	resp, err := c.DoRequest(context.Background(), http.MethodPost, "/x", JSONRequest(url.Values{"a": {"1"}}, map[string]int{"n": 1}), nil)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := DecodeJSON(resp.Body(), &out); err != nil {
		t.Fatal(err)
	}
	if out["q"] != "a=1" || out["ct"] != "application/json" || out["body"] != `{"n":1}` || out["id"] != json.Number("9007199254740993") {
		t.Errorf("got %v", out)
	}
	resp, err = c.DoRequest(context.Background(), http.MethodGet, "/y", JSONRequest(nil, nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := DecodeJSON(resp.Body(), &out); err != nil || out["q"] != "" || out["ct"] != "" || out["body"] != "" {
		t.Errorf("no query, no body: got %v, %v", out, err)
	}
}
