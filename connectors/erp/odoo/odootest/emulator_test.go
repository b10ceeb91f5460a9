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

// A partial credit note is read as Odoo keeps it: its product line holds
// the credited quantity and the sale order line it came from
// (sale_line_ids, copied from the invoice line it reverses), its tax and
// receivable items beside it hold none, and the sale order line's
// qty_invoiced drops by what was credited (_compute_qty_invoiced:
// out_invoice quantities less out_refund ones).
func TestCreditNoteLines(t *testing.T) {
	e := odootest.New(odootest.Options{})
	url := e.Start()
	t.Cleanup(e.Close)
	buyer := e.CreateCustomer(map[string]any{"name": "Cora Credit", "email": "cora@example.com"})
	order, lines := e.PlaceOrder(odootest.NewOrder{Partner: buyer, Lines: []odootest.OrderLine{
		{SKU: "TP-1", Name: "Teekanne", Qty: 3, Price: 60}, {SKU: "CUP-7", Name: "Tasse", Qty: 1, Price: 30}}})
	refund := e.CreditNote(e.InvoiceOrder(order), odootest.CreditLine{Line: lines[0], Qty: 2})
	if ids := e.OrderInvoices(order); len(ids) != 2 || ids[1] != refund {
		t.Fatalf("invoice_ids %v, want the invoice and credit note %d", ids, refund)
	}
	read := func(model string, domain []any, fields ...string) []map[string]any {
		t.Helper()
		st, out := call(t, url, odootest.DefaultAPIKey, "/json/2/"+model+"/search_read",
			map[string]any{"domain": domain, "fields": fields, "order": "id asc"})
		if st != 200 {
			t.Fatalf("%s: status %d: %v", model, st, out)
		}
		var rows []map[string]any
		for _, r := range out.([]any) {
			rows = append(rows, r.(map[string]any))
		}
		return rows
	}
	moves := read("account.move", []any{[]any{"id", "=", refund}}, "move_type", "reversed_entry_id", "amount_total", "invoice_line_ids")
	if m := moves[0]; m["move_type"] != "out_refund" || m["amount_total"] != 120.0 || len(m["invoice_line_ids"].([]any)) != 1 {
		t.Errorf("credit note %v", m)
	}
	items := read("account.move.line", []any{[]any{"move_id", "=", refund}}, "display_type", "quantity", "price_total", "sale_line_ids")
	var product int
	for _, it := range items {
		sl := it["sale_line_ids"].([]any)
		switch it["display_type"] {
		case "product":
			product++
			if it["quantity"] != 2.0 || it["price_total"] != 120.0 || len(sl) != 1 || sl[0] != float64(lines[0]) {
				t.Errorf("credit note line %v, want 2 teapots of line %d", it, lines[0])
			}
		default:
			if len(sl) != 0 {
				t.Errorf("journal item %v linked to an order line", it)
			}
		}
	}
	if product != 1 || len(items) < 2 {
		t.Errorf("credit note items %v, want one product line beside the tax and receivable", items)
	}
	sol := read("sale.order.line", []any{[]any{"order_id", "=", order}}, "qty_invoiced", "invoice_lines")
	if sol[0]["qty_invoiced"] != 1.0 || len(sol[0]["invoice_lines"].([]any)) != 2 || sol[1]["qty_invoiced"] != 1.0 {
		t.Errorf("order lines %v, want the teapots 3 invoiced less 2 credited, the cup 1", sol)
	}
}
