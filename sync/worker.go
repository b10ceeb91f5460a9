package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sort"
	"strconv"
	gosync "sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
)

// NewServer configures the asynq server for the pipeline's queues, with a
// push queue per named connector instance.
func NewServer(rdb redis.UniversalClient, cfg config.Worker, log *slog.Logger, instances ...string) *asynq.Server {
	return NewObservedServer(rdb, cfg, log, nil, instances...)
}

// NewObservedServer is NewServer reporting asynq's periodic Redis health
// check to health (nil error: healthy), every HealthInterval.
func NewObservedServer(rdb redis.UniversalClient, cfg config.Worker, log *slog.Logger, health func(error), instances ...string) *asynq.Server {
	return newServer(rdb, cfg, log, health, cfg.Concurrency, QueuesFor(instances))
}

// Servers is a worker's queue servers: one per busy queue, each with its
// own dequeue loop. An asynq server dequeues one task at a time, trying
// its queues one Redis script call after another in a weighted random
// order until one holds a task; one server over ingest and every target's
// push queue probed about two idle queues per task, and all dequeues
// waited in one line. Apart, ingest and each target's pushes dequeue with
// one call per task, side by side, and a burst of ingests no longer
// delays a push's start (nor the other way round). Polls and the legacy
// shared push queue share one server.
type Servers struct {
	list []*asynq.Server
}

// NewServers builds a worker's servers: ingest at the configured
// concurrency, in ingestLanes servers, each instance's push queue at its
// push slots (more would only wait for a slot), polls and the shared push
// queue at a quarter of the concurrency. health gets the first ingest
// server's Redis health checks.
func NewServers(rdb redis.UniversalClient, cfg config.Worker, log *slog.Logger, health func(error), slots map[string]int) *Servers {
	s := &Servers{}
	for i := range ingestLanes {
		lane := cfg
		var h func(error)
		if i == 0 {
			h = health
		} else {
			// A further lane is for a busy queue, where it never sleeps:
			// its dequeue finds a task and loops at once. Idle, it probes
			// a fifth as often as the first, which keeps an idle queue's
			// first task as quick to start as before.
			lane.TaskCheckInterval *= laneIdleFactor
		}
		n := cfg.Concurrency / ingestLanes
		if i == 0 {
			n = cfg.Concurrency - n*(ingestLanes-1)
		}
		c := serverConfig(lane, log, h, max(1, n), map[string]int{QueueIngest: 1}, false)
		if i == 0 {
			GroupConfig(&c) // one aggregator per worker (ingestgroup.go)
		}
		s.list = append(s.list, asynq.NewServerFromRedisClient(rdb, c))
	}
	s.list = append(s.list, newServer(rdb, cfg, log, nil, max(2, cfg.Concurrency/4),
		map[string]int{QueuePush: Queues[QueuePush], QueuePoll: Queues[QueuePoll]}))
	names := make([]string, 0, len(slots))
	for in := range slots {
		names = append(names, in)
	}
	sort.Strings(names)
	for _, in := range names {
		n := slots[in]
		if n <= 0 { // unbounded
			n = cfg.Concurrency / 4
		}
		srv := newServerStrict(rdb, cfg, log, nil, max(1, n), map[string]int{PushQueue(in): 2, PushBulkQueue(in): 1}, true)
		s.list = append(s.list, srv)
	}
	return s
}

// Start starts every server with handler; on an error the ones started
// are shut down.
func (s *Servers) Start(handler asynq.Handler) error {
	for i, srv := range s.list {
		if err := srv.Start(handler); err != nil {
			for _, started := range s.list[:i] {
				started.Shutdown()
			}
			return err
		}
	}
	return nil
}

// Shutdown stops the servers side by side: each waits up to the shutdown
// timeout for its running tasks.
func (s *Servers) Shutdown() {
	var wg gosync.WaitGroup
	for _, srv := range s.list {
		wg.Add(1)
		go func() { defer wg.Done(); srv.Shutdown() }()
	}
	wg.Wait()
}

