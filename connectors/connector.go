// Package connectors defines the plugin contract every touchpoint implements,
// the registry connectors add themselves to in init, and the shared HTTP client.
//
// A connector speaks vendor-native records in and out. It never sees the
// canonical model (that is mappings), the database (hub) or the queue (sync).
package connectors

import (
	"context"
	"net/http"
	"time"
)

// Resource names shared by connectors, mappings and the pipeline.
const (
	ResourceCustomer = "customer"
	ResourceOrder    = "order"
	ResourceTicket   = "ticket"
	// ResourceCart is a cart (checkout, quote) not completed yet.
	ResourceCart = "cart"
)

// Record is one vendor record as the vendor shapes it.
type Record struct {
	Resource   string
	ExternalID string
	// UpdatedAt is the vendor's own modification time: merge decides by it.
	UpdatedAt time.Time
	// ReadAt is set by the pipeline, never by a connector: the moment it
	// asked the vendor for the record (a fetch, a listed page), so the
	// record holds the vendor's state of that moment or later. Zero for a
	// record a webhook carried, which may be any age when it arrives.
	ReadAt  time.Time
	Deleted bool
	// Data holds the vendor's fields as decoded JSON.
	Data map[string]any
	// Invalid, when set, says why this record cannot be taken as it is (a
	// vendor value no reader accepts, such as a zero timestamp): the
	// pipeline quarantines it with Data and this reason, and the listing it
	// came in goes on.
	Invalid string
}

// Event is the envelope of one webhook delivery, decoded without touching more
// of the body than the envelope needs.
type Event struct {
	// ID identifies the delivery for deduplication (vendor delivery/event id,
	// or a body hash where the vendor sends none).
	ID         string
	Topic      string
	Resource   string
	ExternalID string
	Deleted    bool
	OccurredAt time.Time
	// Body is the vendor record as raw JSON when the delivery carries it; nil
	// when the vendor sends ids only and the pipeline must Fetch the record.
	Body []byte
	// BodyDecoded says the connector decoded Body with encoding/json in
	// DecodeWebhook, so it is valid JSON: the pipeline carries it into its
	// task as is, without scanning it again.
	BodyDecoded bool
	// Snapshot is the record as the vendor sent it with an event the
	// pipeline treats as id-only (Body nil): the pipeline fetches the
	// current record as for any id-only event, and uses the snapshot only
	// to recover an edit the vendor held when it sent the event that a
	// write of ours, already on its way, then overwrote (a vendor without
	// conditional writes: Magento's full-save PUT). Nil when the delivery
	// carries no record.
	Snapshot []byte
	// IDRecurs: ID is a hash of the body (the vendor sends no delivery id)
	// and two events can carry one body: a save that leaves everything the
	// body shows as an earlier save left it sends that save's body again,
	// byte for byte (Magento keeps updated_at on an address-only save,
	// magento/magento2 #5013, so an address set back to a value it held
	// before, our push's or anybody's, repeats the webhook of that
	// earlier save). ID then cannot tell a re-delivery from a new event,
	// and dropped as "applied before" a new edit is lost: the pipeline
	// keys such an id-only event by its receipt, so every delivery is
	// fetched, and what the fetch finds is dropped by content when the
	// hub has it already.
	IDRecurs bool
	// Ignore is set for events the connector recognises but shophub does not
	// act on (test pings, unsupported topics): acknowledged, never enqueued.
	Ignore bool
	// Privacy is set for a data-protection request (Shopify's mandatory
	// compliance webhooks): the pipeline erases or exports instead of
	// ingesting.
	Privacy *PrivacyRequest
}

// Kinds of data-protection requests a vendor can send.
const (
	// PrivacyErase: erase one person (Shopify customers/redact).
	PrivacyErase = "erase"
	// PrivacyExport: the merchant needs everything held about one person
	// (Shopify customers/data_request).
	PrivacyExport = "export"
	// PrivacyShop: forget everything this instance contributed (Shopify
	// shop/redact, 48 hours after the app was uninstalled).
	PrivacyShop = "shop"
)

// PrivacyRequest is a vendor's data-protection request, decoded by the
// connector so the pipeline needs no vendor format.
type PrivacyRequest struct {
	Kind string `json:"kind"`
	// ExternalID is the person's record id at the vendor ("" for PrivacyShop).
	ExternalID string `json:"external_id,omitempty"`
	// Email and Phone find the person when the hub has no link to the
	// record.
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	// RequestID is the vendor's id of the request, if it has one.
	RequestID string `json:"request_id,omitempty"`
	// Orders are the vendor's order ids named by the request.
	Orders []string `json:"orders,omitempty"`
	// Rejected says why the request must not be acted on (the body does
	// not have the shape of its topic, or names another shop): the
	// pipeline answers it, counts it and writes a rejected audit row, and
	// nothing else. A rejected request carries no ids and no contact data.
	Rejected string `json:"rejected,omitempty"`
}

