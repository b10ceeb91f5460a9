package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/metrics"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// TestSeriesAddsUpAcrossProcesses: two processes' counts land in the same
// minute and ten-minute buckets; the hour and the day windows read them.
func TestSeriesAddsUpAcrossProcesses(t *testing.T) {
	rdb, _ := redistest.Client(t)
	ctx := context.Background()
	a, b := shsync.NewSeries(rdb), shsync.NewSeries(rdb)
	m := metrics.New()
	m.SetSink(a)
	m.WebhookReceived("shopify")
	m.WebhookReceived("shopify")
	m.WebhookRejected("shopify", "signature")
	m.Task(shsync.TypePush, "shopware", time.Millisecond, true)
	b.Add("shopify", metrics.EventWebhooks, 3)
	for _, s := range []*shsync.Series{a, b} {
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, day := range []bool{false, true} {
		p, err := shsync.ReadSeries(ctx, rdb, day, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			inst, kind string
			want       int64
		}{
			{"shopify", metrics.EventWebhooks, 5}, {"shopify", metrics.EventRejected, 1},
			{"shopware", metrics.EventPushes, 1}, {"shopware", metrics.EventPushErrors, 1}, {"shopware", metrics.EventTasks, 1},
		} {
			if got := p.Total(c.inst, c.kind); got != c.want {
				t.Errorf("day=%v %s %s: %d, want %d", day, c.inst, c.kind, got, c.want)
			}
		}
		s := p.Counts["shopify"][metrics.EventWebhooks]
		n := len(s)
		// The last bucket holds them (or the one before, had the minute
		// just turned).
		if (!day && n != 60) || (day && n != 144) || s[n-1]+s[n-2] != 5 {
			t.Errorf("day=%v: %d buckets, %v", day, n, s)
		}
	}
}
