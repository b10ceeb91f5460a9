package sync

import (
	"context"
	"time"

	"github.com/hibiken/asynq"
)

// KeepLastAttempt makes a task on its last attempt wait out a busy lock, a
// target whose push slots are taken, or a vendor's Retry-After in place,
// and try again, instead of handing that error back to asynq.
//
// asynq archives a task whose retries are used up on any error, before it
// asks IsFailure whether the error counts. Without this, a push that had
// used its retries on a vendor's 5xx and on its last attempt found the
// target's slots taken, or was told to wait by a 429, became a dead letter
// without the vendor refusing it that attempt — and with max_retry 0 every
// busy push would. Earlier attempts return such errors at once: asynq
// retries them without counting a failure and without holding a worker.
//
// The wait is bounded by the task's deadline; a last attempt still held up
// when the deadline nears returns the error and is archived with it.
func KeepLastAttempt(next asynq.Handler) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		for {
			err := next.ProcessTask(ctx, t)
			if err == nil || IsFailure(err) {
				return err
			}
			retried, _ := asynq.GetRetryCount(ctx)
			maxRetry, ok := asynq.GetMaxRetry(ctx)
			if !ok || retried < maxRetry {
				return err
			}
			wait := RetryDelay(retried, err, t)
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < 2*wait {
				return err
			}
			timer := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return err
			case <-timer.C:
			}
		}
	})
}
