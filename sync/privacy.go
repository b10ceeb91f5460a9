package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/internal/logx"
	"github.com/shophub/shophub/mappings"
)

// GDPR: erasure propagates to every touchpoint as one customer:erase task
// per linked record, on that target's push queue (same pacing, retries and
// dead letters as pushes); vendor data-protection requests arrive as
// privacy:request tasks. Neither payload carries personal data: the vendor
// id of a record to erase stays in the hub's step row until the vendor
// confirmed. Nothing here logs emails, names or phones.

// Task types of data-protection work.
const (
	TypeErase   = "customer:erase"
	TypePrivacy = "privacy:request"
)

// ErasePayload names one step of an erasure.
type ErasePayload struct {
	RequestID uint64 `json:"request_id"`
	StepID    uint64 `json:"step_id"`
	Instance  string `json:"instance"`
	Resource  string `json:"resource"`
}

// NewEraseTask builds the task of one erasure step; the step id makes
// re-enqueues by the relay collapse.
func NewEraseTask(p ErasePayload, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(p)
	return asynq.NewTask(TypeErase, b, asynq.Queue(PushQueue(p.Instance)), asynq.TaskID("erase:"+strconv.FormatUint(p.StepID, 10)),
		asynq.MaxRetry(maxRetry), asynq.Timeout(2*time.Minute))
}

// PrivacyPayload is a vendor's data-protection request.
type PrivacyPayload struct {
	Instance string `json:"instance"`
	EventID  string `json:"event_id,omitempty"`
	connectors.PrivacyRequest
}

// NewPrivacyTask builds the task of a vendor's data-protection request.
// A shop redaction may erase many customers, hence the long timeout.
func NewPrivacyTask(p PrivacyPayload, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(p)
	return asynq.NewTask(TypePrivacy, b, asynq.Queue(QueueIngest), asynq.TaskID("privacy:"+p.Instance+":"+p.EventID),
		asynq.MaxRetry(maxRetry), asynq.Timeout(30*time.Minute))
}

func (h *Handlers) registerPrivacy(mux *asynq.ServeMux) {
	mux.HandleFunc(TypeErase, h.Erase)
	mux.HandleFunc(TypePrivacy, h.Privacy)
}

// PrivacyPolicy says what vendors' data-protection requests may do
// (config hub.erasure_email_fallback, hub.vendor_erasure_scope).
type PrivacyPolicy struct {
	// EmailFallback lets a request whose record the hub has no link to
	// find the person by the request's email. Off by default: the email
	// in a vendor's request is whatever that vendor holds, unverified,
	// and may be another person's.
	EmailFallback bool
	// EraseEverywhere lets a vendor's erasure request erase at every
	// touchpoint by its erasure mode. Off by default: Shopify's
	// customers/redact means "this shop's customer asked", not "delete
	// them from the ERP and the helpdesk"; the hub and the asking
	// touchpoint erase, the others are recorded as out of scope.
	EraseEverywhere bool
}

// onlyAt is erasureAction limited to one touchpoint.
func (h *Handlers) onlyAt(origin string) func(instance, resource string) string {
	return func(instance, resource string) string {
		if instance != origin {
			return hub.ActionOutOfScope
		}
		return h.erasureAction(instance, resource)
	}
}

// erasureAction is what an erasure does at a touchpoint: its configured
// mode, none when the hub cannot write there, "" when it is gone from the
// configuration.
func (h *Handlers) erasureAction(instance, resource string) string {
	tp, ok := h.Points.Get(instance)
	if !ok {
		return ""
	}
	mode := tp.Config.ErasureMode()
	if mode == config.ErasureNone {
		return hub.ActionNone
	}
	if _, w := tp.Conn.(connectors.Writer); !w || !tp.Config.Out() {
		return hub.ActionNone
	}
	if mode == config.ErasureAnonymize && !tp.Mapping.HasOutbound(resource) {
		return hub.ActionNone
	}
	return mode
}

