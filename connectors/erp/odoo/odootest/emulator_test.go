package odootest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
)

func call(t *testing.T, url, key, path string, body any) (int, any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestDomains(t *testing.T) {
	e := odootest.New(odootest.Options{})
	url := e.Start()
	t.Cleanup(e.Close)
	for _, p := range []map[string]any{
		{"name": "A One", "email": "a@x.example", "city": "Berlin"},
		{"name": "B Two", "email": "b@x.example", "city": "Hamburg"},
		{"name": "C Three", "email": "c@y.example", "city": "Berlin", "is_company": true},
	} {
		e.CreateCustomer(p)
	}
	tests := []struct {
		name   string
		domain []any
		want   []string
	}{
		{"implicit and", []any{[]any{"city", "=", "Berlin"}, []any{"is_company", "=", false}}, []string{"A One"}},
		{"or", []any{"|", []any{"city", "=", "Hamburg"}, []any{"is_company", "=", true}}, []string{"B Two", "C Three"}},
		{"not", []any{"!", []any{"city", "=", "Berlin"}}, []string{"B Two"}},
		{"nested", []any{"&", "|", []any{"email", "ilike", "@X.example"}, []any{"name", "=like", "C%"}, "!", []any{"city", "in", []any{"Hamburg"}}}, []string{"A One", "C Three"}},
		{"compare", []any{[]any{"name", ">=", "B"}}, []string{"B Two", "C Three"}},
		{"not in", []any{[]any{"city", "not in", []any{"Berlin"}}}, []string{"B Two"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, out := call(t, url, odootest.DefaultAPIKey, "/json/2/res.partner/search_read",
				map[string]any{"domain": tt.domain, "fields": []string{"name"}, "order": "name asc"})
			if st != 200 {
				t.Fatalf("status %d: %v", st, out)
			}
			var got []string
			for _, r := range out.([]any) {
				got = append(got, r.(map[string]any)["name"].(string))
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
	st, out := call(t, url, "wrong", "/json/2/res.partner/search_read", map[string]any{})
	if m, _ := out.(map[string]any); st != 401 || m["name"] != "werkzeug.exceptions.Unauthorized" || m["message"] != "Invalid apikey" {
		t.Errorf("wrong key: %d %v", st, out)
	}
	st, out = call(t, url, odootest.DefaultAPIKey, "/json/2/res.partner/search_read", map[string]any{"domain": []any{[]any{"nope", "=", 1}}})
	if m, _ := out.(map[string]any); st != 422 || m["name"] != "builtins.ValueError" {
		t.Errorf("unknown field: %d %v", st, out)
	}
	st, out = call(t, url, odootest.DefaultAPIKey, "/json/2/res.partner/search_read", map[string]any{"limit": 1, "offset": 1, "order": "name desc", "fields": []string{"name"}})
	if l, _ := out.([]any); st != 200 || len(l) != 1 || l[0].(map[string]any)["name"] != "B Two" {
		t.Errorf("limit/offset/order: %d %v", st, out)
	}
}
