package hub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/mappings"
)

// order builds a normalized canonical order doc from a few fields.
func order(t *testing.T, fields map[string]any) map[string]any {
	t.Helper()
	base := map[string]any{"status": "open", "financial_status": "paid", "currency": "EUR", "line_items": 1}
	for k, v := range fields {
		base[k] = v
	}
	doc, err := mappings.NormalizeOrder(base)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func mergeOrder(t *testing.T, s *hub.Store, instance, ext string, at time.Time, doc map[string]any) hub.OrderResult {
	t.Helper()
	r, err := s.MergeOrder(context.Background(), hub.OrderInbound{Instance: instance, ExternalID: ext, EventID: fmt.Sprint(ext, at.UnixNano()), SourceAt: at, Doc: doc})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func figures(t *testing.T, s *hub.Store, customerID uint64) hub.OrderFigures {
	t.Helper()
	f, err := s.CustomerOrderFigures(context.Background(), customerID)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// main returns the main-currency figures as one comparable line.
func mainLine(f hub.OrderFigures) string {
	if f.Main == nil {
		return fmt.Sprintf("orders=%d none", f.Orders)
	}
	m := f.Main
	return fmt.Sprintf("orders=%d %s paid=%d spent=%s aov=%s first=%s last=%s", f.Orders, m.Currency, m.PaidOrders, m.TotalSpent, m.AverageOrderValue, f.FirstOrderAt, f.LastOrderAt)
}

func TestMergeOrderLifecycle(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
			cust := mustMerge(t, s, hub.Policy{}, in("shop", "501", at, map[string]any{"email": "olga@example.com"}))
			other := mustMerge(t, s, hub.Policy{}, in("shop", "502", at, map[string]any{"email": "other@example.com"}))

			// Linked by the shop's customer link before the email.
			doc := order(t, map[string]any{"number": "#1001", "total": "100.00", "customer_ref": "501", "customer_email": "other@example.com", "placed_at": "2025-03-01T10:00:00Z"})
			r := mergeOrder(t, s, "shop", "9001", at, doc)
			if !r.Created || r.CustomerID != cust.CustomerID || r.Version != 1 || !r.AffectsFigures() {
				t.Fatalf("first merge = %+v, want created under customer %d", r, cust.CustomerID)
			}
			// The same state again (a webhook retry, a poll overlap): nothing.
			if again := mergeOrder(t, s, "shop", "9001", at, doc); again.Version != 1 || len(again.Changed) != 0 || again.AffectsFigures() {
				t.Fatalf("repeat = %+v", again)
			}
			// A second, later order; then a partial refund of the first.
			mergeOrder(t, s, "shop", "9002", at.Add(time.Hour), order(t, map[string]any{"total": "50.50", "customer_ref": "501", "placed_at": "2025-03-05T09:00:00Z"}))
			refund := order(t, map[string]any{"number": "#1001", "total": "100.00", "refunded": "20.00", "financial_status": "partially_refunded", "customer_ref": "501", "placed_at": "2025-03-01T10:00:00Z"})
			r2 := mergeOrder(t, s, "shop", "9001", at.Add(2*time.Hour), refund)
			if r2.Version != 2 || fmt.Sprint(r2.Changed) != "[financial_status refunded]" || !r2.AffectsFigures() {
				t.Fatalf("refund = %+v", r2)
			}
			want := "orders=2 EUR paid=2 spent=130.50 aov=65.25 first=2025-03-01T10:00:00Z last=2025-03-05T09:00:00Z"
			if got := mainLine(figures(t, s, cust.CustomerID)); got != want {
				t.Errorf("figures after refund:\n got %s\nwant %s", got, want)
			}
			// The original state arriving late is stale and changes nothing.
			if old := mergeOrder(t, s, "shop", "9001", at, doc); !old.Stale {
				t.Fatalf("late original = %+v, want stale", old)
			}
			// Cancelling the second order takes it out of every figure.
			cancel := order(t, map[string]any{"total": "50.50", "refunded": "50.50", "status": "cancelled", "financial_status": "refunded",
				"customer_ref": "501", "placed_at": "2025-03-05T09:00:00Z", "cancelled_at": "2025-03-06T00:00:00Z"})
			mergeOrder(t, s, "shop", "9002", at.Add(3*time.Hour), cancel)
			want = "orders=1 EUR paid=1 spent=80.00 aov=80.00 first=2025-03-01T10:00:00Z last=2025-03-01T10:00:00Z"
			if got := mainLine(figures(t, s, cust.CustomerID)); got != want {
				t.Errorf("figures after cancel:\n got %s\nwant %s", got, want)
			}
			if got := mainLine(figures(t, s, other.CustomerID)); got != "orders=0 none" {
				t.Errorf("other customer got figures: %s", got)
			}
			// Lineage: one creation row, one row per changed field.
			var rows []hub.OrderChange
			if err := s.DB().Where("order_id = ?", r.OrderID).Order("id").Find(&rows).Error; err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range rows {
				got = append(got, fmt.Sprintf("v%d %s", c.Version, c.Field))
			}
			if diff := cmp.Diff([]string{"v1 *", "v2 financial_status", "v2 refunded"}, got); diff != "" {
				t.Errorf("lineage (-want +got):\n%s", diff)
			}
			// The 360° view lists the orders, latest placed first.
			v, err := s.View(ctx, cust.CustomerID, 5)
			if err != nil {
				t.Fatal(err)
			}
			if len(v.Orders) != 2 || v.Orders[0].ExternalID != "9002" || v.OrderFigures.Orders != 1 || v.Orders[1].Order["refunded"] != "20.00" {
				t.Errorf("view orders %+v figures %+v", v.Orders, v.OrderFigures)
			}
		})
	}
}

