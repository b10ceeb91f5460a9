package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
)

// A reconciliation sweep lists every record of an instance's resource from
// the beginning, slowly and page by page, and applies it as a poll would:
// records whose content the hub already took cost one indexed read per
// page, and a record whose content differs is merged — an edit the vendor
// never timestamped (Magento's address book) or one committed behind a
// poll's cursor. A sweep that lists to its end also knows which linked
// records it did not see: those are gone at the vendor, and each becomes an
// ordinary ingest task with Deleted set, so what a deletion means stays
// the ingest path's business.

// TypeReconcile is the task type of one step of a sweep.
const TypeReconcile = "connector:reconcile"

// ReconcilePayload asks for the next page of a sweep; Start begins a new
// sweep when none is running (the schedule's task), else the running one
// continues.
type ReconcilePayload struct {
	Instance string `json:"instance"`
	Resource string `json:"resource"`
	Start    bool   `json:"start,omitempty"`
}

// NewReconcileTask builds a sweep step; key makes it unique (a schedule
// slot, or the sweep and page it continues with), in delays it.
func NewReconcileTask(p ReconcilePayload, key string, in time.Duration) *asynq.Task {
	b, _ := json.Marshal(p)
	return asynq.NewTask(TypeReconcile, b, asynq.Queue(QueuePoll),
		asynq.TaskID("reconcile:"+p.Instance+":"+p.Resource+":"+key), asynq.ProcessIn(in),
		asynq.MaxRetry(10), asynq.Timeout(5*time.Minute))
}

// sweepPrefix marks a sweep's state among the cursors: the state of
// instance's resource r is the cursor (instance, sweepPrefix+r).
const sweepPrefix = "reconcile:"

