package console

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/metrics"
	shsync "github.com/shophub/shophub/sync"
)

// connectorHealth is one connector's card on the health page.
type connectorHealth struct {
	Name, Type string
	// State is the worst state any worker process reports ("up",
	// "pending", "down"; "unknown" with no worker running), Detail why.
	State, Detail string
	Polls         bool
	LastPoll      *time.Time
	// PushLag is how long the oldest waiting push has waited.
	PushLag     time.Duration
	PushPending int
	// BulkLag and BulkPending are the same of the bulk push queue (a
	// scoring run's pushes, taken only while no live push waits): a
	// first run's flood shows here, not as push lag.
	BulkLag                       time.Duration
	BulkPending                   int
	DeadLetters, Quarantined      int64
	Webhooks, Rejected            int64
	Pushes, PushErrors            int64
	Tasks, TaskErrors, RateWaited int64
	ErrorRate                     float64
	Charts                        []chart
}

type chart struct {
	Title, Legend string
	SVG           template.HTML
}

func (c *Console) health(ctx *gin.Context) {
	rc := ctx.Request.Context()
	day := ctx.Query("window") == "day"
	now := time.Now()
	series, err := shsync.ReadSeries(rc, c.Redis, day, now)
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, fmt.Errorf("time series: %w", err))
		return
	}
	board, err := shsync.ReadHealth(rc, c.Redis)
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	var cursors []hub.Cursor
	if err := c.Store.DB().WithContext(rc).Find(&cursors).Error; err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	deadCounts := map[string]int{}
	if c.DeadLetters != nil {
		if deadCounts, err = c.DeadLetters.Counts(); err != nil {
			c.fail(ctx, http.StatusInternalServerError, err)
			return
		}
	}
	var quarantine []struct {
		Instance string
		N        int64
	}
	if err := c.Store.DB().WithContext(rc).Model(&hub.Quarantined{}).Select("instance, count(*) as n").
		Where("replayed_at IS NULL").Group("instance").Scan(&quarantine).Error; err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	rank := map[string]int{shsync.StateUp: 1, shsync.StatePending: 2, shsync.StateDown: 3}
	var cards []connectorHealth
	for _, cn := range c.Connectors {
		h := connectorHealth{Name: cn.Name, Type: cn.Type, Polls: cn.Polls, State: "unknown", Detail: "no worker process reports this connector"}
		worst := 0
		for _, b := range board {
			if b.Instance == cn.Name && rank[b.State] > worst {
				worst = rank[b.State]
				h.State, h.Detail = b.State, "reported by "+b.Process
				if b.State == shsync.StateDown {
					h.Detail = fmt.Sprintf("down since %s after %d failed attempts: %s", when(b.Since), b.Failures, b.Error)
				}
			}
		}
		for i := range cursors {
			cur := cursors[i]
			if cur.Instance != cn.Name || strings.HasPrefix(cur.Resource, "reconcile:") || cur.LastSuccessAt == nil {
				continue
			}
			if h.LastPoll == nil || cur.LastSuccessAt.After(*h.LastPoll) {
				h.LastPoll = cur.LastSuccessAt
			}
		}
		if c.DeadLetters != nil {
			if info, err := c.DeadLetters.Inspector.GetQueueInfo(shsync.PushQueue(cn.Name)); err == nil {
				h.PushLag, h.PushPending = info.Latency, info.Pending+info.Retry
			}
			if info, err := c.DeadLetters.Inspector.GetQueueInfo(shsync.PushBulkQueue(cn.Name)); err == nil {
				h.BulkLag, h.BulkPending = info.Latency, info.Pending+info.Retry
			}
		}
		h.DeadLetters = int64(deadCounts[cn.Name])
		for _, q := range quarantine {
			if q.Instance == cn.Name {
				h.Quarantined = q.N
			}
		}
		t := func(kind string) int64 { return series.Total(cn.Name, kind) }
		h.Webhooks, h.Rejected = t(metrics.EventWebhooks), t(metrics.EventRejected)
		h.Pushes, h.PushErrors = t(metrics.EventPushes), t(metrics.EventPushErrors)
		h.Tasks, h.TaskErrors, h.RateWaited = t(metrics.EventTasks), t(metrics.EventTaskErrors), t(metrics.EventRateLimited)
		if h.Tasks > 0 {
			h.ErrorRate = float64(h.TaskErrors) / float64(h.Tasks)
		}
		pts := series.Counts[cn.Name]
		h.Charts = []chart{
			{Title: "Webhooks", Legend: "received / rejected", SVG: bars(pts[metrics.EventWebhooks], pts[metrics.EventRejected], series)},
			{Title: "Pushes", Legend: "pushes / failed", SVG: bars(pts[metrics.EventPushes], pts[metrics.EventPushErrors], series)},
			{Title: "Tasks", Legend: "runs / errors", SVG: bars(pts[metrics.EventTasks], pts[metrics.EventTaskErrors], series)},
			{Title: "Rate-limit waits", Legend: "waits", SVG: bars(pts[metrics.EventRateLimited], nil, series)},
		}
		cards = append(cards, h)
	}
	window := "last hour, per minute"
	if day {
		window = "last 24 hours, per 10 minutes"
	}
	c.render(ctx, http.StatusOK, "health", map[string]any{"Cards": cards, "Day": day, "Window": window, "Now": now})
}

// bars draws a small bar chart of one series, a second (errors) drawn
// over it in the alarm color. Inline SVG: no script, no image request.
func bars(main, alarm []int64, p shsync.SeriesPoints) template.HTML {
	n := int(24 * time.Hour / p.Step)
	if p.Step == time.Minute {
		n = 60
	}
	const w, h = 300.0, 48.0
	var peak int64 = 1
	for _, s := range [][]int64{main, alarm} {
		for _, v := range s {
			peak = max(peak, v)
		}
	}
	bw := w / float64(n)
	var b strings.Builder
	var total, totalAlarm int64
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" preserveAspectRatio="none" role="img">`, w, h+2)
	fmt.Fprintf(&b, `<line x1="0" y1="%g" x2="%g" y2="%g" class="axis"/>`, h+1, w, h+1)
	draw := func(s []int64, class string) {
		for i, v := range s {
			if v == 0 {
				continue
			}
			bh := float64(v) / float64(peak) * h
			fmt.Fprintf(&b, `<rect class="%s" x="%.2f" y="%.2f" width="%.2f" height="%.2f"/>`, class, float64(i)*bw, h-bh, max(bw-0.6, 0.6), bh)
		}
	}
	draw(main, "bar")
	draw(alarm, "bar alarm")
	for _, v := range main {
		total += v
	}
	for _, v := range alarm {
		totalAlarm += v
	}
	fmt.Fprintf(&b, `<title>%d (%d) in the window, peak %d per bucket</title></svg>`, total, totalAlarm, peak)
	return template.HTML(b.String()) //nolint:gosec // numbers only
}
