package sync

import (
	"context"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/internal/logx"
)

// Correlate is ServeMux middleware that puts the task's type, id and
// attempt into the context's log attributes (see logx): a task's lines can
// be told from the other tasks' running beside it, and the ErrorHandler's
// "task failed" line matched to them. Ingest tasks add the request id of
// the webhook that brought them.
func Correlate(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, _ := asynq.GetTaskID(ctx)
		args := []any{"task", t.Type(), "task_id", id}
		if n, _ := asynq.GetRetryCount(ctx); n > 0 {
			args = append(args, "retried", n)
		}
		return next.ProcessTask(logx.With(ctx, args...), t)
	})
}