// Capabilities declares what a connector can do; the pipeline only calls the
// optional interfaces a connector declares.
type Capabilities struct {
	Webhooks bool
	Poll     bool
	Push     bool
	// Patch: Upsert of an existing record takes a partial payload — a key
	// left out keeps the vendor's value, and an object (an address) with
	// some of its keys changes only those. The pipeline then sends only
	// what changed; without it, whole payloads.
	Patch     bool
	Resources []string
}

// Connector is the core every connector implements.
type Connector interface {
	// Type is the registered type name, e.g. "shopify".
	Type() string
	Capabilities() Capabilities
	// Connect authenticates and prepares clients. It must not require the
	// vendor to be reachable for webhook verification to work.
	Connect(ctx context.Context) error
	// Close releases resources; safe after a partial or failed Connect.
	Close() error
}

// WebhookSource verifies and decodes inbound webhook deliveries.
type WebhookSource interface {
	// VerifyWebhook checks the vendor's signature over the raw body; it returns
	// an error wrapping ErrBadSignature when the delivery is not authentic.
	VerifyWebhook(h http.Header, body []byte) error
	// DecodeWebhook parses the envelope; errors wrap ErrMalformed.
	DecodeWebhook(h http.Header, body []byte) ([]Event, error)
}

// Fetcher re-reads one record, for vendors whose webhooks carry ids only.
type Fetcher interface {
	Fetch(ctx context.Context, resource, externalID string) (*Record, error)
}

// Page is one page of a listing.
type Page struct {
	Records []Record
	// Next is the opaque cursor to store once this page is safely enqueued;
	// listing resumes from it after a restart.
	Next string
	// Done reports that the listing has caught up; Next then is the cursor
	// for the next incremental poll.
	Done bool
}

// Lister lists records changed since an opaque cursor; an empty cursor means
// a full backfill from the beginning.
type Lister interface {
	List(ctx context.Context, resource, cursor string) (Page, error)
}

// Writer pushes rendered vendor payloads.
type Writer interface {
	// Upsert updates the record externalID, or creates a record when
	// externalID is empty, and returns the record's id and its new state.
	// An error wrapping ErrNotRepresentable says the target cannot hold
	// the record (or, returned with a record, a part of it) yet.
	Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*Record, error)
	Delete(ctx context.Context, resource, externalID string) error
}

// What an erasure really did at a touchpoint (Eraser, and the audit's
// step outcome).
const (
	// ErasedDeleted: the vendor removed the record.
	ErasedDeleted = "deleted"
	// ErasedAnonymized: the record stays, every place the vendor kept the
	// person's data in now holds placeholders.
	ErasedAnonymized = "anonymized"
	// ErasedDeactivated: the record was only switched off; the person's
	// data is still there.
	ErasedDeactivated = "deactivated"
	// ErasedGone: the vendor no longer had the record.
	ErasedGone = "gone"
)

// Erasure modes an Eraser is asked for (config connectors[].erasure).
const (
	EraseDelete    = "delete"
	EraseAnonymize = "anonymize"
)

// Eraser is implemented by writers whose Delete is not an erasure (OXID
// can only deactivate; Odoo refuses to unlink a partner with invoices) or
// who keep a person in more places than one record (addresses, newsletter
// rows). Erase deletes (mode EraseDelete) or anonymizes (EraseAnonymize)
// everything of the person behind externalID as far as the vendor allows,
// and returns what it really did: a connector asked to delete that can
// only anonymize says ErasedAnonymized. token makes placeholders such as
// the anonymized email unique per record; it says nothing about the
// person. Writers without Erase are erased by Delete or by an Upsert of
// placeholders.
type Eraser interface {
	Erase(ctx context.Context, resource, externalID, mode, token string) (outcome string, err error)
}

// Namer is a Writer whose vendor takes a new record's id from the client
// (Shopware's ids are UUIDs the caller makes). The pipeline names the
// record before it writes it and holds the record's lock from then on, so
// the vendor's echo of the create, fetched under that lock, waits until
// the push has recorded the link and what the target filled in. Created
// by Upsert, the id is known only once the write returns, and a fast echo
// can be merged before that as a record nobody pushed to.
type Namer interface {
	// NewExternalID names a record not yet written.
	NewExternalID(resource string) string
	// CreateAs creates the record under the id NewExternalID gave.
	CreateAs(ctx context.Context, resource, externalID string, payload map[string]any) (*Record, error)
}

// Updater is a Writer that can update a record from the state the
// pipeline has just read (it reads before it writes), instead of reading it
// again itself. The record it returns carries the external id; its data
// may be the state the write started from.
type Updater interface {
	Update(ctx context.Context, resource string, current *Record, payload map[string]any) (*Record, error)
}

// Finder looks a record up by a natural key (e.g. email) so that a push to a
// system that already knows the person updates instead of duplicating.
type Finder interface {
	FindBy(ctx context.Context, resource, key, value string) (*Record, error)
}

// Truster rates how far a vendor record's identity can be trusted: a
// registered or verified account is, a guest checkout or an email nobody
// confirmed is not (anyone can type someone else's address there). The
// pipeline lets an unverified record link to a person and fill gaps, but
// never overwrite what trusted sources said, and pushes nothing into it.
// Connectors that do not implement it are trusted.
type Truster interface {
	Verified(resource string, data map[string]any) bool
}