// EraseCustomer erases a person: the hub transaction, then the person's
// queued and dead-lettered tasks, then one task per touchpoint to delete
// or anonymize their record. It returns the audit row; the steps finish
// in the background.
//
// This is the entry point for every erasure of a whole person: the API,
// the CLI, and deletions propagated from one touchpoint to the others.
// Each touchpoint is erased by its connectors[].erasure mode; req.Action,
// when set, decides instead (see HandlePrivacyRequest's scope).
func (h *Handlers) EraseCustomer(ctx context.Context, customerID uint64, req hub.EraseRequest) (*hub.PrivacyRequest, error) {
	if req.Action == nil {
		req.Action = h.erasureAction
	}
	e, err := h.Store.Erase(ctx, customerID, req)
	if err != nil {
		return nil, err
	}
	n, perr := h.purgeQueued(ctx, e.Identity, "")
	if perr != nil {
		// The hub is clean; the queue keeps what it could not delete, and
		// the tombstones make those tasks no-ops when they run.
		h.Log.Warn("erasure: could not purge queued tasks", "request_id", e.Request.ID, "err", perr)
	}
	if n > 0 {
		if err := h.Store.NoteRemoved(ctx, e.Request.ID, "queued_tasks", n); err != nil {
			h.Log.Warn("erasure: could not count purged tasks", "request_id", e.Request.ID, "err", err)
		}
	}
	h.enqueueSteps(ctx, e.Steps)
	h.Log.Info("customer erased from the hub", "request_id", e.Request.ID, "customer_id", customerID,
		"source", req.Source, "touchpoint_steps", len(e.Steps), "queued_tasks_removed", n)
	return &e.Request, nil
}

// enqueueSteps enqueues erasure steps; one that fails stays pending and
// the relay enqueues it later.
func (h *Handlers) enqueueSteps(ctx context.Context, steps []hub.PrivacyStep) {
	for _, st := range steps {
		t := NewEraseTask(ErasePayload{RequestID: st.RequestID, StepID: st.ID, Instance: st.Instance, Resource: st.Resource}, h.MaxRetry)
		if err := h.Queue.Enqueue(ctx, t); err != nil {
			h.Log.Warn("erasure step not enqueued; the relay will retry", "request_id", st.RequestID, "step_id", st.ID, "err", err)
		}
	}
}

// RelayErasures enqueues erasure steps still pending after minAge: their
// task was lost between commit and enqueue (or Redis was down).
func (h *Handlers) RelayErasures(ctx context.Context, minAge time.Duration) error {
	var after uint64
	for {
		steps, err := h.Store.PendingPrivacySteps(ctx, minAge, after, 500)
		if err != nil {
			return err
		}
		for _, st := range steps {
			after = st.ID
		}
		h.enqueueSteps(ctx, steps)
		if len(steps) < 500 {
			return nil
		}
	}
}