// ingestLanes is how many servers dequeue the ingest queue side by side.
// An asynq server dequeues one task at a time, a Redis script call and a
// hand-off to its heartbeater each, and starts the next dequeue only
// then; the ingest queue carries about six tasks per propagated change
// (the change and each target's echo). Under load its pending list grew
// while most of its slots were idle (bench propagate at 100 changes/s:
// ingest pending mean 394, peak 765, active mean 45 of 100 slots; the
// change waited 2.1–2.9 s there, its largest hop). Each lane takes an
// equal share of the configured concurrency, so the tasks in flight, the
// merge batches and the database connections stay as they were.
// BENCHMARKS.md (2026-12-02) has the measurements.
const ingestLanes = 3

// laneIdleFactor stretches the task check interval of every ingest lane
// after the first (see NewServers).
const laneIdleFactor = 5

func newServer(rdb redis.UniversalClient, cfg config.Worker, log *slog.Logger, health func(error), concurrency int, queues map[string]int) *asynq.Server {
	return newServerStrict(rdb, cfg, log, health, concurrency, queues, false)
}

// newServerStrict is newServer; strict makes it drain its queues in
// priority order (an instance's live pushes before its bulk ones).
func newServerStrict(rdb redis.UniversalClient, cfg config.Worker, log *slog.Logger, health func(error), concurrency int, queues map[string]int, strict bool) *asynq.Server {
	return asynq.NewServerFromRedisClient(rdb, serverConfig(cfg, log, health, concurrency, queues, strict))
}

func serverConfig(cfg config.Worker, log *slog.Logger, health func(error), concurrency int, queues map[string]int, strict bool) asynq.Config {
	return asynq.Config{
		StrictPriority:      strict,
		HealthCheckFunc:     health,
		HealthCheckInterval: HealthInterval,
		Concurrency:         concurrency,
		Queues:              queues,
		// The 1 s default alone puts propagation p50 near 570 ms.
		TaskCheckInterval:        cfg.TaskCheckInterval.D(),
		DelayedTaskCheckInterval: time.Second,
		RetryDelayFunc:           RetryDelay,
		IsFailure:                IsFailure,
		ShutdownTimeout:          cfg.ShutdownTimeout.D(),
		Logger:                   asynqLogger{log.With("component", "asynq")},
		LogLevel:                 asynq.WarnLevel,
		ErrorHandler: asynq.ErrorHandlerFunc(func(ctx context.Context, t *asynq.Task, err error) {
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, _ := asynq.GetMaxRetry(ctx)
			id, _ := asynq.GetTaskID(ctx)
			lvl := slog.LevelWarn
			if !IsFailure(err) {
				// Waiting for a busy lock or a rate limit is no failure
				// (IsFailure): a WARN line each time was noise in every
				// `shophub dev` log.
				lvl = slog.LevelDebug
			} else if retried >= maxRetry || errors.Is(err, asynq.SkipRetry) {
				lvl = slog.LevelError // it goes to the dead letters now
			}
			log.Log(ctx, lvl, "task failed", "type", t.Type(), "task_id", id, "retried", retried, "max_retry", maxRetry, "err", err.Error())
		}),
	}
}

// HealthInterval is how often a worker checks its Redis connection for
// readiness (asynq's default of 15 s is slow for a health probe).
const HealthInterval = 5 * time.Second

// RetryDelay honours a vendor's Retry-After, retries a busy lock soon, and
// otherwise backs off exponentially with jitter up to ten minutes.
func RetryDelay(n int, err error, t *asynq.Task) time.Duration {
	if d, ok := connectors.RetryAfterOf(err); ok {
		return d + time.Duration(rand.N(int64(250*time.Millisecond)))
	}
	if errors.Is(err, errBusy) {
		return 500 * time.Millisecond
	}
	if d, ok := unavailableDelay(err); ok {
		return d + time.Duration(rand.N(int64(250*time.Millisecond)))
	}
	d := time.Second << min(n, 10)
	if d > 10*time.Minute {
		d = 10 * time.Minute
	}
	return d/2 + time.Duration(rand.N(int64(d/2)+1))
}

