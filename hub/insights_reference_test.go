package hub_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// genOrder and genTicket are the generated history, kept in memory for
// the reference computation below.
type genOrder struct {
	id                uint64
	customer          int
	status, financial string
	currency          string
	total, refunded   int64 // cents
	method            string
	returnedItems     int
	placed            time.Time
}

type genTicket struct {
	customer int
	status   string
	opened   time.Time
}

// refResult is one customer's expected insights, computed plainly.
type refResult struct {
	Orders, Paid             int
	Currency, LTV, AOV       string
	First, Last              string
	RateValue, RateCount     float64
	Preferred, LastMethod    string
	InvoiceShare             float64
	MedianDays               float64
	Due, DueBasis            string
	Open, Recent, Complaints int
	R, F, M                  int
	Segment, Profitability   string
}

// TestInsightsEqualReference generates 10,000 customers with 100,000
// orders (refunds, returns, three currencies, every payment method,
// cancelled and unpaid ones) and 6,000 tickets, inserted in bulk, lets the
// hub compute every customer's insights and score them, and compares each
// indicator and score with a reference computed below from the generated
// data alone (no code shared with hub).
func TestInsightsEqualReference(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("bulk history: not in -short")
	}
	s := hubtest.MySQL(t)
	ctx := context.Background()
	const customers, orders, tickets = 10000, 100000, 6000
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(18, 2026))

	custRows := make([]hub.Customer, customers)
	for i := range custRows {
		e := fmt.Sprintf("c%05d@example.com", i)
		custRows[i] = hub.Customer{Email: &e, FirstName: "F", LastName: fmt.Sprint("L", i), Data: "{}", Provenance: "{}", Version: 1}
	}
	if err := s.DB().CreateInBatches(&custRows, 2000).Error; err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, customers)
	for i, c := range custRows {
		ids[i] = c.ID
	}

	methods := []string{"invoice", "prepayment", "card", "paypal", "direct_debit", "cash_on_delivery", "bnpl", "other", ""}
	currencies := []string{"EUR", "EUR", "EUR", "USD", "CHF"}
	gen := make([]genOrder, orders)
	rows := make([]hub.Order, orders)
	// Every customer gets at least one order; the rest go to a skewed
	// few, so frequency spreads over the quintiles.
	for i := range gen {
		c := i
		if i >= customers {
			c = int(rng.ExpFloat64()*float64(customers)/4) % customers
		}
		g := genOrder{customer: c, currency: currencies[(c+rng.IntN(3)/2)%len(currencies)], method: methods[rng.IntN(len(methods))],
			status: "completed", financial: "paid", total: int64(500 + rng.IntN(90000))}
		switch x := rng.IntN(100); {
		case x < 4:
			g.status = "cancelled"
		case x < 7:
			g.financial = "voided"
		case x < 12:
			g.financial = "pending"
		case x < 22:
			g.financial, g.refunded = "partially_refunded", int64(1+rng.IntN(int(g.total-1)))
		case x < 26:
			g.financial, g.refunded = "refunded", g.total
		}
		if rng.IntN(10) == 0 {
			g.returnedItems = 1 + rng.IntN(2)
		}
		// Distinct whole seconds within three years before now.
		g.placed = now.Add(-time.Duration(i+1) * time.Second).Add(-time.Duration(rng.IntN(3*365*24*3600)) * time.Second)
		gen[i] = g
		rows[i] = hub.Order{Instance: "shop", ExternalID: fmt.Sprint("o", i), CustomerID: &ids[c], Number: fmt.Sprint(i),
			Status: g.status, FinancialStatus: g.financial, Currency: g.currency, TotalUnits: g.total * 100, RefundedUnits: g.refunded * 100,
			PaymentMethod: g.method, ReturnedItems: g.returnedItems, Items: 3, PlacedAt: g.placed, SourceAt: g.placed, Data: "{}", Provenance: "{}", Version: 1}
	}
	if err := s.DB().CreateInBatches(&rows, 2000).Error; err != nil {
		t.Fatal(err)
	}
	for i := range gen {
		gen[i].id = rows[i].ID
	}
	genT := make([]genTicket, tickets)
	trows := make([]hub.Ticket, tickets)
	statuses := []string{"active", "pending", "closed", "closed", "spam"}
	for i := range genT {
		c := rng.IntN(customers)
		g := genTicket{customer: c, status: statuses[rng.IntN(len(statuses))], opened: now.Add(-time.Duration(rng.IntN(400*24)) * time.Hour)}
		genT[i] = g
		trows[i] = hub.Ticket{Instance: "desk", ExternalID: fmt.Sprint("t", i), CustomerID: &ids[c], Status: g.status,
			Data: fmt.Sprintf(`{"opened_at":%q}`, g.opened.Format(time.RFC3339)), Provenance: "{}", Version: 1, SourceAt: g.opened}
	}
	if err := s.DB().CreateInBatches(&trows, 2000).Error; err != nil {
		t.Fatal(err)
	}

	const ruleText = "segment == 'champions' && return_rate_value < 0.1 ? 'high' : return_rate_value >= 0.25 || complaints_after_large_order > 0 ? 'low' : 'medium'"
	rule, err := hub.CompileProfitability(ruleText)
	if err != nil {
		t.Fatal(err)
	}
	opts := hub.InsightOptions{LargeOrderUnits: 800 * 10000, ComplaintDays: 14, Profitability: rule, Now: func() time.Time { return now }}
	start := time.Now()
	if _, err := s.RefreshInsights(ctx, opts, "rebuild", ids...); err != nil {
		t.Fatal(err)
	}
	computed := time.Since(start)
	sc, err := s.ScoreRFM(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d customers, %d orders: indicators in %v, RFM scored %d in %v (%d changed)", customers, orders, computed, sc.Scored, sc.Duration, len(sc.Changed))

	want := reference(gen, genT, customers, now)
	segs, classes, complaints, due := map[string]int{}, map[string]int{}, 0, 0
	for _, w := range want {
		segs[w.Segment]++
		classes[w.Profitability]++
		complaints += w.Complaints
		if w.Due != "" {
			due++
		}
	}
	t.Logf("reference: segments %v, classes %v, %d complaints after a large order, %d due dates", segs, classes, complaints, due)
	bad := 0
	for c := 0; c < customers && bad < 10; c++ {
		in, ok, err := s.Insights(ctx, ids[c])
		if err != nil || !ok {
			t.Fatalf("customer %d: %v %v", c, ok, err)
		}
		got := refResult{Orders: in.Orders, Paid: in.PaidOrders, Currency: in.Currency, LTV: in.LTV, AOV: in.AOV, First: in.FirstOrderAt, Last: in.LastOrderAt,
			RateValue: in.ReturnRateValue, RateCount: in.ReturnRateCount, Preferred: in.PreferredPaymentMethod, LastMethod: in.LastPaymentMethod,
			InvoiceShare: in.InvoiceShare, MedianDays: in.MedianDaysBetweenOrders, Due: in.NextOrderDue, DueBasis: in.NextOrderDueBasis,
			Open: in.OpenTickets, Recent: in.Tickets90d, Complaints: in.ComplaintsAfterLargeOrder, R: in.R, F: in.F, M: in.M,
			Segment: in.Segment, Profitability: in.Profitability}
		if got.Orders > 0 && got.Orders < 3 {
			got.DueBasis = "" // the scheduled run moves the date, the basis stays as computed
			want[c].DueBasis = ""
		}
		if diff := cmp.Diff(want[c], got); diff != "" {
			t.Errorf("customer %d (-reference +hub):\n%s", c, diff)
			bad++
		}
	}
	// A second run changes nothing, so it pushes nobody.
	if sc, err = s.ScoreRFM(ctx, opts); err != nil || len(sc.Changed) != 0 {
		t.Fatalf("second run: %d changed, %v", len(sc.Changed), err)
	}
}