// Erase runs one erasure step: delete or anonymize one vendor record.
func (h *Handlers) Erase(ctx context.Context, t *asynq.Task) error {
	var p ErasePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("erase payload: %v: %w", err, asynq.SkipRetry)
	}
	st, err := h.Store.PrivacyStep(ctx, p.StepID)
	if errors.Is(err, hub.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if st.Status != hub.PrivacyPending && st.Status != hub.PrivacyFailed {
		return nil // done before (a duplicate or a relayed task)
	}
	outcome, err := h.eraseStep(ctx, st)
	if err == nil {
		return h.Store.CompletePrivacyStep(ctx, st.ID, outcome)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	if errors.Is(err, asynq.SkipRetry) || (ok && retried >= maxRetry) {
		// The last attempt: the audit row says so, and the vendor id is
		// kept so that replaying the dead letter can still reach it.
		if ferr := h.Store.FinishPrivacyStep(ctx, st.ID, hub.PrivacyFailed, logx.MaskText(err.Error())); ferr != nil {
			return errors.Join(err, ferr)
		}
	}
	return err
}

// eraseStep deletes or anonymizes one vendor record and says what really
// happened there: a connector that knows its vendor (connectors.Eraser)
// reports it; otherwise a Delete is a deletion, an Upsert of placeholders
// an anonymization, and a record the vendor no longer has is gone.
func (h *Handlers) eraseStep(ctx context.Context, st *hub.PrivacyStep) (string, error) {
	tp, w, err := touchpointAs[connectors.Writer](ctx, h, st.Instance, "write")
	if err != nil {
		return "", err
	}
	p := PushPayload{Instance: st.Instance, Resource: st.Resource}
	if st.Action != hub.ActionDelete && st.Action != hub.ActionAnonymize {
		return "", fmt.Errorf("step %d: unknown action %q: %w", st.ID, st.Action, asynq.SkipRetry)
	}
	if e, ok := tp.Conn.(connectors.Eraser); ok {
		outcome, err := e.Erase(ctx, st.Resource, st.ExternalID, st.Action, st.Token)
		if errors.Is(err, connectors.ErrNotFound) {
			return connectors.ErasedGone, nil
		}
		if err != nil {
			return "", pushError(p, err)
		}
		return outcome, nil
	}
	if st.Action == hub.ActionDelete {
		err := w.Delete(ctx, st.Resource, st.ExternalID)
		switch {
		case errors.Is(err, connectors.ErrNotFound):
			return connectors.ErasedGone, nil
		case err != nil:
			return "", pushError(p, err)
		}
		return connectors.ErasedDeleted, nil
	}
	var fields []string
	if st.Fields != "" {
		if err := json.Unmarshal([]byte(st.Fields), &fields); err != nil {
			return "", fmt.Errorf("step %d fields: %v: %w", st.ID, err, asynq.SkipRetry)
		}
	}
	payload, err := tp.Mapping.Outbound(st.Resource, AnonymizedDoc(fields, st.Token, time.Now()))
	if err != nil {
		return "", fmt.Errorf("render anonymized %s record: %w: %w", st.Instance, err, asynq.SkipRetry)
	}
	_, err = w.Upsert(ctx, st.Resource, st.ExternalID, payload)
	if errors.Is(err, connectors.ErrNotFound) {
		return connectors.ErasedGone, nil // gone already: nothing left to anonymize
	}
	if err != nil {
		return "", pushError(p, err)
	}
	return connectors.ErasedAnonymized, nil
}

// AnonymizedDoc is a canonical customer that overwrites every field a
// record held with a placeholder that passes vendor validation: a unique
// email under the reserved .invalid domain, fixed names, empty values,
// withdrawn consent. token makes the email unique per record; it is random
// and says nothing about the person.
func AnonymizedDoc(fields []string, token string, now time.Time) map[string]any {
	placeholderAddress := func() map[string]any {
		return map[string]any{"first_name": "Erased", "last_name": "Customer", "street": "Erased", "city": "Erased",
			"company": "", "street2": "", "zip": "", "region": "", "phone": ""}
	}
	// Knowledge too: a mapping rendering it (Help Scout's order
	// properties) must find it, and must clear what it showed.
	doc := map[string]any{"email": "erased-" + token + "@example.invalid", mappings.HubKey: noKnowledge()}
	for _, f := range fields {
		def, ok := mappings.CustomerField(f)
		if !ok || f == "email" {
			continue
		}
		switch def.Kind {
		case mappings.KindTags:
			doc[f] = []any{}
		case mappings.KindAddress:
			doc[f] = placeholderAddress()
		case mappings.KindConsent:
			doc[f] = map[string]any{"subscribed": false, "updated_at": now.UTC().Format(time.RFC3339)}
		default:
			doc[f] = ""
		}
	}
	if _, ok := doc["first_name"]; ok {
		doc["first_name"] = "Erased"
	}
	if _, ok := doc["last_name"]; ok {
		doc["last_name"] = "Customer"
	}
	return doc
}

// erasedWhilePushing handles a push that created a vendor record for a
// customer erased while it ran: that record is erased too.
func (h *Handlers) erasedWhilePushing(ctx context.Context, tp *Touchpoint, p PushPayload, externalID string, doc map[string]any) error {
	fields := make([]string, 0, len(doc))
	for f := range doc {
		fields = append(fields, f)
	}
	st, ok, err := h.Store.AddErasureStep(ctx, p.CustomerID, p.Instance, p.Resource, externalID, h.erasureAction(p.Instance, p.Resource), fields)
	if err != nil || !ok {
		return err
	}
	h.Log.Info("customer erased while a push ran; erasing the record it wrote", "connector", tp.Name, "request_id", st.RequestID)
	if st.Status == hub.PrivacyPending {
		h.enqueueSteps(ctx, []hub.PrivacyStep{*st})
	}
	return nil
}

// purgeQueued deletes queued and dead-lettered tasks that carry the
// person's data or name their records: ingest tasks with their vendor
// record, pushes of their customer id, dead letters of either, tasks
// waiting in a group to be aggregated. With instance set it deletes every
// task of that instance instead (a shop redaction). An aggregated batch
// loses only those of its records: the others, accepted from their
// vendors, are queued again as a batch in the same state. Running tasks
// cannot be deleted; the tombstones make them no-ops. Erasure tasks
// themselves are kept.
func (h *Handlers) purgeQueued(ctx context.Context, id *hub.Identity, instance string) (int64, error) {
	insp := asynq.NewInspectorFromRedisClient(h.Queue.Redis)
	queues, err := insp.Queues()
	if err != nil {
		return 0, fmt.Errorf("list queues: %w", err)
	}
	type lister func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error)
	var n int64
	var errs []error
	for _, q := range queues {
		lists := []lister{insp.ListPendingTasks, insp.ListScheduledTasks, insp.ListRetryTasks, insp.ListArchivedTasks}
		groups, err := insp.Groups(q)
		if err != nil {
			errs = append(errs, fmt.Errorf("list groups of %s: %w", q, err))
		}
		for _, g := range groups {
			lists = append(lists, func(q string, o ...asynq.ListOption) ([]*asynq.TaskInfo, error) {
				return insp.ListAggregatingTasks(q, g.Group, o...)
			})
		}
		for _, list := range lists {
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			// Collect first: deleting while paging would shift the pages.
			var doomed []string
			for page := 1; ; page++ {
				tasks, err := list(q, asynq.PageSize(500), asynq.Page(page))
				if err != nil {
					errs = append(errs, fmt.Errorf("list %s: %w", q, err))
					break
				}
				for _, t := range tasks {
					if t.Type == TypeIngestBatch || t.Type == TypePushBatch {
						if hit, err := h.purgeBatch(ctx, insp, t, id, instance); err != nil {
							errs = append(errs, err)
							continue
						} else if !hit {
							continue
						}
					} else if !concerns(t.Type, t.Payload, id, instance) {
						continue
					}
					doomed = append(doomed, t.ID)
				}
				if len(tasks) < 500 {
					break
				}
			}
			for _, tid := range doomed {
				err := insp.DeleteTask(q, tid)
				if err == nil {
					n++
				} else if !errors.Is(err, asynq.ErrTaskNotFound) {
					errs = append(errs, fmt.Errorf("delete task in %s: %w", q, err))
				}
			}
		}
	}
	return n, errors.Join(errs...)
}

