package shopifytest

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The metafield endpoints answer like Shopify's REST resource: ids and
// namespace/key/type/value, 422 with {"errors": {field: [...]}}, and each
// call spends the leaky bucket.
func TestCustomerMetafields(t *testing.T) {
	e, c := newTestEmulator(t, Options{LeakRate: 0.001, BucketSize: 40})
	id := e.CreateCustomer(map[string]any{"email": "meta@example.com"})
	base := "customers/" + id + "/metafields"

	for _, tt := range []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"create", "POST", base + ".json", `{"metafield":{"namespace":"shophub","key":"segment","value":"loyal","type":"single_line_text_field"}}`, 201, ""},
		{"same namespace and key", "POST", base + ".json", `{"metafield":{"namespace":"shophub","key":"segment","value":"x","type":"single_line_text_field"}}`, 422,
			`{"errors":{"key":["must be unique within this namespace on this resource"]}}`},
		{"blank value", "POST", base + ".json", `{"metafield":{"namespace":"shophub","key":"rfm","value":"","type":"single_line_text_field"}}`, 422,
			`{"errors":{"value":["can't be blank"]}}`},
		{"short namespace, no type", "POST", base + ".json", `{"metafield":{"namespace":"sh","key":"rfm","value":"1"}}`, 422,
			`{"errors":{"namespace":["must be 3-255 characters long and can contain alphanumeric, hyphen, and underscore characters"],"type":["can't be blank"]}}`},
		{"no wrapper", "POST", base + ".json", `{"namespace":"shophub"}`, 400, `{"errors":{"metafield":"Required parameter missing or invalid"}}`},
		{"unknown customer", "GET", "customers/1/metafields.json", "", 404, `{"errors":"Not Found"}`},
		{"count", "GET", base + "/count.json", "", 200, `{"count":1}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := c.do(tt.method, tt.path, tt.body)
			if resp.StatusCode != tt.status || (tt.want != "" && string(body) != tt.want+"\n") {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.want)
			}
			if resp.Header.Get("X-Shopify-Shop-Api-Call-Limit") == "" {
				t.Error("no X-Shopify-Shop-Api-Call-Limit: the call did not count")
			}
		})
	}

	_, body := c.do("GET", base+".json?namespace=shophub", "")
	var list struct {
		Metafields []map[string]any `json:"metafields"`
	}
	if err := json.Unmarshal(body, &list); err != nil || len(list.Metafields) != 1 {
		t.Fatalf("list = %s", body)
	}
	mf := list.Metafields[0]
	for _, k := range []string{"id", "namespace", "key", "value", "type", "owner_id", "owner_resource", "created_at", "updated_at", "admin_graphql_api_id"} {
		if _, ok := mf[k]; !ok {
			t.Errorf("metafield lacks %s: %v", k, mf)
		}
	}
	mid := json.Number(string(mustJSON(mf["id"]))).String()
	if resp, body := c.do("PUT", base+"/"+mid+".json", `{"metafield":{"id":`+mid+`,"value":"champions","type":"single_line_text_field"}}`); resp.StatusCode != http.StatusOK {
		t.Errorf("PUT = %d %s", resp.StatusCode, body)
	}
	if got := e.Metafields(id, "shophub"); got["segment"] != "champions" {
		t.Errorf("after PUT: %v", got)
	}
	if resp, _ := c.do("DELETE", base+"/"+mid+".json", ""); resp.StatusCode != http.StatusOK || len(e.Metafields(id, "shophub")) != 0 {
		t.Errorf("DELETE = %d, left %v", resp.StatusCode, e.Metafields(id, "shophub"))
	}
	if resp, _ := c.do("DELETE", base+"/"+mid+".json", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("second DELETE = %d, want 404", resp.StatusCode)
	}
}
