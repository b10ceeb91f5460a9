// Package webhooks receives vendor webhooks. The request path only
// authenticates, validates, deduplicates and enqueues; everything else
// happens in workers. A webhook is acknowledged only after its ingest task
// is in Redis, so an accepted webhook is never lost, and a queue outage
// answers 503 so the vendor retries.
package webhooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	gosync "sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/internal/forwarded"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/internal/trace"
	"github.com/shophub/shophub/metrics"
	"github.com/shophub/shophub/sync"
)

// Receiver serves POST /webhooks/:instance.
type Receiver struct {
	Points   *sync.Touchpoints
	Queue    *sync.Queue
	MaxBody  int64
	MaxRetry int
	Log      *slog.Logger
	// Metrics counts accepted and rejected webhooks; nil counts nothing.
	Metrics *metrics.Metrics
	// TrustedProxies (server.trusted_proxies) may say how a caller
	// reached shophub (X-Forwarded-Proto, X-Forwarded-Host); nobody else's
	// forwarding headers are believed.
	TrustedProxies forwarded.Proxies
}

// TokenHeader carries a webhook token taken from the URL to the
// connector's VerifyWebhook. Vendors that cannot sign (Odoo's "Send Webhook
// Notification") are configured with a URL holding a per-instance secret:
// /webhooks/<instance>/<token> or /webhooks/<instance>?token=<token>.
const TokenHeader = "X-Shophub-Webhook-Token"

// Register mounts the routes.
func (r *Receiver) Register(g gin.IRoutes) {
	g.POST("/webhooks/:instance", r.handle)
	g.POST("/webhooks/:instance/:token", r.handle)
	r.registerApps(g) // apps.go
}

func (r *Receiver) handle(c *gin.Context) {
	name := c.Param("instance")
	// The logger is built when a line is written: slog's With formats its
	// attributes at once, which an accepted webhook (a Debug line) never
	// needs.
	var logger *slog.Logger
	log := func() *slog.Logger {
		if logger == nil {
			logger = logx.Logger(c.Request.Context(), r.Log).With("connector", name, "remote", c.ClientIP())
		}
		return logger
	}
	tp, ok := r.Points.Get(name)
	if !ok {
		r.Metrics.WebhookRejected("", "unknown_instance")
		c.JSON(http.StatusNotFound, Answer{Error: "no connector instance named " + name})
		return
	}
	src, ok := tp.Conn.(connectors.WebhookSource)
	if !ok || !tp.Config.In() {
		r.Metrics.WebhookRejected(name, "not_receiving")
		c.JSON(http.StatusNotFound, Answer{Error: name + " does not receive webhooks"})
		return
	}
	if c.Request.ContentLength > r.MaxBody {
		log().Warn("webhook rejected: body too large", "bytes", c.Request.ContentLength)
		r.Metrics.WebhookRejected(name, "too_large")
		c.JSON(http.StatusRequestEntityTooLarge, Answer{Error: "body too large"})
		return
	}
	body, err := readBody(c, r.MaxBody)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			log().Warn("webhook rejected: body too large")
			r.Metrics.WebhookRejected(name, "too_large")
			c.JSON(http.StatusRequestEntityTooLarge, Answer{Error: "body too large"})
			return
		}
		r.Metrics.WebhookRejected(name, "read_error")
		c.JSON(http.StatusBadRequest, Answer{Error: "reading body: " + err.Error()})
		return
	}
	if tok := c.Param("token"); tok != "" {
		c.Request.Header.Set(TokenHeader, tok)
	} else if tok := c.Query("token"); tok != "" {
		c.Request.Header.Set(TokenHeader, tok)
	}
	if err := src.VerifyWebhook(c.Request.Header, body); err != nil {
		log().Warn("webhook rejected: signature", "err", err)
		r.Metrics.WebhookRejected(name, "signature")
		c.JSON(http.StatusUnauthorized, Answer{Error: "signature does not verify"})
		return
	}
	events, err := src.DecodeWebhook(c.Request.Header, body)
	if err != nil {
		log().Warn("webhook rejected: malformed", "err", err)
		r.Metrics.WebhookRejected(name, "malformed")
		c.JSON(http.StatusBadRequest, Answer{Error: err.Error()})
		return
	}
	if trace.On() {
		for _, ev := range events {
			trace.Mark(trace.Event{Step: trace.WebhookReceived, Instance: name, ExternalID: ev.ExternalID, Key: ev.ID})
		}
	}
	start := time.Now()
	ans, err := r.enqueue(c, name, events)
	if err != nil {
		log().Error("webhook not accepted: queue unavailable; the vendor will retry", "err", err)
		r.Metrics.WebhookRejected(name, "queue_unavailable")
		c.JSON(http.StatusServiceUnavailable, Answer{Error: "queue unavailable, retry later"})
		return
	}
	r.Metrics.WebhookReceived(name)
	// One line per delivery however many records it names (an import
	// sends thousands in one); a large one is worth seeing at Info.
	lvl := slog.LevelDebug
	if len(events) >= largeDelivery {
		lvl = slog.LevelInfo
	}
	if r.Log.Enabled(c.Request.Context(), lvl) {
		log().Log(c.Request.Context(), lvl, "webhook accepted", "topic", topicOf(events), "items", len(events), "bytes", len(body),
			"accepted", ans.Accepted, "duplicates", ans.Duplicates, "ignored", ans.Ignored, "rejected", ans.Rejected, "enqueue_ms", time.Since(start).Milliseconds())
	}
	c.Data(http.StatusOK, jsonContentType, ans.appendJSON(make([]byte, 0, 64)))
}

