package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/internal/logx"
)

// DeadLetter is a task that exhausted its retries or was refused for good
// by its vendor (SkipRetry). asynq's archive is the store: nothing is copied,
// so replaying one is moving it back to pending.
type DeadLetter struct {
	// ID is queue + "~" + task id: task ids are only unique within a queue.
	ID           string    `json:"id"`
	Queue        string    `json:"queue"`
	TaskID       string    `json:"task_id"`
	Type         string    `json:"type"`
	Connector    string    `json:"connector,omitempty"`
	Resource     string    `json:"resource,omitempty"`
	CustomerID   uint64    `json:"customer_id,omitempty"`
	ExternalID   string    `json:"external_id,omitempty"`
	Attempts     int       `json:"attempts"`
	LastError    string    `json:"last_error"`
	LastFailedAt time.Time `json:"last_failed_at"`
}

// ErrNoDeadLetter: no archived task has that id.
var ErrNoDeadLetter = errors.New("no such dead letter")

// deadLetterSep joins queue and task id; it is URL-safe and appears in
// neither our queue names nor our task ids.
const deadLetterSep = "~"

// DeadLetters reads and replays the archive of every queue.
type DeadLetters struct {
	Inspector *asynq.Inspector
}

// NewDeadLetters shares rdb with the rest of the pipeline.
func NewDeadLetters(rdb redis.UniversalClient) *DeadLetters {
	return &DeadLetters{Inspector: asynq.NewInspectorFromRedisClient(rdb)}
}

// List returns dead letters, newest failure first; connector filters by
// instance ("" for all). Only queues that can hold the connector's tasks
// are read: the shared ones, and of the per-instance push queues its own.
func (d *DeadLetters) List(connector string) ([]DeadLetter, error) {
	queues, err := d.Inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	out := []DeadLetter{}
	for _, q := range queues {
		if inst, ok := pushQueueInstance(q); ok && connector != "" && inst != connector {
			continue
		}
		if err := d.eachArchived(q, func(dl DeadLetter) {
			if connector == "" || dl.Connector == connector {
				out = append(out, dl)
			}
		}); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LastFailedAt.After(out[j].LastFailedAt) })
	return out, nil
}

// pushQueueInstance names the instance of a per-instance push queue, live
// or bulk.
func pushQueueInstance(queue string) (string, bool) {
	in, ok := strings.CutPrefix(queue, QueuePush+":")
	return strings.TrimSuffix(in, bulkSuffix), ok
}

func (d *DeadLetters) eachArchived(queue string, fn func(DeadLetter)) error {
	for page := 1; ; page++ {
		tasks, err := d.Inspector.ListArchivedTasks(queue, asynq.PageSize(500), asynq.Page(page))
		if err != nil {
			return fmt.Errorf("list dead letters of %s: %w", queue, err)
		}
		for _, t := range tasks {
			fn(deadLetterOf(t))
		}
		if len(tasks) < 500 {
			return nil
		}
	}
}

