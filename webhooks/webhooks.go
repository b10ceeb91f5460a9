// Package webhooks receives vendor webhooks. The request path only
// authenticates, validates, deduplicates and enqueues; everything else
// happens in workers. A webhook is acknowledged only after its ingest task
// is in Redis, so an accepted webhook is never lost, and a queue outage
// answers 503 so the vendor retries.
package webhooks

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/sync"
)

// Receiver serves POST /webhooks/:instance.
type Receiver struct {
	Points    *sync.Touchpoints
	Queue     *sync.Queue
	MaxBody   int64
	DedupeTTL time.Duration
	MaxRetry  int
	Log       *slog.Logger
}

// Register mounts the route.
func (r *Receiver) Register(g gin.IRoutes) {
	g.POST("/webhooks/:instance", r.handle)
}

// Answer is the JSON body of every webhook response.
type Answer struct {
	Accepted   int    `json:"accepted"`
	Duplicates int    `json:"duplicates"`
	Ignored    int    `json:"ignored"`
	Error      string `json:"error,omitempty"`
}

func (r *Receiver) handle(c *gin.Context) {
	name := c.Param("instance")
	log := r.Log.With("connector", name, "remote", c.ClientIP())
	tp, ok := r.Points.Get(name)
	if !ok {
		c.JSON(http.StatusNotFound, Answer{Error: "no connector instance named " + name})
		return
	}
	src, ok := tp.Conn.(connectors.WebhookSource)
	if !ok || !tp.Config.In() {
		c.JSON(http.StatusNotFound, Answer{Error: name + " does not receive webhooks"})
		return
	}
	if c.Request.ContentLength > r.MaxBody {
		log.Warn("webhook rejected: body too large", "bytes", c.Request.ContentLength)
		c.JSON(http.StatusRequestEntityTooLarge, Answer{Error: "body too large"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, r.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log.Warn("webhook rejected: body too large")
			c.JSON(http.StatusRequestEntityTooLarge, Answer{Error: "body too large"})
			return
		}
		c.JSON(http.StatusBadRequest, Answer{Error: "reading body: " + err.Error()})
		return
	}
	if err := src.VerifyWebhook(c.Request.Header, body); err != nil {
		log.Warn("webhook rejected: signature", "err", err)
		c.JSON(http.StatusUnauthorized, Answer{Error: "signature does not verify"})
		return
	}
	events, err := src.DecodeWebhook(c.Request.Header, body)
	if err != nil {
		log.Warn("webhook rejected: malformed", "err", err)
		c.JSON(http.StatusBadRequest, Answer{Error: err.Error()})
		return
	}
	ans, err := r.enqueue(c, name, events)
	if err != nil {
		log.Error("webhook not accepted: queue unavailable; the vendor will retry", "err", err)
		c.JSON(http.StatusServiceUnavailable, Answer{Error: "queue unavailable, retry later"})
		return
	}
	log.Debug("webhook accepted", "accepted", ans.Accepted, "duplicates", ans.Duplicates, "ignored", ans.Ignored)
	c.JSON(http.StatusOK, ans)
}

// enqueue dedupes each event by its delivery id and enqueues the new ones.
// If any enqueue fails, every claim made here is released: the vendor's
// retry of this delivery must not be mistaken for a duplicate.
func (r *Receiver) enqueue(c *gin.Context, name string, events []connectors.Event) (Answer, error) {
	ctx := c.Request.Context()
	var ans Answer
	var claimed []string
	fail := func(err error) (Answer, error) {
		_ = r.Queue.Unclaim(ctx, claimed...)
		return Answer{}, err
	}
	now := time.Now()
	for _, ev := range events {
		if ev.Ignore {
			ans.Ignored++
			continue
		}
		key := "seen:" + name + ":" + ev.ID
		fresh, err := r.Queue.Claim(ctx, key, r.DedupeTTL)
		if err != nil {
			return fail(err)
		}
		if !fresh {
			ans.Duplicates++
			continue
		}
		claimed = append(claimed, key)
		at := ev.OccurredAt
		if at.IsZero() {
			at = now
		}
		task, err := sync.NewIngestTask(sync.IngestPayload{Instance: name, Resource: ev.Resource, ExternalID: ev.ExternalID,
			EventID: ev.ID, Deleted: ev.Deleted, SourceAt: at, Body: ev.Body}, r.MaxRetry)
		if err != nil {
			return fail(err)
		}
		if err := r.Queue.Enqueue(ctx, task); err != nil {
			return fail(err)
		}
		ans.Accepted++
	}
	return ans, nil
}
