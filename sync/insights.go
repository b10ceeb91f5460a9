package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
)

// Insights: a customer's indicators are recomputed whenever an order,
// refund, return or ticket event changes what the hub knows of them
// (refreshKnowledge calls updateInsights before it pushes), and the RFM
// scores and segments of every customer on a schedule (TypeScore), once
// across all workers: a Redis claim per schedule slot enqueues one task
// with a unique id, and the handler holds a lock while it runs. Only
// customers whose scores, segment, class or due date changed are pushed.

// TypeScore is the scheduled RFM run.
const TypeScore = "insights:score"

// NewScoreTask builds the run of one schedule slot.
func NewScoreTask(slot string) *asynq.Task {
	b, _ := json.Marshal(struct {
		Slot string `json:"slot"`
	}{slot})
	return asynq.NewTask(TypeScore, b, asynq.Queue(QueuePoll), asynq.TaskID("score:"+slot),
		asynq.MaxRetry(3), asynq.Timeout(30*time.Minute), asynq.Retention(time.Hour))
}

// TypeRefresh recomputes one customer's indicators after the recompute
// that an order, refund, return or ticket event ran inline failed: the
// merge that caused the event has succeeded and is not repeated, so
// without this task the customer's insights would stay stale until their
// next event. asynq retries it with the pipeline's backoff (RetryDelay)
// until it succeeds or, after MaxRetry, lands in the dead letters where
// the operator sees it.
const TypeRefresh = "insights:refresh"

// RefreshPayload names the customer to recompute.
type RefreshPayload struct {
	CustomerID uint64 `json:"customer_id"`
}

// NewRefreshTask builds the retried recompute of one customer. The id
// collapses repeated failures of the same customer into one task: it
// recomputes from the hub's current rows, whatever events came between.
func NewRefreshTask(customerID uint64, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(RefreshPayload{CustomerID: customerID})
	return asynq.NewTask(TypeRefresh, b, asynq.Queue(QueuePoll), asynq.TaskID("insights:refresh:"+strconv.FormatUint(customerID, 10)),
		asynq.MaxRetry(max(maxRetry, 10)), asynq.Timeout(time.Minute))
}

// updateInsights recomputes a customer's indicators and hands what
// changed to OnInsights. A failed recompute becomes a TypeRefresh task,
// retried until it succeeds; reports whether the recompute happened here.
func (h *Handlers) updateInsights(ctx context.Context, customerID uint64, cause string, log *slog.Logger) bool {
	res, err := h.Store.RefreshInsights(ctx, h.Insights, cause, customerID)
	if err != nil {
		if qerr := h.Queue.Enqueue(ctx, NewRefreshTask(customerID, h.MaxRetry)); qerr != nil {
			// Neither the database nor Redis: nothing left to hold the
			// work, the customer's next event recomputes.
			log.Error("insights not refreshed and no retry queued", "customer_id", customerID, "err", err, "queue_err", qerr)
			return false
		}
		log.Warn("insights not refreshed, retry queued", "customer_id", customerID, "err", err)
		return false
	}
	if len(res) > 0 && h.OnInsights != nil {
		h.OnInsights(ctx, res)
	}
	return true
}

// Refresh is the retried recompute (TypeRefresh): on success the
// customer's touchpoints get the insights the failed recompute missed.
func (h *Handlers) Refresh(ctx context.Context, t *asynq.Task) error {
	var p RefreshPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.CustomerID == 0 {
		return fmt.Errorf("refresh payload %q: %v: %w", t.Payload(), err, asynq.SkipRetry)
	}
	res, err := h.Store.RefreshInsights(ctx, h.Insights, "event", p.CustomerID)
	if err != nil {
		return fmt.Errorf("refresh insights of customer %d: %w", p.CustomerID, err)
	}
	if len(res) > 0 && h.OnInsights != nil {
		h.OnInsights(ctx, res)
	}
	if len(res) > 0 {
		h.pushKnowledge(ctx, p.CustomerID, h.Log.With("customer_id", p.CustomerID))
	}
	return nil
}

// Score runs the scheduled RFM scoring (RunScore).
func (h *Handlers) Score(ctx context.Context, _ *asynq.Task) error {
	_, err := h.RunScore(ctx)
	return err
}