// reference computes every customer's insights from the generated
// history, following the definitions in the README's insights section.
func reference(gen []genOrder, tickets []genTicket, customers int, now time.Time) []refResult {
	byCust := make([][]genOrder, customers)
	for _, o := range gen {
		byCust[o.customer] = append(byCust[o.customer], o)
	}
	money := func(cents int64) string { return fmt.Sprintf("%d.%02d", cents/100, cents%100) }
	rate := func(a, b int64) float64 {
		if b == 0 {
			return 0
		}
		return float64((a*10000+b/2)/b) / 10000
	}
	median := func(v []int64) int64 {
		sort.Slice(v, func(i, j int) bool { return v[i] < v[j] })
		if len(v)%2 == 1 {
			return v[len(v)/2]
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	out := make([]refResult, customers)
	ltvCents := make([]int64, customers)
	medians := make([]int64, customers)
	lastAt := make([]time.Time, customers)
	for c := range customers {
		var placed []genOrder
		for _, o := range byCust[c] {
			if o.status != "cancelled" && o.financial != "voided" {
				placed = append(placed, o)
			}
		}
		sort.Slice(placed, func(i, j int) bool { return placed[i].placed.Before(placed[j].placed) })
		r := &out[c]
		r.LTV, r.AOV = "0.00", "0.00"
		r.Orders = len(placed)
		if len(placed) == 0 {
			continue
		}
		r.First, r.Last = placed[0].placed.Format(time.RFC3339), placed[len(placed)-1].placed.Format(time.RFC3339)
		lastAt[c] = placed[len(placed)-1].placed
		// Main currency: most placed orders; a tie goes to the latest
		// order's currency, else to the currency seen first.
		count := map[string]int{}
		var seen []string
		for _, o := range placed {
			if count[o.currency] == 0 {
				seen = append(seen, o.currency)
			}
			count[o.currency]++
		}
		most := 0
		for _, cur := range seen {
			most = max(most, count[cur])
		}
		latestCur := placed[len(placed)-1].currency
		if count[latestCur] == most {
			r.Currency = latestCur
		} else {
			for _, cur := range seen {
				if count[cur] == most {
					r.Currency = cur
					break
				}
			}
		}
		isPaid := func(o genOrder) bool {
			return o.financial == "paid" || o.financial == "partially_refunded" || o.financial == "refunded"
		}
		var total, refunded, paidAll, returnedAll int64
		for _, o := range placed {
			if !isPaid(o) {
				continue
			}
			paidAll++
			if o.refunded > 0 || o.returnedItems > 0 {
				returnedAll++
			}
			if o.currency == r.Currency {
				r.Paid++
				total += o.total
				refunded += o.refunded
			}
		}
		ltvCents[c] = total - refunded
		r.LTV = money(total - refunded)
		if r.Paid > 0 {
			r.AOV = money((total - refunded + int64(r.Paid)/2) / int64(r.Paid))
		}
		r.RateValue, r.RateCount = rate(refunded, total), rate(returnedAll, paidAll)
		uses := map[string]int{}
		invoices := 0
		for _, o := range placed {
			if o.method != "" {
				uses[o.method]++
				r.LastMethod = o.method
			}
			if o.method == "invoice" {
				invoices++
			}
		}
		best := 0
		for i := len(placed) - 1; i >= 0; i-- {
			if m := placed[i].method; m != "" && uses[m] > best {
				best, r.Preferred = uses[m], m
			}
		}
		r.InvoiceShare = rate(int64(invoices), int64(len(placed)))
		if len(placed) >= 2 {
			var iv []int64
			for i := 1; i < len(placed); i++ {
				iv = append(iv, int64(placed[i].placed.Sub(placed[i-1].placed).Seconds()))
			}
			medians[c] = median(iv)
			r.MedianDays = float64((medians[c]*10+43200)/86400) / 10
		}
		if len(placed) >= 3 {
			r.Due, r.DueBasis = lastAt[c].Add(time.Duration(medians[c])*time.Second).Format("2006-01-02"), "customer"
		}
	}
	// The shop's median: the median of the customers' own medians.
	var all []int64
	for c := range customers {
		if out[c].Orders >= 2 && medians[c] > 0 {
			all = append(all, medians[c])
		}
	}
	shop := median(all)
	for c := range customers {
		if n := out[c].Orders; n > 0 && n < 3 {
			out[c].Due, out[c].DueBasis = lastAt[c].Add(time.Duration(shop)*time.Second).Format("2006-01-02"), "shop"
		}
	}
	for _, tk := range tickets {
		r := &out[tk.customer]
		if tk.status == "active" || tk.status == "pending" {
			r.Open++
		}
		if !tk.opened.Before(now.Add(-90 * 24 * time.Hour)) {
			r.Recent++
		}
		for _, o := range byCust[tk.customer] {
			if o.status == "cancelled" || o.financial == "voided" || o.total < 80000 {
				continue
			}
			if !tk.opened.Before(o.placed) && !tk.opened.After(o.placed.Add(14*24*time.Hour)) {
				r.Complaints++
				break
			}
		}
	}
	// RFM quintiles over the customers with placed orders: 1 + 5·k/n, k
	// the customers with a strictly lower value; monetary within the main
	// currency.
	var active []int
	for c := range customers {
		if out[c].Orders > 0 {
			active = append(active, c)
		}
	}
	byCur := map[string][]int{}
	for _, c := range active {
		byCur[out[c].Currency] = append(byCur[out[c].Currency], c)
	}
	// Sorting makes the quadratic count linear enough for 10,000.
	rank := func(group []int, value func(int) int64) map[int]int {
		vals := make([]int64, len(group))
		for i, c := range group {
			vals[i] = value(c)
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
		res := map[int]int{}
		for _, c := range group {
			k := sort.Search(len(vals), func(i int) bool { return vals[i] >= value(c) })
			res[c] = 1 + 5*k/len(group)
		}
		return res
	}
	rs := rank(active, func(c int) int64 { return lastAt[c].Unix() })
	fs := rank(active, func(c int) int64 { return int64(out[c].Orders) })
	ms := map[int]int{}
	for _, g := range byCur {
		for c, v := range rank(g, func(c int) int64 { return ltvCents[c] }) {
			ms[c] = v
		}
	}
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	for _, c := range active {
		r := &out[c]
		r.R, r.F, r.M = rs[c], fs[c], ms[c]
		switch {
		case in(r.R, 4, 5) && in(r.F, 4, 5):
			r.Segment = "champions"
		case in(r.R, 3, 5) && in(r.F, 3, 5):
			r.Segment = "loyal"
		case r.R == 5 && r.F == 1:
			r.Segment = "new"
		case in(r.R, 3, 5) && in(r.F, 1, 2):
			r.Segment = "potential_loyalist"
		case in(r.R, 1, 2) && in(r.F, 4, 5) && in(r.M, 4, 5):
			r.Segment = "cannot_lose"
		case in(r.R, 1, 2) && in(r.F, 3, 5):
			r.Segment = "at_risk"
		case r.R == 2 && in(r.F, 1, 2):
			r.Segment = "hibernating"
		case r.R == 1 && in(r.F, 1, 2):
			r.Segment = "lost"
		}
		switch {
		case r.Segment == "champions" && r.RateValue < 0.1:
			r.Profitability = "high"
		case r.RateValue >= 0.25 || r.Complaints > 0:
			r.Profitability = "low"
		default:
			r.Profitability = "medium"
		}
	}
	return out
}
