package sync

import (
	"bytes"
	"context"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shophub/shophub/internal/jsonx"
	"github.com/shophub/shophub/metrics"
)

// Observe is ServeMux middleware recording each task's run time and
// failure by type and connector instance.
func Observe(m *metrics.Metrics) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			start := time.Now()
			err := next.ProcessTask(ctx, t)
			m.Task(t.Type(), taskInstance(t), time.Since(start), err != nil)
			return err
		})
	}
}

// taskInstance is the connector instance a task's payload names, its
// metrics label. The payloads shophub writes name it first, so it is read
// there without decoding the rest: an ingest's payload carries the whole
// record, and encoding/json scanned all of it (and an aggregated batch,
// which is no JSON, to the end) for every task run.
func taskInstance(t *asynq.Task) string {
	b := t.Payload()
	switch t.Type() {
	case TypePushBatch:
		// One target's pushes: the first names it.
		if items, err := splitBatch(b); err == nil && len(items) > 0 {
			b = items[0]
		}
	case TypeIngestBatch:
		return "" // many instances' ingests
	}
	return payloadInstance(b)
}

// payloadInstance is the instance a task payload of shophub's names.
func payloadInstance(b []byte) string {
	const first = `{"instance":"`
	if rest, ok := bytes.CutPrefix(b, []byte(first)); ok {
		if i := bytes.IndexByte(rest, '"'); i >= 0 && bytes.IndexByte(rest[:i], '\\') < 0 {
			return string(rest[:i])
		}
	}
	var p struct {
		Instance string `json:"instance"`
	}
	_ = jsonx.Unmarshal(b, &p)
	return p.Instance
}

// QueueCollector reports every queue's size by state (dead letters are the
// archived ones) from asynq's Inspector at scrape time.
type QueueCollector struct {
	Inspector *asynq.Inspector
	size      *prometheus.Desc
	dead      *prometheus.Desc
}

// NewQueueCollector reads the queues through insp.
func NewQueueCollector(insp *asynq.Inspector) *QueueCollector {
	return &QueueCollector{
		Inspector: insp,
		size:      prometheus.NewDesc("shophub_queue_tasks", "Tasks in a queue, by state.", []string{"queue", "state"}, nil),
		dead:      prometheus.NewDesc("shophub_dead_letters", "Dead letters (archived tasks) by queue; push queues are per connector instance.", []string{"queue"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *QueueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.size; ch <- c.dead }

// Collect implements prometheus.Collector.
func (c *QueueCollector) Collect(ch chan<- prometheus.Metric) {
	queues, err := c.Inspector.Queues()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.size, err)
		return
	}
	for _, q := range queues {
		info, err := c.Inspector.GetQueueInfo(q)
		if err != nil {
			continue // removed between the two calls
		}
		for state, n := range map[string]int{"pending": info.Pending, "active": info.Active, "scheduled": info.Scheduled,
			"retry": info.Retry, "archived": info.Archived} {
			ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(n), q, state)
		}
		ch <- prometheus.MustNewConstMetric(c.dead, prometheus.GaugeValue, float64(info.Archived), q)
	}
}
