// Package sync moves records through the pipeline on asynq: ingest (map and
// merge), fan-out (outbox relay), push, and poll. Task payloads carry ids and
// versions, not whole customers, wherever the hub can be read.
package sync

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/internal/jsonx"
)

// Task types.
const (
	TypeIngest = "customer:ingest"
	TypeFanout = "customer:fanout"
	TypePush   = "customer:push"
	TypePoll   = "connector:poll"
)

// Queues and their priorities: inbound first, so webhooks acknowledged are
// applied before anything else; polls last. Pushes go to one queue per
// target instance (PushQueue); QueuePush is only drained for tasks queued
// before that split.
const (
	QueueIngest = "ingest"
	QueuePush   = "push"
	QueuePoll   = "poll"
)

// Queues maps the fixed queues to their asynq priority weight.
var Queues = map[string]int{QueueIngest: 6, QueuePush: 3, QueuePoll: 1}

// PushQueue is the queue of pushes to one connector instance: a slow or
// failing target backs up its own queue, never the others'.
func PushQueue(instance string) string { return QueuePush + ":" + instance }

// PushBulkQueue is the queue of one instance's pushes of whole-shop runs
// (the nightly RFM scoring's changed customers): the instance's server
// takes a task from it only when its live push queue is empty (strict
// priority), so a flood of scored customers never delays a change made at
// a shop.
func PushBulkQueue(instance string) string { return PushQueue(instance) + bulkSuffix }

const bulkSuffix = ":bulk"

// QueuesFor is the asynq Queues map of a worker serving instances: each
// target gets a push queue of weight 3, and ingest keeps twice the weight
// of all pushes together, so inbound still comes first however many
// targets there are.
func QueuesFor(instances []string) map[string]int {
	q := map[string]int{QueuePush: Queues[QueuePush], QueuePoll: Queues[QueuePoll]}
	for _, in := range instances {
		q[PushQueue(in)] = Queues[QueuePush]
		q[PushBulkQueue(in)] = Queues[QueuePoll]
	}
	q[QueueIngest] = max(Queues[QueueIngest], 2*Queues[QueuePush]*len(instances))
	return q
}

// IngestPayload is one inbound record or a hint to fetch it.
type IngestPayload struct {
	Instance   string    `json:"instance"`
	Resource   string    `json:"resource"`
	ExternalID string    `json:"external_id"`
	EventID    string    `json:"event_id,omitempty"`
	Deleted    bool      `json:"deleted,omitempty"`
	SourceAt   time.Time `json:"source_at"`
	// Body is the vendor record; empty means fetch it from the vendor.
	Body json.RawMessage `json:"body,omitempty"`
	// Snapshot is the record the vendor sent with an id-only event
	// (connectors.Event.Snapshot): it recovers an edit our write overwrote
	// (overwritten.go).
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
	// Listed: the snapshot is a poll's listing of the record, read while
	// a push held it (deferHeld), not a vendor's event.
	Listed bool `json:"listed,omitempty"`
	// Unlisted: a reconciliation sweep did not list this linked record.
	// It is fetched, and only a vendor that no longer has it makes it a
	// deletion, dated at the fetch: a listing can skip a record (page
	// numbers shift when a record before it is edited mid-walk).
	Unlisted bool `json:"unlisted,omitempty"`
	// ReceivedAt is when shophub had the event of a record it fetches (the
	// webhook's request, the listing's read): the edits it announces, and
	// its snapshot shows, were made no later. A recovered edit is ordered
	// by it (recoverOverwritten), and so is an edit the record's own stamp
	// does not date (hub.Inbound.AnnouncedAt): the stamp can be older than
	// the edit (Magento keeps updated_at on an address-only save).
	ReceivedAt time.Time `json:"received_at,omitzero"`
	// RequestID is the id of the webhook request that brought the record,
	// so the task's log lines can be found from the request's.
	RequestID string `json:"request_id,omitempty"`
	// Delivery names the enqueued task of an event (NewDelivery): every
	// attempt of the task carries it, a vendor's re-delivery brings a new
	// one. The dedupe claims the event for it (dedupe.go).
	Delivery string `json:"delivery,omitempty"`
	// BodyValid: Body is known to be valid JSON (connectors.Event's
	// BodyDecoded), so NewIngestTask appends it as is.
	BodyValid bool `json:"-"`

	// body is Body decoded with the payload in one pass (decodeIngest);
	// Body itself is then left empty, and taken from raw, the task's
	// payload, only when it is needed as it came (fullBody).
	body map[string]any
	raw  []byte
}

// decodeIngest decodes an ingest task's payload, a record it carries
// straight into a map: decoding the body as raw JSON first and then again
// into a map scanned it four times and copied it, which was about a tenth
// of a merged customer's CPU. A body that is no JSON object is kept raw,
// for the ingest to quarantine.
//
// The one pass is jsonx's (sonic's, with encoding/json's results): it
// decodes a Shopify customer's payload in 10 µs against encoding/json's
// 23, and this decode was the largest single part of the merge worker's
// CPU (BENCHMARKS.md, session 10). TestDecodeIngestAsEncodingJSON holds
// it beside encoding/json for vendor-shaped and awkward payloads.
func decodeIngest(b []byte) (IngestPayload, error) {
	var w ingestWire
	if jsonx.Unmarshal(b, &w) != nil {
		var p IngestPayload
		err := json.Unmarshal(b, &p)
		return p, err
	}
	p := w.IngestPayload
	if w.Body != nil {
		p.body, p.raw = w.Body, b
	}
	return p, nil
}