// purgeBatch decides a batch task (an aggregated ingest batch,
// ingestgroup.go; a target's pushes, pushbatch.go): hit when any of its
// items concerns the person (or instance); the batch is then to be
// deleted, and its other items were queued again first, as one batch in
// the same state (a dead letter stays one).
func (h *Handlers) purgeBatch(ctx context.Context, insp *asynq.Inspector, t *asynq.TaskInfo, id *hub.Identity, instance string) (hit bool, err error) {
	items, err := splitBatch(t.Payload)
	if err != nil {
		return false, nil // not ours to judge; ingesting it fails on its own
	}
	var keep [][]byte
	for _, it := range items {
		if concerns(t.Type, it, id, instance) {
			hit = true
		} else {
			keep = append(keep, it)
		}
	}
	if !hit || len(keep) == 0 {
		return hit, nil
	}
	opts := []asynq.Option{asynq.Queue(t.Queue), asynq.TaskID("purged:" + t.ID)}
	if t.State == asynq.TaskStateArchived {
		opts = append(opts, asynq.ProcessIn(24*time.Hour)) // archived below, before any worker could take it
	}
	rest := newBatchTask(t.Type, keep, opts...) // in its queue (opts): ingest or the target's pushes
	if err := h.Queue.Enqueue(ctx, rest); err != nil {
		return false, fmt.Errorf("queue the rest of batch %s again: %w", t.ID, err)
	}
	if t.State == asynq.TaskStateArchived {
		if err := insp.ArchiveTask(t.Queue, "purged:"+t.ID); err != nil {
			return false, fmt.Errorf("keep the rest of dead-lettered batch %s dead-lettered: %w", t.ID, err)
		}
	}
	return true, nil
}

func concerns(typ string, payload []byte, id *hub.Identity, instance string) bool {
	if typ == TypeErase || typ == TypePrivacy {
		return false
	}
	var p struct {
		Instance   string `json:"instance"`
		Resource   string `json:"resource"`
		ExternalID string `json:"external_id"`
		CustomerID uint64 `json:"customer_id"`
	}
	_ = json.Unmarshal(payload, &p)
	if instance != "" {
		return p.Instance == instance
	}
	if id == nil {
		return false
	}
	if p.CustomerID != 0 && p.CustomerID == id.CustomerID {
		return true
	}
	return id.HasRecord(p.Instance, p.Resource, p.ExternalID) || id.Mentions(payload)
}

// Privacy handles a vendor's data-protection request.
func (h *Handlers) Privacy(ctx context.Context, t *asynq.Task) error {
	var p PrivacyPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("privacy payload: %v: %w", err, asynq.SkipRetry)
	}
	_, err := h.HandlePrivacyRequest(ctx, p)
	return err
}

