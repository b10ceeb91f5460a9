package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/sync/redistest"
)

// A task on its last attempt that finds its target busy or rate limited
// waits and tries again instead of becoming a dead letter: asynq archives
// a task with no retries left on any error, counted as a failure or not.
func TestLastAttemptWaitsOutBusyAndRateLimits(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		chain func(asynq.Handler) asynq.Handler
		// archived: the task ends in the dead letters.
		archived bool
	}{
		{"busy, as asynq has it", errBusy, nil, true},
		{"busy, last attempt kept", errBusy, KeepLastAttempt, false},
		{"429, last attempt kept", fmt.Errorf("push: %w", &connectors.RateLimitedError{RetryAfter: 100 * time.Millisecond}), KeepLastAttempt, false},
		{"a real failure still archives", errors.New("vendor answered 500"), KeepLastAttempt, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rdb, _ := redistest.Client(t)
			var calls atomic.Int32
			var h asynq.Handler = asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
				if calls.Add(1) <= 2 {
					return c.err
				}
				return nil
			})
			if c.chain != nil {
				h = c.chain(h)
			}
			cfg := config.Worker{Concurrency: 2, TaskCheckInterval: config.Duration(50 * time.Millisecond), ShutdownTimeout: config.Duration(time.Second)}
			srv := NewServer(rdb, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err := srv.Start(h); err != nil {
				t.Fatal(err)
			}
			defer srv.Shutdown()
			q := NewQueue(rdb)
			// max_retry 0: the first attempt is the last.
			if err := q.Enqueue(context.Background(), asynq.NewTask(TypePush, []byte(`{}`), asynq.Queue(QueueIngest),
				asynq.TaskID("t1"), asynq.MaxRetry(0), asynq.Timeout(time.Minute))); err != nil {
				t.Fatal(err)
			}
			insp := asynq.NewInspectorFromRedisClient(rdb)
			deadline := time.Now().Add(20 * time.Second)
			for {
				info, err := insp.GetQueueInfo(QueueIngest)
				if err == nil && info.Pending+info.Active+info.Retry+info.Scheduled == 0 && (info.Archived > 0 || calls.Load() >= 3) {
					if got := info.Archived > 0; got != c.archived {
						t.Fatalf("archived %v after %d calls, want %v", got, calls.Load(), c.archived)
					}
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("task never settled: %d calls, queue %+v", calls.Load(), info)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}