// ingestWire is an ingest payload whose body decodes into a map.
type ingestWire struct {
	IngestPayload
	Body map[string]any `json:"body"` // shadows IngestPayload.Body
}

// hasBody says whether the task carried the record (else it is fetched).
func (p *IngestPayload) hasBody() bool { return len(p.Body) > 0 || p.body != nil }

// fullBody fills Body, as the vendor sent it, when decodeIngest left it
// in raw.
func (p *IngestPayload) fullBody() {
	if p.Body != nil || p.raw == nil {
		return
	}
	var full IngestPayload
	if json.Unmarshal(p.raw, &full) == nil {
		p.Body = full.Body
	}
}

// NewIngestTask builds an ingest task. Its id collapses re-deliveries of one
// vendor event, and re-listings of one record version.
func NewIngestTask(p IngestPayload, maxRetry int) (*asynq.Task, error) {
	if p.EventID != "" && p.Delivery == "" {
		p.Delivery = NewDelivery()
	}
	b, err := marshalIngest(p)
	if err != nil {
		return nil, fmt.Errorf("ingest payload: %w", err)
	}
	return asynq.NewTask(TypeIngest, b,
		asynq.Queue(QueueIngest), asynq.TaskID(ingestTaskID(p)), asynq.MaxRetry(maxRetry),
		asynq.Timeout(2*time.Minute)), nil
}

// ingestTaskID: re-deliveries of one vendor event share an id; so do
// re-listings of one record version.
func ingestTaskID(p IngestPayload) string {
	id := p.EventID
	if id == "" {
		id = "v:" + p.ExternalID + ":" + strconv.FormatInt(p.SourceAt.UnixNano(), 36)
	}
	return "ingest:" + p.Instance + ":" + id
}

// FanoutPayload names an outbox event.
type FanoutPayload struct {
	OutboxID uint64 `json:"outbox_id"`
}

// NewFanoutTask builds the relay task of one outbox event.
func NewFanoutTask(outboxID uint64, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(FanoutPayload{OutboxID: outboxID})
	return asynq.NewTask(TypeFanout, b, asynq.Queue(QueueIngest),
		asynq.TaskID("fanout:"+strconv.FormatUint(outboxID, 10)), asynq.MaxRetry(maxRetry), asynq.Timeout(time.Minute))
}

// PushPayload asks to bring one touchpoint up to a customer version.
type PushPayload struct {
	Instance   string `json:"instance"`
	Resource   string `json:"resource"`
	CustomerID uint64 `json:"customer_id"`
	Version    int64  `json:"version"`
	// Force pushes even when the touchpoint was already sent this version:
	// used when the touchpoint itself sent values the hub rejected.
	Force bool `json:"force,omitempty"`
	// Knowledge fingerprints the hub knowledge a refresh brings (order
	// figures): refreshes of one customer version collapse only while they
	// carry the same knowledge.
	Knowledge string `json:"knowledge,omitempty"`
	// Conflicts counts the attempts before this one that found the target
	// changed since their read (connectors.ErrChanged). After maxConflicts
	// the write goes unconditional (Upsert), so a record that keeps
	// changing cannot hold a push back for ever.
	Conflicts int `json:"conflicts,omitempty"`
	// Bulk queues the push on the instance's bulk queue (PushBulkQueue).
	Bulk bool `json:"bulk,omitempty"`
}

// NewPushTask builds a push task. The id carries customer and version, so
// duplicates collapse; a newer version gets a new task, and the handler
// makes older pending ones moot by always rendering the current state.
func NewPushTask(p PushPayload, maxRetry int) *asynq.Task {
	b, _ := json.Marshal(p)
	q := PushQueue(p.Instance)
	if p.Bulk {
		q = PushBulkQueue(p.Instance)
	}
	return asynq.NewTask(TypePush, b, asynq.Queue(q), asynq.TaskID(pushTaskID(p)), asynq.MaxRetry(maxRetry),
		asynq.Timeout(2*time.Minute))
}

func pushTaskID(p PushPayload) string {
	id := fmt.Sprintf("push:%s:%s:%d:%d", p.Instance, p.Resource, p.CustomerID, p.Version)
	if p.Force {
		id += ":force"
	}
	if p.Knowledge != "" {
		id += ":k" + p.Knowledge
	}
	if p.Conflicts > 0 {
		id += ":c" + strconv.Itoa(p.Conflicts)
	}
	return id
}

// PollPayload asks to list one instance's resource from its cursor.
type PollPayload struct {
	Instance string `json:"instance"`
	Resource string `json:"resource"`
	// Slot: enqueued by the poll schedule (RunScheduler). A slot's poll
	// that finds another poll running is dropped: that one and the next
	// slot list what it would have.
	Slot bool `json:"slot,omitempty"`
}

// NewPollTask builds a poll task; key makes it unique (a schedule slot or a
// continuation).
func NewPollTask(p PollPayload, key string) *asynq.Task {
	b, _ := json.Marshal(p)
	return asynq.NewTask(TypePoll, b, asynq.Queue(QueuePoll), asynq.TaskID("poll:"+p.Instance+":"+p.Resource+":"+key),
		asynq.MaxRetry(5), asynq.Timeout(10*time.Minute))
}