// HandlePrivacyRequest erases, exports or redacts as a vendor asked, and
// returns the audit row.
func (h *Handlers) HandlePrivacyRequest(ctx context.Context, p PrivacyPayload) (*hub.PrivacyRequest, error) {
	source := p.Instance + " " + p.Kind
	if tp, ok := h.Points.Get(p.Instance); ok {
		source = tp.Config.Type + " " + privacyTopic(tp.Config.Type, p.Kind)
	}
	req := hub.EraseRequest{Source: source, Instance: p.Instance, VendorRequestID: p.RequestID}
	if p.Rejected != "" {
		// The connector refused it (see connectors.PrivacyRequest): only
		// the audit row is written.
		r := &hub.PrivacyRequest{Kind: auditKind(p.Kind), Source: source, Instance: p.Instance, Status: hub.PrivacyRejected, Reason: p.Rejected}
		if err := h.Store.LogPrivacyRequest(ctx, r); err != nil {
			return nil, err
		}
		h.Log.Warn("privacy request rejected: nothing erased or exported", "connector", p.Instance, "kind", p.Kind, "reason", p.Rejected, "request_id", r.ID)
		return r, nil
	}
	switch p.Kind {
	case connectors.PrivacyShop:
		r, err := h.Store.ShopRedact(ctx, p.Instance, req)
		if err != nil {
			return nil, err
		}
		if n, err := h.purgeQueued(ctx, nil, p.Instance); err != nil {
			h.Log.Warn("shop redaction: could not purge queued tasks", "request_id", r.ID, "err", err)
		} else if n > 0 {
			_ = h.Store.NoteRemoved(ctx, r.ID, "queued_tasks", n)
		}
		h.Log.Info("shop redacted", "connector", p.Instance, "request_id", r.ID)
		return r, nil
	case connectors.PrivacyErase, connectors.PrivacyExport:
	default:
		return nil, fmt.Errorf("privacy request kind %q: %w", p.Kind, asynq.SkipRetry)
	}
	custID, err := h.Store.CustomerByRecord(ctx, p.Instance, connectors.ResourceCustomer, p.ExternalID)
	if errors.Is(err, hub.ErrNotFound) && p.Email != "" && h.PrivacyPolicy.EmailFallback {
		var c *hub.Customer
		if c, err = h.Store.CustomerByEmail(ctx, mappings.NormalizeEmail(p.Email)); err == nil {
			custID = c.ID
		}
	}
	if err != nil && !errors.Is(err, hub.ErrNotFound) {
		return nil, err
	}
	kind := auditKind(p.Kind)
	if custID == 0 {
		reason := "no link to the record"
		if p.Email != "" && !h.PrivacyPolicy.EmailFallback {
			reason = "no link to the record; email fallback off"
		}
		r := &hub.PrivacyRequest{Kind: kind, Source: source, Instance: p.Instance, VendorRequestID: p.RequestID, Status: hub.PrivacyNotFound, Reason: reason}
		if err := h.Store.LogPrivacyRequest(ctx, r); err != nil {
			return nil, err
		}
		h.Log.Info("privacy request matches nobody in the hub", "connector", p.Instance, "kind", p.Kind, "request_id", r.ID)
		return r, nil
	}
	if kind == hub.PrivacyExport {
		// The export is built when it is fetched
		// (GET /api/privacy/requests/:id/export): a stored copy would be
		// one more place holding the person's data.
		r := &hub.PrivacyRequest{Kind: kind, Source: source, Instance: p.Instance, VendorRequestID: p.RequestID, CustomerID: custID}
		if err := h.Store.LogPrivacyRequest(ctx, r); err != nil {
			return nil, err
		}
		h.Log.Info("data request recorded", "connector", p.Instance, "request_id", r.ID, "customer_id", custID)
		return r, nil
	}
	if !h.PrivacyPolicy.EraseEverywhere {
		req.Action = h.onlyAt(p.Instance)
	}
	r, err := h.EraseCustomer(ctx, custID, req)
	if errors.Is(err, hub.ErrNotFound) {
		return nil, nil // erased meanwhile by another request
	}
	return r, err
}

// auditKind is the audit row's kind of a vendor's request kind.
func auditKind(kind string) string {
	switch kind {
	case connectors.PrivacyExport:
		return hub.PrivacyExport
	case connectors.PrivacyShop:
		return hub.PrivacyShopRedact
	}
	return hub.PrivacyErase
}

// privacyTopic names the vendor's topic in the audit row.
func privacyTopic(typ, kind string) string {
	if typ == "shopify" {
		switch kind {
		case connectors.PrivacyErase:
			return "customers/redact"
		case connectors.PrivacyExport:
			return "customers/data_request"
		case connectors.PrivacyShop:
			return "shop/redact"
		}
	}
	return kind
}
