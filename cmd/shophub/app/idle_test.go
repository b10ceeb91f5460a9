package app_test

import (
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/hub"
	shsync "github.com/shophub/shophub/sync"
)

// pipelineWatch tells when the pipeline has nothing left to do: no task
// pending, running, scheduled or waiting to retry (dead letters do not
// count), every outbox event dispatched, and whatever more says.
type pipelineWatch struct {
	rdb   redis.UniversalClient
	store *hub.Store
	more  func() (ok bool, busy string)
	busy  string // what the last look found under way, for the failure
}

// wait polls until the pipeline is idle or timeout passes. Scheduled polls
// never stop, and on a busy machine one is nearly always running, so it
// waits until the polls under way when all else was idle have finished
// and all else is still idle after them (what they found would be
// pending ingests by then), not for a moment with no poll running.
//
// Settled counts only when the look before was settled too and no task
// but a poll finished in between: one look reads the queues, then the
// outbox, and a push enqueued and its event marked dispatched between
// the two reads was seen in neither — the likely way
// TestCustomerWithoutAddressWaitsForShopware found no wait recorded yet in
// two of three full runs on a loaded machine (it passes alone).
func (w *pipelineWatch) wait(timeout time.Duration) (time.Duration, bool) {
	start := time.Now()
	var waitFor map[string]bool
	prevOK, prevDone := false, int64(-1)
	for {
		settled, polls, done := w.settled()
		ok := settled && prevOK && done == prevDone
		prevOK, prevDone = settled, done
		switch {
		case !ok:
			waitFor = nil
		case waitFor == nil:
			waitFor = polls
		default:
			for id := range waitFor {
				if !polls[id] {
					delete(waitFor, id)
				}
			}
		}
		if ok && len(waitFor) == 0 {
			return time.Since(start), true
		}
		if ok {
			w.busy = fmt.Sprintf("%d polls under way", len(waitFor))
		}
		if time.Since(start) > timeout {
			return time.Since(start), false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// settled says whether nothing but polls is under way, and returns the
// poll tasks queued or running and how many other tasks have finished
// (processed or failed, today).
func (w *pipelineWatch) settled() (bool, map[string]bool, int64) {
	polls := map[string]bool{}
	var done int64
	insp := asynq.NewInspectorFromRedisClient(w.rdb)
	queues, err := insp.Queues() // the fixed queues and one push queue per target
	if err != nil {
		w.busy = err.Error()
		return false, polls, done
	}
	for _, q := range queues {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			continue // queue not created yet
		}
		n := info.Pending + info.Active + info.Scheduled + info.Retry + info.Aggregating
		if q != shsync.QueuePoll {
			done += int64(info.Processed + info.Failed)
		}
		if q == shsync.QueuePoll {
			for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){insp.ListActiveTasks, insp.ListPendingTasks} {
				ts, _ := list(q, asynq.PageSize(100))
				for _, ti := range ts {
					polls[ti.ID] = true
				}
			}
			n -= info.Pending + info.Active
		}
		if n > 0 {
			w.busy = fmt.Sprintf("queue %s: %d pending, %d active, %d scheduled, %d retry (%d processed, %d failed today)",
				q, info.Pending, info.Active, info.Scheduled, info.Retry, info.Processed, info.Failed)
			for _, list := range []func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){insp.ListActiveTasks, insp.ListRetryTasks} {
				ts, _ := list(q, asynq.PageSize(5))
				for _, ti := range ts {
					w.busy += fmt.Sprintf("\n  %s %s retried %d: %s", ti.Type, ti.ID, ti.Retried, ti.LastErr)
				}
			}
			return false, polls, done
		}
	}
	var pending int64
	if err := w.store.DB().Model(&hub.OutboxEvent{}).Where("dispatched_at IS NULL").Count(&pending).Error; err != nil {
		w.busy = err.Error()
		return false, polls, done
	}
	if pending > 0 {
		w.busy = fmt.Sprintf("%d outbox events not dispatched", pending)
		return false, polls, done
	}
	if w.more != nil {
		ok, busy := w.more()
		if !ok {
			w.busy = busy
			return false, polls, done
		}
	}
	return true, polls, done
}
