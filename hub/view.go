package hub

import (
	"context"
	"encoding/json"
)

// View is everything the hub knows about one customer: the 360° view.
type View struct {
	ID         uint64                `json:"id"`
	Version    int64                 `json:"version"`
	Profile    map[string]any        `json:"profile"`
	Provenance map[string]Provenance `json:"provenance"`
	Links      []LinkView            `json:"links"`
	// Waiting lists touchpoints that cannot hold the customer yet, and why.
	Waiting []WaitingView `json:"waiting"`
	Changes []ChangeView  `json:"recent_changes"`
	// Tickets are the customer's helpdesk conversations, newest first.
	Tickets []TicketView `json:"tickets"`
	// OrderFigures are order count, total spent, average order value and
	// first/last order, per currency; Orders the most recently placed.
	OrderFigures OrderFigures `json:"order_figures"`
	Orders       []OrderView  `json:"orders"`
	// Insights are the customer's indicators, scores, segment and
	// profitability class (with the inputs its rule read), each indicator
	// with the orders and tickets it came from; nil before the first
	// computation.
	Insights *InsightsView `json:"insights,omitempty"`
	// Carts are the customer's carts, last touched first; Events the
	// moments the hub computed (cart_abandoned, birthday_upcoming...)
	// with their delivery to each target.
	Carts     []CartView  `json:"carts"`
	Events    []EventView `json:"events"`
	CreatedAt string      `json:"created_at"`
	UpdatedAt string      `json:"updated_at"`
}

// LinkView is a link as the API shows it.
type LinkView struct {
	Instance          string `json:"instance"`
	Resource          string `json:"resource"`
	ExternalID        string `json:"external_id"`
	LastPushedVersion int64  `json:"last_pushed_version"`
	// DeletedAt and DeletedBy say when and how the vendor's deletion of
	// the record was learnt; empty while the record exists.
	DeletedAt string `json:"deleted_at,omitempty"`
	DeletedBy string `json:"deleted_by,omitempty"`
}

// ChangeView is a change-log row as the API shows it.
type ChangeView struct {
	Version  int64           `json:"version"`
	Field    string          `json:"field"`
	Old      json.RawMessage `json:"old,omitempty"`
	New      json.RawMessage `json:"new"`
	Instance string          `json:"instance"`
	SourceAt string          `json:"source_at"`
	At       string          `json:"at"`
	// Rejected says why the change was not applied, if it was not.
	Rejected string `json:"rejected,omitempty"`
}

// View assembles a customer's view with its latest changes.
func (s *Store) View(ctx context.Context, id uint64, changes int) (*View, error) {
	c, data, err := s.Customer(ctx, id)
	if err != nil {
		return nil, err
	}
	_, prov, err := decodeState(c)
	if err != nil {
		return nil, err
	}
	v := &View{ID: c.ID, Version: c.Version, Profile: data, Provenance: subFieldProvenance(data, prov),
		CreatedAt: c.CreatedAt.UTC().Format(timeFmt), UpdatedAt: c.UpdatedAt.UTC().Format(timeFmt)}
	links, err := s.Links(ctx, id)
	if err != nil {
		return nil, err
	}
	v.Links = make([]LinkView, 0, len(links))
	for _, l := range links {
		lv := LinkView{Instance: l.Instance, Resource: l.Resource, ExternalID: l.ExternalID, LastPushedVersion: l.LastPushedVersion}
		if l.VendorDeletedAt != nil {
			lv.DeletedAt, lv.DeletedBy = l.VendorDeletedAt.UTC().Format(timeFmt), l.VendorDeletedBy
		}
		v.Links = append(v.Links, lv)
	}
	if v.Waiting, err = s.CustomerWaiting(ctx, id); err != nil {
		return nil, err
	}
	var rows []Change
	if err := s.db.WithContext(ctx).Where("customer_id = ?", id).Order("id desc").Limit(changes).Find(&rows).Error; err != nil {
		return nil, err
	}
	v.Changes = make([]ChangeView, 0, len(rows))
	for _, r := range rows {
		cv := ChangeView{Version: r.Version, Field: r.Field, New: json.RawMessage(r.NewValue), Instance: r.Instance,
			SourceAt: r.SourceAt.UTC().Format(timeFmt), At: r.CreatedAt.UTC().Format(timeFmt), Rejected: r.Rejected}
		if r.OldValue != "" {
			cv.Old = json.RawMessage(r.OldValue)
		}
		v.Changes = append(v.Changes, cv)
	}
	if v.Tickets, err = s.CustomerTickets(ctx, id, 50); err != nil {
		return nil, err
	}
	if v.OrderFigures, err = s.CustomerOrderFigures(ctx, id); err != nil {
		return nil, err
	}
	if v.Orders, err = s.CustomerOrders(ctx, id, 20); err != nil {
		return nil, err
	}
	if v.Carts, err = s.CustomerCarts(ctx, id, 20); err != nil {
		return nil, err
	}
	if v.Events, err = s.CustomerEvents(ctx, id, 50); err != nil {
		return nil, err
	}
	if v.Insights, err = s.InsightsView(ctx, id); err != nil {
		return nil, err
	}
	return v, nil
}

// subFieldProvenance shows an address's provenance per sub-field, as the
// merge keeps it: a customer merged before that has one provenance for the
// whole address, which stands for each of its keys without their own.
func subFieldProvenance(data map[string]any, prov map[string]Provenance) map[string]Provenance {
	for f := range addressPaths {
		whole, ok := prov[f]
		if !ok {
			continue
		}
		delete(prov, f)
		addr, _ := data[f].(map[string]any)
		for k := range addr {
			if _, own := prov[f+"."+k]; !own {
				prov[f+"."+k] = whole
			}
		}
	}
	return prov
}

const timeFmt = "2006-01-02T15:04:05.000000Z07:00"
