package sync

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// heldLister lists one empty page; a listing waits until release is
// closed, so a poll can be held running.
type heldLister struct {
	lists   atomic.Int32
	started chan struct{}
	release chan struct{}
}

func (l *heldLister) Type() string                          { return "held" }
func (l *heldLister) Capabilities() connectors.Capabilities { return connectors.Capabilities{} }
func (l *heldLister) Connect(context.Context) error         { return nil }
func (l *heldLister) Close() error                          { return nil }
func (l *heldLister) List(ctx context.Context, resource, cursor string) (connectors.Page, error) {
	if l.lists.Add(1) == 1 {
		close(l.started)
	}
	select {
	case <-l.release:
	case <-ctx.Done():
		return connectors.Page{}, ctx.Err()
	}
	return connectors.Page{Done: true}, nil
}

// TestPollsAskedForDuringAPollCoalesce: polls asked for while one runs
// (a second worker's, a backfill's, the schedule's next slot) do not wait
// and retry for the lease each on their own and then list in turn — under
// load they queued up faster than they ran, and the pipeline never came to
// rest. They finish at once; the running poll lists once more when it is
// done, because its listing may have started before what they were asked
// for; a slot's poll is dropped (the next slot lists anyway). Without a
// schedule nothing else would continue a listing, so a busy poll is
// retried as before.
func TestPollsAskedForDuringAPollCoalesce(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval time.Duration
		asks     []PollPayload
		again    int   // polls enqueued when the running one ends
		err      error // what each ask returns
	}{
		{"scheduled: asks coalesce into one more listing", time.Second,
			[]PollPayload{{}, {}, {}, {Slot: true}}, 1, nil},
		{"scheduled: slots alone are dropped", time.Second,
			[]PollPayload{{Slot: true}, {Slot: true}}, 0, nil},
		{"no schedule: retried while busy", 0,
			[]PollPayload{{}}, 1, errBusy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rdb, _ := redistest.Client(t)
			l := &heldLister{started: make(chan struct{}), release: make(chan struct{})}
			tp := &Touchpoint{Name: "v", Conn: l, Config: config.Connector{Name: "v", PollInterval: config.Duration(tc.interval)}}
			h := &Handlers{Queue: NewQueue(rdb), Store: hubtest.SQLite(t), Log: slog.New(slog.DiscardHandler),
				Points: &Touchpoints{byName: map[string]*Touchpoint{"v": tp}, names: []string{"v"}}}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a hang guard
			defer cancel()
			task := func(p PollPayload) *asynq.Task {
				p.Instance, p.Resource = "v", connectors.ResourceCustomer
				return NewPollTask(p, "test")
			}
			running := make(chan error, 1)
			go func() { running <- h.Poll(ctx, task(PollPayload{})) }()
			select {
			case <-l.started:
			case <-ctx.Done():
				t.Fatal("the first poll never listed")
			}
			for _, p := range tc.asks {
				if err := h.Poll(ctx, task(p)); !errors.Is(err, tc.err) && !(tc.err == nil && err == nil) {
					t.Fatalf("poll asked for during a poll (slot %v): %v, want %v", p.Slot, err, tc.err)
				}
			}
			close(l.release)
			if err := <-running; err != nil {
				t.Fatalf("running poll: %v", err)
			}
			insp := asynq.NewInspectorFromRedisClient(rdb)
			tasks, _ := insp.ListPendingTasks(QueuePoll)
			if len(tasks) != tc.again {
				t.Errorf("%d polls enqueued after the running one, want %d", len(tasks), tc.again)
			}
			if n := l.lists.Load(); n != 1 {
				t.Errorf("%d listings while one poll ran, want 1", n)
			}
		})
	}
}