// Counts is the number of dead letters per connector ("" for tasks of no
// connector, such as fan-out). A push queue's archive belongs to its
// instance whole, so its size is read, not its tasks: a sick target with
// thousands of dead letters costs /metrics and status one call.
func (d *DeadLetters) Counts() (map[string]int, error) {
	queues, err := d.Inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	n := map[string]int{}
	for _, q := range queues {
		if inst, ok := pushQueueInstance(q); ok {
			info, err := d.Inspector.GetQueueInfo(q)
			if err != nil {
				return nil, fmt.Errorf("dead letters of %s: %w", q, err)
			}
			if info.Archived > 0 {
				n[inst] += info.Archived
			}
			continue
		}
		if err := d.eachArchived(q, func(dl DeadLetter) { n[dl.Connector]++ }); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Replay moves one dead letter back to pending. Its retry count is kept:
// a replayed task that fails again goes straight back to the dead letters
// instead of hammering a still-broken target.
func (d *DeadLetters) Replay(id string) error {
	q, tid, ok := strings.Cut(id, deadLetterSep)
	if !ok || q == "" || tid == "" {
		return fmt.Errorf("dead letter id %q: want <queue>%s<task id>: %w", id, deadLetterSep, ErrNoDeadLetter)
	}
	info, err := d.Inspector.GetTaskInfo(q, tid)
	if errors.Is(err, asynq.ErrQueueNotFound) || errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("%s: %w", id, ErrNoDeadLetter)
	}
	if err != nil {
		return err
	}
	if info.State != asynq.TaskStateArchived {
		return fmt.Errorf("%s is %s, not a dead letter: %w", id, info.State, ErrNoDeadLetter)
	}
	return d.Inspector.RunTask(q, tid)
}

// ReplayConnector replays every dead letter of one connector instance
// ("" for all) and reports how many.
func (d *DeadLetters) ReplayConnector(connector string) (int, error) {
	all, err := d.List(connector)
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, dl := range all {
		if err := d.Inspector.RunTask(dl.Queue, dl.TaskID); err != nil {
			errs = append(errs, fmt.Errorf("replay %s: %w", dl.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// Delete drops one dead letter for good.
func (d *DeadLetters) Delete(id string) error {
	q, tid, ok := strings.Cut(id, deadLetterSep)
	if !ok {
		return fmt.Errorf("dead letter id %q: %w", id, ErrNoDeadLetter)
	}
	err := d.Inspector.DeleteTask(q, tid)
	if errors.Is(err, asynq.ErrQueueNotFound) || errors.Is(err, asynq.ErrTaskNotFound) {
		return fmt.Errorf("%s: %w", id, ErrNoDeadLetter)
	}
	return err
}

// deadLetterOf reads connector, customer and record from the payload of
// the task types we know.
func deadLetterOf(t *asynq.TaskInfo) DeadLetter {
	// The error is masked again here: tasks archived before RedactErrors
	// was in place carry vendor bodies with the person's data.
	dl := DeadLetter{ID: t.Queue + deadLetterSep + t.ID, Queue: t.Queue, TaskID: t.ID, Type: t.Type,
		Attempts: t.Retried + 1, LastError: logx.MaskText(t.LastErr), LastFailedAt: t.LastFailedAt}
	var p struct {
		Instance   string `json:"instance"`
		Resource   string `json:"resource"`
		CustomerID uint64 `json:"customer_id"`
		ExternalID string `json:"external_id"`
	}
	payload := t.Payload
	if t.Type == TypePushBatch {
		// A target's pushes (pushbatch.go): the first names the target;
		// the customers are many.
		if items, err := splitBatch(payload); err == nil && len(items) > 0 {
			payload = items[0]
		}
	}
	if json.Unmarshal(payload, &p) == nil {
		dl.Connector, dl.Resource, dl.CustomerID, dl.ExternalID = p.Instance, p.Resource, p.CustomerID, p.ExternalID
	}
	if t.Type == TypePushBatch {
		dl.CustomerID = 0
	}
	return dl
}

// RedactErrors is ServeMux middleware that masks the error a task returns
// before asynq stores it as the task's last error: that text is what dead
// letters, `shophub status`, the API and the queue dashboard show, and a
// vendor's error body in it holds the person's email, name and address.
// The original error stays reachable through Unwrap, so SkipRetry and
// rate-limit errors keep working in the middleware around it.
func RedactErrors(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if err := next.ProcessTask(ctx, t); err != nil {
			return redactedError{err}
		}
		return nil
	})
}

type redactedError struct{ err error }

func (e redactedError) Error() string { return logx.MaskText(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }

// RedactPayload shows a task payload with its personal data masked, for
// the queue dashboard (asynqmon's PayloadFormatter): a vendor record
// carried whole (an ingest task's body) is replaced by its size, and
// emails, phones and personal fields elsewhere are masked.
func RedactPayload(_ string, payload []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return logx.MaskText(string(payload))
	}
	for k, v := range m {
		if k == "body" && len(v) > 0 && string(v) != "null" {
			m[k], _ = json.Marshal(fmt.Sprintf("(vendor record, %d bytes, not shown)", len(v)))
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "(payload not shown)"
	}
	return logx.MaskText(string(b))
}

// RedactResult is RedactPayload for task results.
func RedactResult(_ string, result []byte) string {
	return logx.MaskText(string(result))
}