// Orders that arrive before their customer are adopted when the customer
// is created: by the shop's customer id in the same instance, or by email.
func TestOrdersAdoptedByLateCustomer(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			at := time.Date(2025, 4, 1, 8, 0, 0, 0, time.UTC)
			byRef := mergeOrder(t, s, "shop", "1", at, order(t, map[string]any{"total": "10.00", "customer_ref": "77", "placed_at": "2025-04-01T08:00:00Z"}))
			byEmail := mergeOrder(t, s, "other-shop", "1", at, order(t, map[string]any{"total": "5.00", "customer_email": "late@example.com", "placed_at": "2025-04-02T08:00:00Z"}))
			// The same shop id in another instance is another person.
			foreign := mergeOrder(t, s, "other-shop", "2", at, order(t, map[string]any{"total": "7.00", "customer_ref": "77", "placed_at": "2025-04-03T08:00:00Z"}))
			for _, r := range []hub.OrderResult{byRef, byEmail, foreign} {
				if r.CustomerID != 0 {
					t.Fatalf("order linked before any customer exists: %+v", r)
				}
			}
			c := mustMerge(t, s, hub.Policy{}, in("shop", "77", at, map[string]any{"email": "late@example.com"}))
			mustAdopt(t, s, c.CustomerID, 2)
			if got := mainLine(figures(t, s, c.CustomerID)); got != "orders=2 EUR paid=2 spent=15.00 aov=7.50 first=2025-04-01T08:00:00Z last=2025-04-02T08:00:00Z" {
				t.Errorf("figures: %s", got)
			}
			// Nothing left to adopt: a second call changes nothing.
			mustAdopt(t, s, c.CustomerID, 0)
			o, _, err := s.Order(ctx, "other-shop", "2")
			if err != nil || o.CustomerID != nil {
				t.Errorf("foreign order = %+v, %v; want unlinked", o, err)
			}
		})
	}
}

// Figures in several currencies are never added up: the main currency is
// the one most orders were placed in, ties going to the latest order's.
func TestOrderFiguresPerCurrency(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			at := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
			c := mustMerge(t, s, hub.Policy{}, in("shop", "1", at, map[string]any{"email": "multi@example.com"}))
			for i, o := range []map[string]any{
				{"currency": "CHF", "total": "30.00", "placed_at": "2025-01-01T00:00:00Z"},
				{"currency": "EUR", "total": "10.005", "placed_at": "2025-02-01T00:00:00Z"},
				{"currency": "EUR", "total": "20.00", "placed_at": "2025-03-01T00:00:00Z", "financial_status": "pending"},
				{"currency": "CHF", "total": "99.00", "placed_at": "2025-04-01T00:00:00Z", "financial_status": "voided"},
				{"currency": "JPY", "total": "1200", "placed_at": "2025-04-15T00:00:00Z", "status": "cancelled"},
			} {
				o["customer_ref"] = "1"
				mergeOrder(t, s, "shop", fmt.Sprint(100+i), at, order(t, o))
			}
			f := figures(t, s, c.CustomerID)
			// EUR and CHF tie on counted orders (2:1 would not); EUR's order
			// is the latest counted one. The pending EUR order counts but
			// is not money received.
			if got := mainLine(f); got != "orders=3 EUR paid=1 spent=10.01 aov=10.01 first=2025-01-01T00:00:00Z last=2025-03-01T00:00:00Z" {
				t.Errorf("figures: %s", got)
			}
			var cur []string
			for _, c := range f.ByCurrency {
				cur = append(cur, fmt.Sprintf("%s:%d:%s", c.Currency, c.Orders, c.TotalSpent))
			}
			if diff := cmp.Diff([]string{"EUR:2:10.01", "CHF:1:30.00"}, cur); diff != "" {
				t.Errorf("by currency (-want +got):\n%s", diff)
			}
		})
	}
}

// Webhooks of one order arrive concurrently (orders/create, orders/paid,
// orders/updated within a second): one row, the newest state.
func TestMergeOrderConcurrent(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			at := time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)
			c := mustMerge(t, s, hub.Policy{}, in("shop", "1", at, map[string]any{"email": "race@example.com"}))
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					doc := order(t, map[string]any{"total": fmt.Sprintf("%d.00", 10+i), "customer_email": "race@example.com", "placed_at": "2025-06-01T08:00:00Z"})
					_, err := s.MergeOrder(context.Background(), hub.OrderInbound{Instance: "shop", ExternalID: "1", SourceAt: at.Add(time.Duration(i) * time.Second), Doc: doc})
					errs <- err
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			o, data, err := s.Order(context.Background(), "shop", "1")
			if err != nil {
				t.Fatal(err)
			}
			if data["total"] != "17.00" || o.CustomerID == nil || *o.CustomerID != c.CustomerID {
				t.Errorf("order after the race: total %v customer %v", data["total"], o.CustomerID)
			}
		})
	}
}

// mustAdopt runs Store.Adopt for customerID and fails unless it adopted
// want records (orders and tickets) for it, and nothing for anyone else.
func mustAdopt(t *testing.T, s *hub.Store, customerID uint64, want int) {
	t.Helper()
	adopted, err := s.Adopt(context.Background(), customerID)
	if err != nil {
		t.Fatal(err)
	}
	if adopted[customerID] != want || len(adopted) > min(want, 1) {
		t.Fatalf("adopted %v, want %d records for customer %d", adopted, want, customerID)
	}
}