// ScoreRun says what RunScore did: Ran is false when another run held
// the lock (nothing was scored); Targets are the touchpoints the run's
// changed customers are pushed to, each all of Result.Changed.
type ScoreRun struct {
	Ran     bool
	Result  hub.ScoreResult
	Targets []string
}

// RunScore scores every customer now and pushes the ones whose pushed
// values changed: those few whose ticket window slid at once, the scored
// ones through a chain of TypeScorePush tasks (a first run changes every
// customer: 100,000 customers are 100,000 pushes per target). The
// scheduled run (TypeScore) and `shophub insights score` both run it;
// one lock keeps two runs from overlapping, wherever they started.
func (h *Handlers) RunScore(ctx context.Context) (ScoreRun, error) {
	lease, ok, err := h.Queue.Lock(ctx, "insights:score", 10*time.Minute, 0)
	if err != nil {
		return ScoreRun{}, err
	}
	if !ok {
		h.Log.Info("insights scoring already running elsewhere")
		return ScoreRun{}, nil
	}
	defer lease.Release(ctx)
	defer lease.Keep(ctx)() // a run over many customers may outlive the ttl
	res, err := h.Store.ScoreRFM(ctx, h.Insights)
	if err != nil {
		return ScoreRun{}, fmt.Errorf("score: %w", err)
	}
	run := ScoreRun{Ran: true, Result: res}
	for _, tp := range h.insightTargets() {
		run.Targets = append(run.Targets, tp.Name)
	}
	h.Log.Info("insights scored", "customers", res.Scored, "changed", len(res.Changed), "duration", res.Duration.String(),
		"read", res.Read.String(), "classify", res.Classify.String(), "write", res.Write.String(), "targets", len(run.Targets))
	if h.OnScored != nil {
		h.OnScored(ctx, res)
	}
	for _, id := range res.Refreshed {
		h.pushKnowledge(ctx, id, h.Log)
	}
	if len(res.Changed) == 0 || len(run.Targets) == 0 {
		return run, nil
	}
	return run, h.Queue.Enqueue(ctx, NewScorePushTask(ScorePushPayload{At: res.At}))
}

// insightTargets are the touchpoints that render hub knowledge, insights
// among it, into customers they are pushed: the targets of a scoring
// run's pushes and of an event's knowledge refresh.
func (h *Handlers) insightTargets() []*Touchpoint {
	var out []*Touchpoint
	for _, tp := range h.Points.All() {
		if tp.CanPush(connectors.ResourceCustomer) && tp.Mapping.ReadsHub(connectors.ResourceCustomer) {
			out = append(out, tp)
		}
	}
	return out
}

// TypeScorePush pushes one page of a scoring run's changed customers to
// the bulk push queue of every touchpoint that renders insights, then
// queues the next page. It is paced by the targets: while any bulk queue
// holds more than scoreBacklog pushes it waits (the same page, queued
// again a little later), so the run's pushes trickle in as fast as the
// targets take them, Redis holds a bounded backlog, and the targets'
// live queues, drained first (PushBulkQueue), never wait behind them.
const TypeScorePush = "insights:push"

// ScorePushPayload is one page: the run (its scored_at) and the last
// customer id pushed before it; Wait counts the times it waited.
type ScorePushPayload struct {
	At    time.Time `json:"at"`
	After uint64    `json:"after,omitempty"`
	Wait  int       `json:"wait,omitempty"`
}

const (
	scorePage    = 500
	scoreBacklog = 2000
	scorePause   = 2 * time.Second
)

// NewScorePushTask builds one page's task.
func NewScorePushTask(p ScorePushPayload) *asynq.Task {
	b, _ := json.Marshal(p)
	id := fmt.Sprintf("scorepush:%d:%d:%d", p.At.UnixMilli(), p.After, p.Wait)
	return asynq.NewTask(TypeScorePush, b, asynq.Queue(QueuePoll), asynq.TaskID(id), asynq.MaxRetry(10),
		asynq.Timeout(5*time.Minute), asynq.Retention(time.Hour))
}

