// Package metrics holds shophub's Prometheus metrics on a registry the
// process owns (no package-global collectors), so tests and several apps in
// one process never share counters. A nil *Metrics records nothing.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/shophub/shophub/internal/buildinfo"
)

// Metrics are the process's collectors.
type Metrics struct {
	Registry *prometheus.Registry

	webhooksReceived *prometheus.CounterVec
	webhooksRejected *prometheus.CounterVec
	taskDuration     *prometheus.HistogramVec
	taskFailures     *prometheus.CounterVec
	vendorResponses  *prometheus.CounterVec
	vendorDuration   *prometheus.HistogramVec
	rateLimitWait    *prometheus.HistogramVec
	privacyRequests  *prometheus.CounterVec
	sink             Sink
}

// Sink receives the per-instance events the console charts (sync.Series
// keeps them in Redis as a small time series): kind is one of Event*.
type Sink interface {
	Add(instance, kind string, n int64)
}

// Kinds of events a Sink receives.
const (
	EventWebhooks    = "webhooks"
	EventRejected    = "rejected"
	EventPushes      = "pushes"
	EventPushErrors  = "push_errors"
	EventTasks       = "tasks"
	EventTaskErrors  = "task_errors"
	EventRateLimited = "rate_limited"
)

// SetSink sends the per-instance events to s too. Call it before the
// process starts serving.
func (m *Metrics) SetSink(s Sink) {
	if m != nil {
		m.sink = s
	}
}

func (m *Metrics) event(instance, kind string) {
	if m.sink != nil && instance != "" {
		m.sink.Add(instance, kind, 1)
	}
}

// New registers every collector on a new registry, with Go and process
// collectors beside them.
func New() *Metrics {
	r := prometheus.NewRegistry()
	m := &Metrics{
		Registry: r,
		webhooksReceived: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shophub_webhooks_received_total", Help: "Webhook requests accepted, by connector instance.",
		}, []string{"connector"}),
		webhooksRejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shophub_webhooks_rejected_total", Help: "Webhook requests refused, by connector instance and reason.",
		}, []string{"connector", "reason"}),
		taskDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shophub_task_duration_seconds", Help: "Task handler run time, by task type and connector instance.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"type", "connector"}),
		taskFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shophub_task_failures_total", Help: "Task runs that returned an error, by task type and connector instance.",
		}, []string{"type", "connector"}),
		vendorResponses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shophub_vendor_responses_total", Help: "Vendor API responses, by connector instance, method and HTTP status (0: no response).",
		}, []string{"connector", "method", "status"}),
		vendorDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shophub_vendor_request_duration_seconds", Help: "Vendor API request time, by connector instance.",
			Buckets: prometheus.DefBuckets,
		}, []string{"connector"}),
		rateLimitWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "shophub_rate_limit_wait_seconds", Help: "Time spent waiting for a connector instance's shared rate limit.",
			Buckets: []float64{.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"connector"}),
		privacyRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "shophub_privacy_requests_total",
			Help: "Data-protection requests received (vendor webhooks, API, CLI), by connector instance (\"\" for API/CLI), kind (erase, export, shop), outcome (accepted, rejected) and reason of a rejection (shape, other_shop).",
		}, []string{"connector", "kind", "outcome", "reason"}),
	}
	// Which build each scraped process runs, so a dashboard can tell the
	// roles of a half-finished rollout apart.
	bi := buildinfo.Read()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "shophub_build_info", Help: "Always 1; labels name the running build: module version, VCS revision (12 hex digits, -dirty when modified), commit time and Go version.",
		ConstLabels: prometheus.Labels{"version": bi.Version, "revision": bi.ShortRevision(), "vcs_time": bi.Time, "goversion": bi.GoVersion},
	})
	build.Set(1)
	r.MustRegister(m.webhooksReceived, m.webhooksRejected, m.taskDuration, m.taskFailures,
		m.vendorResponses, m.vendorDuration, m.rateLimitWait, m.privacyRequests, build,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry})
}

// WebhookReceived counts an accepted webhook request.
func (m *Metrics) WebhookReceived(connector string) {
	if m != nil {
		m.webhooksReceived.WithLabelValues(connector).Inc()
		m.event(connector, EventWebhooks)
	}
}

// WebhookRejected counts a refused webhook request; reason is a short
// fixed word (signature, malformed, too_large, unknown, queue_unavailable).
func (m *Metrics) WebhookRejected(connector, reason string) {
	if m != nil {
		m.webhooksRejected.WithLabelValues(connector, reason).Inc()
		m.event(connector, EventRejected)
	}
}

// PrivacyRequest counts a data-protection request: accepted (acted on),
// or rejected with reason (it was answered and audited, nothing else).
func (m *Metrics) PrivacyRequest(connector, kind, reason string) {
	if m == nil {
		return
	}
	outcome := "accepted"
	if reason != "" {
		outcome = "rejected"
	}
	m.privacyRequests.WithLabelValues(connector, kind, outcome, reason).Inc()
}

// Task records one task run.
func (m *Metrics) Task(typ, connector string, d time.Duration, failed bool) {
	if m == nil {
		return
	}
	m.taskDuration.WithLabelValues(typ, connector).Observe(d.Seconds())
	if failed {
		m.taskFailures.WithLabelValues(typ, connector).Inc()
	}
	m.event(connector, EventTasks)
	if failed {
		m.event(connector, EventTaskErrors)
	}
	if typ == "customer:push" {
		m.event(connector, EventPushes)
		if failed {
			m.event(connector, EventPushErrors)
		}
	}
}

// VendorResponse returns the hook a connector instance's HTTP client calls
// after each vendor response (connectors.ClientOptions.OnResponse).
func (m *Metrics) VendorResponse(connector string) func(method string, status int, d time.Duration) {
	if m == nil {
		return nil
	}
	dur := m.vendorDuration.WithLabelValues(connector)
	return func(method string, status int, d time.Duration) {
		m.vendorResponses.WithLabelValues(connector, method, strconv.Itoa(status)).Inc()
		dur.Observe(d.Seconds())
	}
}

// RateLimitWait records time spent waiting for a rate limit.
func (m *Metrics) RateLimitWait(connector string, d time.Duration) {
	if m != nil {
		m.rateLimitWait.WithLabelValues(connector).Observe(d.Seconds())
		m.event(connector, EventRateLimited)
	}
}

// MustRegister adds further collectors (queue depth, dead letters).
func (m *Metrics) MustRegister(cs ...prometheus.Collector) {
	if m != nil {
		m.Registry.MustRegister(cs...)
	}
}
