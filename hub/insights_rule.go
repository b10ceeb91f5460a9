package hub

import (
	"fmt"
	"reflect"
	"sort"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"
	"github.com/shophub/shophub/mappings"
)

// ProfitabilityRule is the operator's rule deciding a customer's
// profitability class: an expr-lang expression (the language of the
// mappings' expr) over the indicators, returning the class name, e.g.
//
//	return_rate_value > 0.3 || complaints_after_large_order > 1 ? 'unprofitable' :
//	aov >= 100 && invoice_share < 0.5 ? 'high' : 'standard'
//
// ProfitabilityVariables lists what it can read.
type ProfitabilityRule struct {
	Text    string
	program *vm.Program
	reads   []string
}

// ProfitabilityVariables are the names a profitability rule can read,
// each an indicator (Indicators' JSON names; money as numbers in the main
// currency), plus days_since_last_order.
var ProfitabilityVariables = []string{
	"orders", "paid_orders", "currency", "ltv", "aov", "return_rate_value", "return_rate_count",
	"preferred_payment_method", "last_payment_method", "invoice_share", "median_days_between_orders",
	"days_since_last_order", "open_tickets", "tickets_90d", "complaints_after_large_order",
	"r", "f", "m", "segment",
}

// CompileProfitability compiles an operator's rule; "" gives nil (no
// class). A rule naming anything but ProfitabilityVariables, or not
// returning a string, is an error.
func CompileProfitability(text string) (*ProfitabilityRule, error) {
	if text == "" {
		return nil, nil
	}
	env := profitabilityEnv(Indicators{}, time.Time{})
	p, err := expr.Compile(text, expr.Env(env), expr.AsKind(reflect.String))
	if err != nil {
		return nil, fmt.Errorf("profitability rule: %w", err)
	}
	r := &ProfitabilityRule{Text: text, program: p}
	seen := map[string]bool{}
	node := p.Node()
	ast.Walk(&node, identVisitor(func(name string) {
		if _, ok := env[name]; ok && !seen[name] {
			seen[name] = true
			r.reads = append(r.reads, name)
		}
	}))
	sort.Strings(r.reads)
	return r, nil
}

// Reads lists the variables the rule reads.
func (r *ProfitabilityRule) Reads() []string {
	if r == nil {
		return nil
	}
	return r.reads
}

type identVisitor func(string)

func (v identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v(id.Value)
	}
}

// classify runs the rule over in; the class and the inputs it read. A
// customer without orders has no class: there is nothing to judge.
func (r *ProfitabilityRule) classify(in Indicators, now time.Time) (string, map[string]any) {
	if r == nil || in.Orders == 0 {
		return "", nil
	}
	env := profitabilityEnv(in, now)
	out, err := expr.Run(r.program, env)
	if err != nil {
		return "", map[string]any{"error": err.Error()}
	}
	inputs := make(map[string]any, len(r.reads))
	for _, k := range r.reads {
		inputs[k] = env[k]
	}
	s, _ := out.(string)
	return s, inputs
}

func profitabilityEnv(in Indicators, now time.Time) map[string]any {
	money := func(s string) float64 {
		u, _ := mappings.MoneyUnits(s)
		return float64(u) / 10000
	}
	since := -1
	if t, err := time.Parse(time.RFC3339, in.LastOrderAt); err == nil && !now.IsZero() {
		since = int(now.Sub(t) / (24 * time.Hour))
	}
	return map[string]any{
		"orders": in.Orders, "paid_orders": in.PaidOrders, "currency": in.Currency,
		"ltv": money(in.LTV), "aov": money(in.AOV),
		"return_rate_value": in.ReturnRateValue, "return_rate_count": in.ReturnRateCount,
		"preferred_payment_method": in.PreferredPaymentMethod, "last_payment_method": in.LastPaymentMethod,
		"invoice_share": in.InvoiceShare, "median_days_between_orders": in.MedianDaysBetweenOrders,
		"days_since_last_order": since, "open_tickets": in.OpenTickets, "tickets_90d": in.Tickets90d,
		"complaints_after_large_order": in.ComplaintsAfterLargeOrder,
		"r":                            in.R, "f": in.F, "m": in.M, "segment": in.Segment,
	}
}
