package console

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/shophub/shophub/hub"
)

// insightsCard is the customer page's insights card: each indicator with
// its value and the orders (or tickets) it came from, built from the
// 360° view's insights so the card shows what GET /api/customers/:id says.
type insightsCard struct {
	Rows []insightRow
	// Lines are the refunded and returned lines of the orders behind the
	// return rates, one table for both rates (the value rate's orders are
	// among the count rate's).
	Lines         []returnedLine
	Segment       string
	Profitability string
	ComputedAt    string
	ScoredAt      string
}

// insightRow is one indicator. Values has one entry per currency for the
// money indicators, else one; Note says how the value was arrived at.
type insightRow struct {
	Key, Label string
	Values     []string
	Note       string
	Sources    []sourceItem
	// Inputs, on the profitability row, are what the rule read.
	Inputs []inputRow
}

// sourceItem is an order or ticket an indicator came from. URL is its
// page in the vendor's admin, "" when the console does not know one (the
// console has no order page of its own): then the label stands alone.
type sourceItem struct {
	Kind     string
	ID       uint64
	Label    string
	Instance string
	URL      string
	// Lines counts the order's lines in the returned lines table; the
	// source links there too.
	Lines int
}

// returnedLine is one row of the returned lines table; Order is set on
// an order's first line only (the cell spans its lines).
type returnedLine struct {
	Order    *sourceItem
	Span     int
	Line     hub.SourceLine
	Currency string
}

type inputRow struct{ Name, Value string }

// paymentMethods names the canonical payment methods
// (mappings.PaymentMethods) for people.
var paymentMethods = map[string]string{
	"invoice": "Invoice", "prepayment": "Prepayment", "card": "Card", "paypal": "PayPal",
	"direct_debit": "Direct debit", "cash_on_delivery": "Cash on delivery", "bnpl": "Buy now, pay later", "other": "Other",
}

func paymentMethodText(m string) string {
	if m == "" {
		return ""
	}
	if s, ok := paymentMethods[m]; ok {
		return s
	}
	return m
}

