package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// The health board shares each worker process's view of its connectors'
// connection states through Redis, so `shophub status` and /readyz of any
// process show which instances are down, wherever they are connected.

const (
	healthKey = keyPrefix + "health"
	// healthStale: a process that has not refreshed its entries for this
	// long is gone; its entries are ignored and removed.
	healthStale   = 90 * time.Second
	healthRefresh = 20 * time.Second
)

// ProcessHealth is one process's view of one instance.
type ProcessHealth struct {
	Health
	Process string    `json:"process"`
	At      time.Time `json:"at"`
}

func processName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// HealthChanges returns a channel that receives after connect attempts
// (coalesced), for PublishHealth. Call it before RunConnect starts.
func (t *Touchpoints) HealthChanges() <-chan struct{} {
	changed := make(chan struct{}, 1)
	t.OnHealthChange(func(Health) {
		select {
		case changed <- struct{}{}:
		default:
		}
	})
	return changed
}

// PublishHealth writes every instance's state under this process's name
// at once, on every change and every healthRefresh, until ctx ends.
func (t *Touchpoints) PublishHealth(ctx context.Context, rdb redis.UniversalClient, changed <-chan struct{}, log *slog.Logger) {
	proc := processName()
	tick := time.NewTicker(healthRefresh)
	defer tick.Stop()
	for {
		if err := t.publish(ctx, rdb, proc); err != nil && ctx.Err() == nil {
			log.Debug("health board not updated", "err", err)
		}
		select {
		case <-ctx.Done():
			// Leave no entry claiming a state for a process that stopped.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			fields := make([]string, 0, len(t.names))
			for _, n := range t.names {
				fields = append(fields, n+"|"+proc)
			}
			rdb.HDel(cctx, healthKey, fields...)
			cancel()
			return
		case <-changed:
		case <-tick.C:
		}
	}
}

func (t *Touchpoints) publish(ctx context.Context, rdb redis.UniversalClient, proc string) error {
	now := time.Now().UTC()
	values := make([]any, 0, 2*len(t.names))
	for _, h := range t.Health() {
		b, err := json.Marshal(ProcessHealth{Health: h, Process: proc, At: now})
		if err != nil {
			return err
		}
		values = append(values, h.Instance+"|"+proc, b)
	}
	if len(values) == 0 {
		return nil
	}
	return rdb.HSet(ctx, healthKey, values...).Err()
}

// ReadHealth returns the fresh entries of the health board, by instance and
// process name; stale ones (of processes gone) are removed.
func ReadHealth(ctx context.Context, rdb redis.UniversalClient) ([]ProcessHealth, error) {
	all, err := rdb.HGetAll(ctx, healthKey).Result()
	if err != nil {
		return nil, fmt.Errorf("health board: %w", err)
	}
	var out []ProcessHealth
	var stale []string
	for field, v := range all {
		var ph ProcessHealth
		if json.Unmarshal([]byte(v), &ph) != nil || time.Since(ph.At) > healthStale {
			stale = append(stale, field)
			continue
		}
		out = append(out, ph)
	}
	if len(stale) > 0 {
		rdb.HDel(ctx, healthKey, stale...)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Instance != out[j].Instance {
			return out[i].Instance < out[j].Instance
		}
		return out[i].Process < out[j].Process
	})
	return out, nil
}

// HealthCollector reports this process's connection state of every
// instance: shophub_connector_up (1 connected, 0 down or not yet tried) and
// shophub_connector_connect_failures (consecutive failed attempts).
type HealthCollector struct {
	points   *Touchpoints
	up, fail *prometheus.Desc
}

// NewHealthCollector reads the states from points at scrape time.
func NewHealthCollector(points *Touchpoints) *HealthCollector {
	return &HealthCollector{points: points,
		up:   prometheus.NewDesc("shophub_connector_up", "1 when the connector instance is connected in this process, 0 while it is down or not tried yet.", []string{"connector"}, nil),
		fail: prometheus.NewDesc("shophub_connector_connect_failures", "Consecutive failed connect attempts of the connector instance in this process.", []string{"connector"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *HealthCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.up; ch <- c.fail }

// Collect implements prometheus.Collector.
func (c *HealthCollector) Collect(ch chan<- prometheus.Metric) {
	for _, h := range c.points.Health() {
		up := 0.0
		if h.State == StateUp {
			up = 1
		}
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, up, h.Instance)
		ch <- prometheus.MustNewConstMetric(c.fail, prometheus.GaugeValue, float64(h.Failures), h.Instance)
	}
}