// ScorePush is TypeScorePush's handler.
func (h *Handlers) ScorePush(ctx context.Context, t *asynq.Task) error {
	var p ScorePushPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("score push payload: %v: %w", err, asynq.SkipRetry)
	}
	targets := h.insightTargets()
	if len(targets) == 0 {
		return nil
	}
	insp := asynq.NewInspectorFromRedisClient(h.Queue.Redis)
	for _, tp := range targets {
		info, err := insp.GetQueueInfo(PushBulkQueue(tp.Name))
		if err != nil || info.Pending+info.Active+info.Retry <= scoreBacklog {
			continue // a queue never used yet is not found: empty
		}
		next := p
		next.Wait++
		return h.Queue.Enqueue(ctx, NewScorePushTask(next), asynq.ProcessIn(scorePause))
	}
	ids, err := h.Store.ScoredChanged(ctx, p.At, p.After, scorePage)
	if err != nil {
		return fmt.Errorf("score push: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	versions, err := h.Store.CustomerVersions(ctx, ids)
	if err != nil {
		return fmt.Errorf("score push: %w", err)
	}
	// The run keys its pushes: they collapse with each other, never with
	// a push bringing an event's knowledge (knowledgeKey).
	key := "s" + strconv.FormatInt(p.At.UnixMilli(), 36)
	for _, tp := range targets {
		for _, id := range ids {
			v, ok := versions[id]
			if !ok {
				continue // erased since the run
			}
			task := NewPushTask(PushPayload{Instance: tp.Name, Resource: connectors.ResourceCustomer, CustomerID: id,
				Version: v, Force: true, Knowledge: key, Bulk: true}, h.MaxRetry)
			if err := h.Queue.Enqueue(ctx, task); err != nil {
				return fmt.Errorf("score push: %w", err) // retried; pushes already queued collapse by id
			}
		}
	}
	if len(ids) < scorePage {
		return nil
	}
	return h.Queue.Enqueue(ctx, NewScorePushTask(ScorePushPayload{At: p.At, After: ids[len(ids)-1]}))
}

// scheduleScore enqueues the scoring of the current slot: slots are
// ScoreEvery long, shifted by ScoreAt (03:00 UTC daily by default). The
// slot a worker starts in is not scored (first remembers it): scoring
// starts at the next slot's start, not at every restart; `shophub
// insights score` runs it by hand.
func (h *Handlers) scheduleScore(ctx context.Context, first *int64) {
	iv := h.ScoreEvery
	if iv <= 0 {
		return
	}
	n := (time.Now().UnixNano() - int64(h.ScoreAt)) / int64(iv)
	if *first == 0 {
		*first = n
	}
	if n == *first {
		return
	}
	slot := strconv.FormatInt(n, 10)
	key := "scoreslot:" + slot
	claimed, err := h.Queue.Claim(ctx, key, 2*iv)
	if err != nil || !claimed {
		return
	}
	if err := h.Queue.Enqueue(ctx, NewScoreTask(slot)); err != nil {
		h.Log.Warn("score enqueue failed", "err", err)
		_ = h.Queue.Unclaim(ctx, key)
	}
}

// insightKnowledge is the insights part of hub knowledge (_hub.*): what
// mappings push as metafields, custom fields, properties and tags.
func insightKnowledge(in hub.Indicators) map[string]any {
	rfm, rate := "", ""
	if in.Orders > 0 {
		rate = fmt.Sprintf("%.1f%%", in.ReturnRateValue*100)
	}
	if in.R > 0 {
		rfm = fmt.Sprintf("%d%d%d", in.R, in.F, in.M)
	}
	return map[string]any{
		"segment": in.Segment, "profitability": in.Profitability, "rfm": rfm,
		"r": in.R, "f": in.F, "m": in.M,
		"ltv": in.LTV, "aov": in.AOV,
		"return_rate_value": in.ReturnRateValue, "return_rate_count": in.ReturnRateCount,
		"return_rate":              rate,
		"preferred_payment_method": in.PreferredPaymentMethod, "last_payment_method": in.LastPaymentMethod,
		"invoice_share": in.InvoiceShare, "median_days_between_orders": in.MedianDaysBetweenOrders,
		"next_order_due": in.NextOrderDue, "tickets_90d": in.Tickets90d,
		"complaints_after_large_order": in.ComplaintsAfterLargeOrder,
	}
}