// presized bounds the stated length read into a buffer of its size.
const presized = 1 << 20

// jsonContentType is what gin's c.JSON sends.
const jsonContentType = "application/json; charset=utf-8"

// readBody reads a request's body, at most limit bytes. A body that
// states its length (every vendor's webhook does) is read into one buffer
// of that size: io.ReadAll grows its buffer from 512 bytes, copying the
// body four times over for a 1.4 KB customer. The server reads no more
// than the stated length, so the limit was checked with it. Past presized
// the buffer grows as the bytes arrive, so a caller that only claims a
// large body makes shophub allocate nothing for it.
func readBody(c *gin.Context, limit int64) ([]byte, error) {
	if n := c.Request.ContentLength; n > 0 && n <= min(limit, presized) {
		b := make([]byte, n)
		if _, err := io.ReadFull(c.Request.Body, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	return io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
}

// largeDelivery is how many records make a delivery's summary an Info line.
const largeDelivery = 100

func topicOf(events []connectors.Event) string {
	if len(events) == 0 {
		return ""
	}
	return events[0].Topic
}

// enqueueWorkers bounds the concurrent enqueues of one delivery: each is a
// Redis round trip, and a 10,000-record delivery enqueued one after the
// other keeps the vendor waiting for seconds (it gives up after 20 s).
const enqueueWorkers = 16

// enqueue enqueues one ingest task per event, up to enqueueWorkers at a
// time. Duplicates need no Redis round trip here: a re-delivery of an event
// still queued collapses on the task id, and one already applied (or
// queued in a group, see enqueueOne) is dropped by the ingest handler,
// which claims event ids. The first
// error stops the rest: the vendor retries the whole delivery, and what was
// enqueued collapses then.
func (r *Receiver) enqueue(c *gin.Context, name string, events []connectors.Event) (Answer, error) {
	if len(events) == 1 && !events[0].Ignore {
		// Most deliveries name one record: enqueued right here, without
		// the workers, their channel and their cancellation.
		var ans Answer
		ev := events[0]
		dup, err := r.enqueueOne(c.Request.Context(), name, ev, time.Now(), r.Queue.EnqueueReceived)
		if err != nil {
			return ans, err
		}
		ans.count(ev, dup)
		return ans, nil
	}
	ctx, cancel := context.WithCancel(c.Request.Context())
	defer cancel()
	now := time.Now()
	var (
		mu       gosync.Mutex
		ans      Answer
		firstErr error
	)
	count := func(ev connectors.Event, dup bool, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err == nil {
			ans.count(ev, dup)
		} else if firstErr == nil {
			firstErr = err
			cancel()
		}
	}
	work := make(chan connectors.Event)
	var wg gosync.WaitGroup
	for range min(enqueueWorkers, len(events)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ev := range work {
				// A delivery's own items meet each other, and a group
				// commit would only hold them up.
				dup, err := r.enqueueOne(ctx, name, ev, now, r.Queue.EnqueueIngest)
				count(ev, dup, err)
			}
		}()
	}
feed:
	for _, ev := range events {
		if ev.Ignore {
			mu.Lock()
			ans.Ignored++
			mu.Unlock()
			continue
		}
		select {
		case work <- ev:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil && c.Request.Context().Err() != nil {
		firstErr = c.Request.Context().Err()
	}
	return ans, firstErr
}

// enqueueOne enqueues the task of one event through enqueue and reports
// whether an equal one was queued already.
func (r *Receiver) enqueueOne(ctx context.Context, name string, ev connectors.Event, now time.Time,
	enqueue func(context.Context, *asynq.Task, sync.IngestPayload) (bool, error)) (bool, error) {
	if ev.Privacy != nil {
		// Erasures and exports run in a worker like everything else;
		// answering 200 once queued is what Shopify asks of them.
		//
		// A rejected one (its body is not its topic's shape, or names
		// another shop) is answered 200 too, and queued only for its
		// audit row. Shopify never sends a misshapen compliance body,
		// so its sender is replaying some other signed body: a 4xx
		// tells it nothing we want it to know. And a request for
		// another shop of the same app is a real one for data we do
		// not hold. A 4xx would have Shopify retry it 8 times over 4
		// hours and count the app as failing its mandatory webhooks,
		// while the operator already sees every rejection in the log,
		// the metrics, `shophub status` and the audit table.
		dup, err := r.Queue.EnqueueNew(ctx, sync.NewPrivacyTask(sync.PrivacyPayload{Instance: name, EventID: ev.ID, PrivacyRequest: *ev.Privacy}, r.MaxRetry))
		if err != nil {
			return dup, err
		}
		if !dup {
			r.Metrics.PrivacyRequest(name, ev.Privacy.Kind, ev.Privacy.Rejected)
		}
		if ev.Privacy.Rejected != "" {
			logx.Logger(ctx, r.Log).Warn("privacy webhook rejected: not acted on", "connector", name, "topic", ev.Topic,
				"kind", ev.Privacy.Kind, "reason", ev.Privacy.Rejected)
		}
		return dup, nil
	}
	at := ev.OccurredAt
	if at.IsZero() {
		at = now
	}
	p := sync.IngestPayload{Instance: name, Resource: ev.Resource, ExternalID: ev.ExternalID,
		EventID: ev.ID, Deleted: ev.Deleted, SourceAt: at, Body: ev.Body, BodyValid: ev.BodyDecoded, Snapshot: ev.Snapshot,
		RequestID: logx.RequestID(ctx)}
	if len(ev.Body) == 0 {
		// The record is fetched later; the edits the event announces (and
		// its snapshot's) were made before now (sync.IngestPayload.ReceivedAt).
		p.ReceivedAt = now
		if ev.IDRecurs && p.EventID != "" {
			// A body hash that a later save can send again
			// (connectors.Event.IDRecurs): keyed by this receipt, the
			// delivery is neither taken for an applied event by the
			// dedupe nor folded into a queued or running ingest task of
			// the earlier save, which may have fetched already. A true
			// re-delivery costs one fetch, which finds what the hub has.
			p.EventID += ":" + sync.NewDelivery()
		}
	}
	task, err := sync.NewIngestTask(p, r.MaxRetry)
	if err != nil {
		return false, err
	}
	dup, err := enqueue(ctx, task, p)
	trace.Mark(trace.Event{Step: trace.IngestEnqueued, Instance: name, ExternalID: ev.ExternalID, Key: ev.ID})
	return dup, err
}
