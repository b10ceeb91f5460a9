package connectors

import (
	"context"
	"slices"
	"time"
)

// OutEvent is one event the hub computed about a person (a cart abandoned,
// a birthday coming), as a delivery target receives it. A connector that
// receives events never sees the hub: the pipeline fills in who the person
// is.
type OutEvent struct {
	// ID is the event's unique id, the same on every retry and replay:
	// targets deduplicate by it.
	ID string `json:"id"`
	// Type is the event type, e.g. cart_abandoned.
	Type string `json:"type"`
	// Time is when the occasion happened.
	Time time.Time `json:"time"`
	// Marketing events reach a person only with their consent; the
	// pipeline checked it before the delivery.
	Marketing bool `json:"marketing"`
	// Person is who the event is about.
	Person OutPerson `json:"person"`
	// Properties are the event's details (cart lines and value, the
	// birthday's date...).
	Properties map[string]any `json:"properties"`
}

// OutPerson is the person an OutEvent is about.
type OutPerson struct {
	// HubID is the hub's customer id.
	HubID     uint64 `json:"hub_id"`
	Email     string `json:"email,omitempty"`
	Phone     string `json:"phone,omitempty"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	// ExternalID is the person's record id at this target, if linked.
	ExternalID string `json:"-"`
}

// EventSink is a connector that receives hub events (Klaviyo, outbound
// webhooks). Deliveries run as push tasks: retried, dead-lettered and
// replayable like every push.
type EventSink interface {
	// WantsEvent reports whether this instance takes events of typ.
	WantsEvent(typ string) bool
	// SendEvent delivers one event. It must be idempotent by ev.ID.
	SendEvent(ctx context.Context, ev OutEvent) error
}

// WantsEventOf is WantsEvent for a sink configured with a list of event
// types (its events setting): an empty list takes every type.
func WantsEventOf(types []string, typ string) bool {
	return len(types) == 0 || slices.Contains(types, typ)
}
