package console

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	shsync "github.com/shophub/shophub/sync"
)

func (c *Console) deadLetters(ctx *gin.Context) {
	conn := ctx.Query("connector")
	data := map[string]any{"Connector": conn, "Connectors": c.Connectors}
	if c.DeadLetters != nil {
		dls, err := c.DeadLetters.List(conn)
		if err != nil {
			c.fail(ctx, http.StatusInternalServerError, err)
			return
		}
		data["DeadLetters"] = dls
	}
	qs, err := c.Store.PendingQuarantine(ctx.Request.Context(), conn, 0, 200)
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	data["Quarantine"] = qs
	if n, err := strconv.Atoi(ctx.Query("dl")); err == nil {
		data["Notice"] = fmt.Sprintf("%d dead letters moved back to their queues.", n)
	}
	if n, err := strconv.Atoi(ctx.Query("qok")); err == nil {
		f, _ := strconv.Atoi(ctx.Query("qfail"))
		data["Notice"] = fmt.Sprintf("%d quarantined records replayed, %d still failing.", n, f)
	}
	c.render(ctx, http.StatusOK, "deadletters", data)
}

func (c *Console) deadLetter(ctx *gin.Context) {
	if c.DeadLetters == nil {
		c.fail(ctx, http.StatusNotImplemented, errors.New("dead letters are not available in this process"))
		return
	}
	id := ctx.Param("id")
	q, tid, ok := strings.Cut(id, "~")
	if !ok {
		c.fail(ctx, http.StatusNotFound, fmt.Errorf("no dead letter %q", id))
		return
	}
	info, err := c.DeadLetters.Inspector.GetTaskInfo(q, tid)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		c.fail(ctx, http.StatusNotFound, fmt.Errorf("no dead letter %s (replayed and delivered, or deleted)", id))
		return
	}
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, err)
		return
	}
	c.render(ctx, http.StatusOK, "deadletter", map[string]any{
		"ID": id, "Info": info, "Archived": info.State == asynq.TaskStateArchived,
		"LastError": logx.MaskText(info.LastErr), "Payload": shsync.RedactPayload(info.Type, info.Payload),
	})
}

// replayState says what became of a replayed dead letter: asynq drops a
// task that succeeded, so one no longer there was delivered.
func (c *Console) replayState(id string) (state, detail string) {
	q, tid, _ := strings.Cut(id, "~")
	info, err := c.DeadLetters.Inspector.GetTaskInfo(q, tid)
	switch {
	case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
		return "delivered", "the task ran and succeeded; asynq keeps no completed task"
	case err != nil:
		return "unknown", err.Error()
	case info.State == asynq.TaskStateArchived:
		return "failed", "failed again and is back in the dead letters: " + logx.MaskText(info.LastErr)
	case info.State == asynq.TaskStateCompleted:
		return "delivered", "completed"
	}
	return "running", "queued for a worker (" + info.State.String() + ")"
}

func (c *Console) deadLetterState(ctx *gin.Context) {
	if c.DeadLetters == nil {
		c.fail(ctx, http.StatusNotImplemented, errors.New("dead letters are not available in this process"))
		return
	}
	state, detail := c.replayState(ctx.Param("id"))
	c.fragment(ctx, "replayed", "state", map[string]any{"ID": ctx.Param("id"), "State": state, "Detail": detail})
}

func (c *Console) replayOne(ctx *gin.Context) {
	if c.DeadLetters == nil {
		c.fail(ctx, http.StatusNotImplemented, errors.New("dead letters are not available in this process"))
		return
	}
	id := ctx.Param("id")
	if err := c.DeadLetters.Replay(id); err != nil {
		status := http.StatusInternalServerError
		if errors.Is(err, shsync.ErrNoDeadLetter) {
			status = http.StatusNotFound
		}
		c.fail(ctx, status, err)
		return
	}
	c.Log.Info("console: dead letter replayed", "dead_letter", id)
	state, detail := c.replayState(id)
	c.render(ctx, http.StatusOK, "replayed", map[string]any{"ID": id, "State": state, "Detail": detail})
}

func (c *Console) replayAll(ctx *gin.Context) {
	if c.DeadLetters == nil {
		c.fail(ctx, http.StatusNotImplemented, errors.New("dead letters are not available in this process"))
		return
	}
	conn := ctx.PostForm("connector")
	n, err := c.DeadLetters.ReplayConnector(conn)
	c.Log.Info("console: dead letters replayed", "connector", conn, "n", n)
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, fmt.Errorf("%d replayed, then: %w", n, err))
		return
	}
	ctx.Redirect(http.StatusSeeOther, "/ui/deadletters?dl="+strconv.Itoa(n))
}

func (c *Console) quarantined(ctx *gin.Context) {
	id, ok := c.idParam(ctx, "quarantine")
	if !ok {
		return
	}
	var q hub.Quarantined
	err := c.Store.DB().WithContext(ctx.Request.Context()).First(&q, id).Error
	if !c.loaded(ctx, err, fmt.Sprintf("no quarantined record %d", id)) {
		return
	}
	c.render(ctx, http.StatusOK, "quarantined", map[string]any{"Q": q, "Reason": logx.MaskText(q.Reason),
		"Payload": logx.MaskText(string(q.Payload))})
}

func (c *Console) replayQuarantine(ctx *gin.Context) {
	if c.Quarantine == nil {
		c.fail(ctx, http.StatusNotImplemented, errors.New("quarantine replay is not available in this process"))
		return
	}
	conn := ctx.PostForm("connector")
	ok, failed, err := c.Quarantine.ReplayQuarantine(ctx.Request.Context(), conn)
	if err != nil {
		c.fail(ctx, http.StatusInternalServerError, fmt.Errorf("%d replayed, %d still failing, then: %w", ok, failed, err))
		return
	}
	ctx.Redirect(http.StatusSeeOther, fmt.Sprintf("/ui/deadletters?qok=%d&qfail=%d", ok, failed))
}
