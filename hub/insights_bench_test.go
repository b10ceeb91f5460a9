package hub_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// BenchmarkScoreRFM is the nightly run over 100,000 customers with
// indicators on MariaDB (target ≤ 10 s): the first run scores everyone,
// a second after 1% of the customers bought again pushes only those whose
// scores, segment, class or due date moved. It prints duration and pushes.
//
//	go test ./hub/ -run '^$' -bench ScoreRFM -benchtime 1x
func BenchmarkScoreRFM(b *testing.B) {
	s := hubtest.MySQL(b)
	ctx := context.Background()
	n := 100000
	if os.Getenv("SHOPHUB_BENCH_N") != "" {
		n, _ = strconv.Atoi(os.Getenv("SHOPHUB_BENCH_N"))
	}
	now := time.Date(2026, 6, 1, 3, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	custs := make([]hub.Customer, n)
	for i := range custs {
		e := fmt.Sprintf("b%06d@example.com", i)
		custs[i] = hub.Customer{Email: &e, Data: "{}", Provenance: "{}", Version: 1}
	}
	if err := s.DB().CreateInBatches(&custs, 5000).Error; err != nil {
		b.Fatal(err)
	}
	rows := make([]hub.Insight, n)
	for i, c := range custs {
		last := now.Add(-time.Duration(rng.IntN(3*365*24)) * time.Hour)
		orders := 1 + int(rng.ExpFloat64()*3)
		rows[i] = hub.Insight{CustomerID: c.ID, Orders: orders, Currency: []string{"EUR", "EUR", "USD", "CHF"}[rng.IntN(4)],
			LTVUnits: int64(rng.IntN(500000)) * 100, LastOrderAt: &last, Data: `{"orders":1,"ltv":"10.00","aov":"10.00"}`, ComputedAt: now}
		if orders >= 2 {
			rows[i].MedianIntervalS = int64(rng.IntN(200*24*3600) + 3600)
		}
	}
	if err := s.DB().CreateInBatches(&rows, 5000).Error; err != nil {
		b.Fatal(err)
	}
	rule, err := hub.CompileProfitability("r >= 4 && aov >= 100 ? 'high' : 'standard'")
	if err != nil {
		b.Fatal(err)
	}
	opts := hub.InsightOptions{Profitability: rule, Now: func() time.Time { return now }}
	for b.Loop() {
		first, err := s.ScoreRFM(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("first run: %d customers scored in %v (read %v, classify %v, write %v: %d rows, %d insight changes), %d pushes", first.Scored,
			first.Duration.Round(time.Millisecond), first.Read.Round(time.Millisecond), first.Classify.Round(time.Millisecond), first.Write.Round(time.Millisecond),
			len(first.Changed), first.Written, len(first.Changed))
		// 1% buy again.
		for i := 0; i < n/100; i++ {
			at := now.Add(-time.Hour)
			c := rows[rng.IntN(n)].CustomerID
			if err := s.DB().Model(&hub.Insight{}).Where("customer_id = ?", c).Updates(map[string]any{"last_order_at": at, "orders": 9}).Error; err != nil {
				b.Fatal(err)
			}
		}
		again, err := s.ScoreRFM(ctx, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("after 1%% bought again: %d customers scored in %v (read %v, classify %v, write %v), %d pushes", again.Scored, again.Duration.Round(time.Millisecond),
			again.Read.Round(time.Millisecond), again.Classify.Round(time.Millisecond), again.Write.Round(time.Millisecond), len(again.Changed))
		b.ReportMetric(float64(first.Duration.Milliseconds()), "ms/first-run")
		b.ReportMetric(float64(len(again.Changed)), "pushes/second-run")
	}
}