// buildInsightsCard turns the view's insights into the card; nil when the
// hub has computed none for the customer yet.
func (c *Console) buildInsightsCard(v *hub.View) *insightsCard {
	in := v.Insights
	if in == nil {
		return nil
	}
	// The order list knows each order's currency; the sources do not.
	currency := map[uint64]string{}
	for _, o := range v.Orders {
		if s, ok := o.Order["currency"].(string); ok {
			currency[o.ID] = s
		}
	}
	subjects := map[uint64]string{}
	for _, t := range v.Tickets {
		if s, ok := t.Ticket["subject"].(string); ok {
			subjects[t.ID] = s
		}
	}
	lineCount := map[uint64]int{}
	var lineOrders []hub.SourceRef
	for _, k := range []string{"return_rate_count", "return_rate_value"} {
		for _, r := range in.Sources[k] {
			if r.Kind != "order" || len(r.Lines) == 0 {
				continue
			}
			if _, seen := lineCount[r.ID]; !seen {
				lineOrders = append(lineOrders, r)
			}
			lineCount[r.ID] = len(r.Lines)
		}
	}
	sources := func(key string) []sourceItem {
		refs := in.Sources[key]
		out := make([]sourceItem, 0, len(refs))
		for _, r := range refs {
			s := c.sourceItem(r, subjects)
			if r.Kind == "order" && (key == "return_rate_count" || key == "return_rate_value") {
				s.Lines = lineCount[r.ID]
			}
			out = append(out, s)
		}
		return out
	}
	money := func(pick func(hub.CurrencyFigures) string) []string {
		var out []string
		for _, f := range in.ByCurrency { // the main currency first
			out = append(out, pick(f)+" "+f.Currency)
		}
		if len(out) == 0 {
			out = []string{pick(hub.CurrencyFigures{TotalSpent: in.LTV, AverageOrderValue: in.AOV}) + " " + in.Currency}
		}
		return out
	}
	one := func(s string) []string { return []string{s} }
	count := func(n int) []string { return one(strconv.Itoa(n)) }
	card := &insightsCard{Segment: in.Segment, Profitability: in.Profitability, ComputedAt: in.ComputedAt, ScoredAt: in.ScoredAt}
	mainNote := ""
	if len(in.ByCurrency) > 1 {
		mainNote = "orders from: those in " + in.Currency + ", the main currency"
	}
	add := func(key, label string, values []string, note string) {
		card.Rows = append(card.Rows, insightRow{Key: key, Label: label, Values: values, Note: note, Sources: sources(key)})
	}
	add("orders", "Orders", count(in.Orders), fmt.Sprintf("%d paid", in.PaidOrders))
	add("ltv", "Total spent (net of refunds)", money(func(f hub.CurrencyFigures) string { return f.TotalSpent }), mainNote)
	add("aov", "Average order value", money(func(f hub.CurrencyFigures) string { return f.AverageOrderValue }), mainNote)
	add("first_order_at", "First order", one(when(in.FirstOrderAt)), "")
	add("last_order_at", "Last order", one(when(in.LastOrderAt)), "")
	add("return_rate_value", "Return rate by value", one(pct(in.ReturnRateValue)), "refunded ÷ spent in "+in.Currency)
	add("return_rate_count", "Return rate by count", one(pct(in.ReturnRateCount)), "paid orders with a refund or a return")
	add("preferred_payment_method", "Preferred payment method", one(paymentMethodText(in.PreferredPaymentMethod)), "")
	add("last_payment_method", "Last payment method", one(paymentMethodText(in.LastPaymentMethod)), "")
	add("invoice_share", "Paid by invoice", one(pct(in.InvoiceShare)), "share of orders")
	median := ""
	if in.MedianDaysBetweenOrders > 0 {
		median = strconv.FormatFloat(in.MedianDaysBetweenOrders, 'f', 1, 64) + " days"
	}
	add("median_days_between_orders", "Median days between orders", one(median), "")
	due := ""
	switch in.NextOrderDueBasis {
	case "customer":
		due = "from the customer's median interval"
	case "shop":
		due = "from the shop's median interval (fewer than three orders)"
	}
	add("next_order_due", "Next order due", one(in.NextOrderDue), due)
	add("open_tickets", "Open tickets", count(in.OpenTickets), "")
	add("tickets_90d", "Tickets in the last 90 days", count(in.Tickets90d), "")
	add("complaints_after_large_order", "Complaints after a large order", count(in.ComplaintsAfterLargeOrder), "each ticket, then the large order it followed")
	if in.R > 0 {
		add("segment", "RFM scores", one(fmt.Sprintf("R %d · F %d · M %d", in.R, in.F, in.M)), "quintiles over the shop's active customers")
		card.Rows[len(card.Rows)-1].Key = "rfm"
	} else {
		// Not scored: the scores come from no order yet.
		card.Rows = append(card.Rows, insightRow{Key: "rfm", Label: "RFM scores", Values: one(""), Note: "not scored yet (the scheduled run scores)"})
	}
	// The segment comes from the scores, which name their orders above.
	card.Rows = append(card.Rows, insightRow{Key: "segment", Label: "Segment", Values: one(title(in.Segment)), Note: "from the RFM scores"})
	for _, r := range lineOrders {
		item := c.sourceItem(r, subjects)
		item.Lines = len(r.Lines)
		for i, l := range r.Lines {
			rl := returnedLine{Line: l, Currency: currency[r.ID]}
			if i == 0 {
				rl.Order, rl.Span = &item, len(r.Lines)
			}
			card.Lines = append(card.Lines, rl)
		}
	}
	names := make([]string, 0, len(in.ProfitabilityInputs))
	for k := range in.ProfitabilityInputs {
		names = append(names, k)
	}
	sort.Strings(names)
	var inputs []inputRow
	for _, k := range names {
		inputs = append(inputs, inputRow{Name: k, Value: valueText(in.ProfitabilityInputs[k])})
	}
	note := "the result of the operator's rule, from the values it read"
	if in.Profitability == "" && len(inputs) == 0 {
		note = "no rule configured, or not computed since"
	}
	card.Rows = append(card.Rows, insightRow{Key: "profitability", Label: "Profitability class", Values: one(in.Profitability), Note: note, Inputs: inputs})
	return card
}

// sourceItem names an order by its number (else its id at the vendor)
// and a ticket by its id at the helpdesk and its subject, linked to the vendor's admin
// where the connector says where that is.
func (c *Console) sourceItem(r hub.SourceRef, subjects map[uint64]string) sourceItem {
	s := sourceItem{Kind: r.Kind, ID: r.ID, Instance: r.Instance, Label: r.Number}
	if s.Label == "" {
		s.Label = r.ExternalID
	}
	if s.Label == "" {
		s.Label = "#" + strconv.FormatUint(r.ID, 10)
	}
	if r.Kind == "ticket" {
		s.Label = "ticket " + s.Label
		if subject := subjects[r.ID]; subject != "" {
			s.Label += ": " + subject
		}
	}
	if cn, ok := c.connector(r.Instance); ok {
		s.URL = adminURL(cn, r.Kind, r.ExternalID)
	}
	return s
}

func pct(x float64) string { return strconv.FormatFloat(x*100, 'f', 1, 64) + " %" }