// SweepState is a sweep's progress and result, stored as JSON in the
// cursors table so that every process (and `shophub status`) sees it.
type SweepState struct {
	ID       string     `json:"id"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	// Cursor is the listing's position.
	Cursor string `json:"cursor,omitempty"`
	Pages  int    `json:"pages"`
	Listed int    `json:"listed"`
	// Changed counts records whose content the hub had not seen and
	// that changed the customer; Quarantined those that could not be
	// taken.
	Changed     int `json:"changed"`
	Quarantined int `json:"quarantined"`
	// Deleted counts linked records the finished sweep did not list (sent
	// as deletions) and records the vendor listed as deleted.
	Deleted int `json:"deleted"`
	// Refused says why absent records were not sent as deletions.
	Refused string `json:"refused,omitempty"`
	// Error is the last listing error, cleared by the next page read.
	Error string `json:"error,omitempty"`
}

// SweepStatus is one instance's resource's sweep, for status and metrics.
type SweepStatus struct {
	Instance string
	Resource string
	State    SweepState
	// LastFinished is when a sweep of it last listed to its end.
	LastFinished *time.Time
}

// SweepStates reads every sweep's state.
func SweepStates(ctx context.Context, st *hub.Store) ([]SweepStatus, error) {
	cs, err := st.CursorsWithPrefix(ctx, sweepPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]SweepStatus, 0, len(cs))
	for _, c := range cs {
		s := SweepStatus{Instance: c.Instance, Resource: strings.TrimPrefix(c.Resource, sweepPrefix), LastFinished: c.LastSuccessAt}
		if err := json.Unmarshal([]byte(c.Value), &s.State); err != nil {
			return nil, fmt.Errorf("sweep state of %s %s: %w", c.Instance, c.Resource, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// maxAbsent bounds how many absent records one sweep sends as deletions
// without an operator: beyond it, or beyond half of the links, an empty or
// truncated listing (a wrong store code, a revoked grant) is far likelier
// than a real mass deletion.
const maxAbsent = 100_000

// Reconcile is the task handler of one sweep step.
func (h *Handlers) Reconcile(ctx context.Context, t *asynq.Task) error {
	var p ReconcilePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("reconcile payload: %v: %w", err, asynq.SkipRetry)
	}
	next, err := h.SweepStep(ctx, p.Instance, p.Resource, p.Start)
	if err != nil || next == "" {
		return err
	}
	return h.Queue.Enqueue(context.WithoutCancel(ctx), NewReconcileTask(ReconcilePayload{Instance: p.Instance, Resource: p.Resource}, next, h.ReconcilePace))
}

// SweepStep reads and applies one page of instance's sweep of resource,
// beginning a sweep when start is set and none is running. It returns the
// key of the step to run next ("" when the sweep finished, or another
// process drives it).
func (h *Handlers) SweepStep(ctx context.Context, instance, resource string, start bool) (next string, err error) {
	tp, l, err := touchpointAs[connectors.Lister](ctx, h, instance, "list")
	if err != nil {
		return "", err
	}
	lease, ok, err := h.Queue.Lock(ctx, "reconcile:"+instance+":"+resource, 2*time.Minute, 0)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", nil // another step of this sweep runs and continues it
	}
	defer lease.Release(ctx)
	defer lease.Keep(ctx)() // a slow vendor may hold a step past the ttl
	log := logx.Logger(ctx, h.Log).With("connector", instance, "resource", resource)

	st, err := h.sweepState(ctx, instance, resource)
	if err != nil {
		return "", err
	}
	if st == nil || st.Finished != nil {
		if !start {
			return "", nil
		}
		st = &SweepState{ID: strconv.FormatInt(time.Now().UnixNano(), 36), Started: time.Now().UTC()}
		log.Info("reconciliation sweep started", "sweep", st.ID)
	}
	page, err := listPage(ctx, l, resource, st.Cursor) // poll.go
	if err != nil {
		st.Error = err.Error()
		if serr := h.saveSweep(ctx, instance, resource, st); serr != nil {
			return "", serr
		}
		if errors.Is(err, connectors.ErrPermanent) {
			return "", fmt.Errorf("reconcile %s: %w: %w", instance, err, asynq.SkipRetry)
		}
		return "", fmt.Errorf("reconcile %s: %w", instance, err)
	}
	st.Error = ""
	if resource == connectors.ResourceCustomer {
		if err := h.markListed(ctx, instance, resource, st.ID, page.Records); err != nil {
			return "", err
		}
		ps, err := h.applyCustomerPage(ctx, tp, resource, page.Records)
		if err != nil {
			return "", err
		}
		st.Changed += ps.Changed
		st.Quarantined += ps.Quarantined
		st.Deleted += ps.Deleted
	} else if err := h.applyPage(ctx, tp, resource, page.Records); err != nil {
		return "", err
	}
	st.Pages++
	st.Listed += len(page.Records)
	st.Cursor = page.Next
	if page.Done {
		if err := h.finishSweep(ctx, instance, resource, st, log); err != nil {
			return "", err
		}
	}
	if err := h.saveSweep(ctx, instance, resource, st); err != nil {
		return "", err
	}
	if page.Done {
		return "", nil
	}
	return st.ID + ":" + strconv.Itoa(st.Pages), nil
}

func (h *Handlers) sweepState(ctx context.Context, instance, resource string) (*SweepState, error) {
	c, err := h.Store.Cursor(ctx, instance, sweepPrefix+resource)
	if err != nil || c.Value == "" {
		return nil, err
	}
	var st SweepState
	if err := json.Unmarshal([]byte(c.Value), &st); err != nil {
		return nil, fmt.Errorf("sweep state of %s %s: %w", instance, resource, err)
	}
	return &st, nil
}

func (h *Handlers) saveSweep(ctx context.Context, instance, resource string, st *SweepState) error {
	b, _ := json.Marshal(st)
	return h.Store.SaveCursor(ctx, instance, sweepPrefix+resource, string(b), st.Finished != nil)
}

// presenceKey names the Redis set of the external ids a sweep listed.
func presenceKey(instance, resource, sweep string) string {
	return keyPrefix + "sweep:" + instance + ":" + resource + ":" + sweep
}

// presenceTTL keeps a stalled sweep's set long enough to be resumed.
const presenceTTL = 14 * 24 * time.Hour

func (h *Handlers) markListed(ctx context.Context, instance, resource, sweep string, recs []connectors.Record) error {
	if len(recs) == 0 {
		return nil
	}
	ids := make([]any, len(recs))
	for i, r := range recs {
		ids[i] = r.ExternalID
	}
	key := presenceKey(instance, resource, sweep)
	pipe := h.Queue.Redis.Pipeline()
	pipe.SAdd(ctx, key, ids...)
	pipe.Expire(ctx, key, presenceTTL)
	_, err := pipe.Exec(ctx)
	return err
}

// finishSweep compares the links that existed when the sweep began with
// what it listed, and sends each one it did not list as a deletion. Only
// customers: vendors' order and ticket listings leave out archived and
// closed ones, whose absence is no deletion.
func (h *Handlers) finishSweep(ctx context.Context, instance, resource string, st *SweepState, log *slog.Logger) error {
	key := presenceKey(instance, resource, st.ID)
	var absent []string
	total := 0
	var after uint64
	for resource == connectors.ResourceCustomer {
		ids, last, err := h.Store.LinkedIDs(ctx, instance, resource, st.Started, after, 1000)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			break
		}
		after = last
		total += len(ids)
		members := make([]any, len(ids))
		for i, id := range ids {
			members[i] = id
		}
		hit, err := h.Queue.Redis.SMIsMember(ctx, key, members...).Result()
		if err != nil {
			return err
		}
		for i, ok := range hit {
			if !ok && len(absent) <= maxAbsent {
				absent = append(absent, ids[i])
			}
		}
	}
	now := time.Now().UTC()
	st.Finished = &now
	switch {
	case len(absent) == 0:
	case len(absent) > maxAbsent || (len(absent) > 10 && 2*len(absent) > total) || st.Listed == 0:
		st.Refused = fmt.Sprintf("%d of %d linked records were not listed: more than a sweep sends as deletions on its own; check the connector's access and scope", len(absent), total)
		log.Error("reconciliation sweep: absent records not sent as deletions", "sweep", st.ID, "absent", len(absent), "linked", total)
	default:
		confirms := false
		if tp, ok := h.Points.Get(instance); ok {
			_, confirms = tp.Conn.(connectors.Fetcher)
		}
		for _, id := range absent {
			// One event id per record, not per sweep: a deletion still
			// queued when the next sweep ends is not queued twice. Where
			// the vendor can be asked, the record is fetched first: a
			// listing that skipped it is no deletion (IngestPayload.Unlisted).
			p := IngestPayload{Instance: instance, Resource: resource, ExternalID: id, Deleted: true, SourceAt: st.Started,
				EventID: "reconcile:deleted:" + id}
			if confirms {
				// A record asked about is not asked again within the
				// dedupe window (a day by default): a later sweep missing
				// it once more waits for the next.
				p = IngestPayload{Instance: instance, Resource: resource, ExternalID: id, Unlisted: true, SourceAt: st.Started,
					EventID: "reconcile:unlisted:" + id}
			}
			t, err := NewIngestTask(p, h.MaxRetry)
			if err != nil {
				return err
			}
			if err := h.Queue.Enqueue(ctx, t); err != nil {
				return err
			}
		}
		st.Deleted += len(absent)
		log.Info("reconciliation sweep: linked records gone at the vendor sent as deletions", "sweep", st.ID, "deleted", len(absent))
	}
	if err := h.Queue.Redis.Del(ctx, key).Err(); err != nil {
		log.Warn("reconciliation sweep: presence set not removed (it expires)", "err", err)
	}
	log.Info("reconciliation sweep finished", "sweep", st.ID, "pages", st.Pages, "listed", st.Listed, "changed", st.Changed,
		"quarantined", st.Quarantined, "deleted", st.Deleted, "took", now.Sub(st.Started).Round(time.Second))
	return nil
}

// SweepCollector reports every sweep's progress from the hub at scrape
// time, so any process's /metrics shows sweeps any process runs.
type SweepCollector struct {
	Store    *hub.Store
	records  *prometheus.Desc
	running  *prometheus.Desc
	finished *prometheus.Desc
}

// NewSweepCollector reads sweep states from st.
func NewSweepCollector(st *hub.Store) *SweepCollector {
	labels := []string{"connector", "resource"}
	return &SweepCollector{
		Store: st,
		records: prometheus.NewDesc("shophub_reconcile_records", "Records of the current or last reconciliation sweep, by outcome (listed, changed, quarantined, deleted).",
			append(labels, "outcome"), nil),
		running:  prometheus.NewDesc("shophub_reconcile_running", "1 while a reconciliation sweep is in progress.", labels, nil),
		finished: prometheus.NewDesc("shophub_reconcile_last_finished_timestamp_seconds", "When a reconciliation sweep last listed to its end.", labels, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *SweepCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.records
	ch <- c.running
	ch <- c.finished
}

// Collect implements prometheus.Collector.
func (c *SweepCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	states, err := SweepStates(ctx, c.Store)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.records, err)
		return
	}
	for _, s := range states {
		for outcome, n := range map[string]int{"listed": s.State.Listed, "changed": s.State.Changed,
			"quarantined": s.State.Quarantined, "deleted": s.State.Deleted} {
			ch <- prometheus.MustNewConstMetric(c.records, prometheus.GaugeValue, float64(n), s.Instance, s.Resource, outcome)
		}
		running := 0.0
		if s.State.Finished == nil {
			running = 1
		}
		ch <- prometheus.MustNewConstMetric(c.running, prometheus.GaugeValue, running, s.Instance, s.Resource)
		if s.LastFinished != nil {
			ch <- prometheus.MustNewConstMetric(c.finished, prometheus.GaugeValue, float64(s.LastFinished.Unix()), s.Instance, s.Resource)
		}
	}
}