// IsFailure: waiting for a rate limit or a busy lock is not a failure and
// must not use up a task's retries.
func IsFailure(err error) bool {
	if _, waiting := unavailableDelay(err); waiting || errors.Is(err, errBusy) {
		return false
	}
	_, limited := connectors.RetryAfterOf(err)
	return !limited
}

// RunScheduler enqueues polls and reconciliation sweeps on each instance's
// intervals until ctx ends.
func (h *Handlers) RunScheduler(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var scoreFrom int64
	for {
		h.scheduleScore(ctx, &scoreFrom) // insights.go
		for _, tp := range h.Points.All() {
			h.scheduleEvery(ctx, tp, "poll", tp.Config.PollInterval.D(), func(res, slot string) *asynq.Task {
				return NewPollTask(PollPayload{Instance: tp.Name, Resource: res, Slot: true}, "slot:"+slot)
			})
			h.scheduleEvery(ctx, tp, "reconcile", tp.Config.Reconcile.D(), func(res, slot string) *asynq.Task {
				return NewReconcileTask(ReconcilePayload{Instance: tp.Name, Resource: res, Start: true}, "slot:"+slot, 0) // reconcile.go
			})
		}
		h.scheduleEvents(ctx) // events.go
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// scheduleEvery enqueues the task of each of tp's resources once per
// interval slot; a Redis claim per slot makes N worker processes enqueue
// it once.
func (h *Handlers) scheduleEvery(ctx context.Context, tp *Touchpoint, kind string, iv time.Duration, task func(res, slot string) *asynq.Task) {
	if iv <= 0 || !tp.Config.In() {
		return
	}
	if _, ok := tp.Conn.(connectors.Lister); !ok || tp.down() {
		return // a down instance is polled once it connects again
	}
	for _, res := range tp.Conn.Capabilities().Resources {
		if !tp.Handles(res) {
			continue
		}
		slot := strconv.FormatInt(time.Now().UnixNano()/int64(iv), 10)
		key := kind + "slot:" + tp.Name + ":" + res + ":" + slot
		claimed, err := h.Queue.Claim(ctx, key, 2*iv)
		if err != nil || !claimed {
			continue
		}
		if err := h.Queue.Enqueue(ctx, task(res, slot)); err != nil {
			h.Log.Warn(kind+" enqueue failed", "connector", tp.Name, "err", err)
			_ = h.Queue.Unclaim(ctx, key)
		}
	}
}

// RunRelay re-sends outbox events whose fan-out task never made it into the
// queue (a crash or Redis outage between commit and enqueue), at start-up
// and every interval until ctx ends.
func (h *Handlers) RunRelay(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 5 * time.Second
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := h.RelayOnce(ctx, every); err != nil && ctx.Err() == nil {
			h.Log.Warn("outbox relay", "err", err)
		}
		if err := h.RelayErasures(ctx, time.Minute); err != nil && ctx.Err() == nil {
			h.Log.Warn("erasure relay", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RelayOnce enqueues fan-out for events pending longer than minAge.
func (h *Handlers) RelayOnce(ctx context.Context, minAge time.Duration) error {
	var after uint64
	for {
		evs, err := h.Store.PendingOutbox(ctx, minAge, after, 500)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			after = ev.ID
			if err := h.Queue.Enqueue(ctx, NewFanoutTask(ev.ID, h.MaxRetry)); err != nil {
				return fmt.Errorf("relay outbox %d: %w", ev.ID, err)
			}
		}
		if len(evs) < 500 {
			return nil
		}
	}
}

type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
