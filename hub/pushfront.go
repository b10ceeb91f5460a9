package hub

import (
	"context"
	"fmt"
)

// PushState is what a push reads of one customer before it renders:
// the customer, and its links with their waiting flags.
// CustomersForPush reads it for many customers at once.
type PushState struct {
	Customer *Customer
	Links    []Link
	// Waiting says for each of Links whether a push of it is recorded as
	// waiting (Wait), as LinkWaiting does.
	Waiting []bool
}

// Pick is LinksWaiting's answer from the state: every link of the
// customer, the one Link would return for instance and resource, and
// its waiting flag. ErrNotFound when there is none (links are still
// returned).
func (p *PushState) Pick(instance, resource string) (links []Link, link *Link, waiting bool, err error) {
	links = append([]Link(nil), p.Links...)
	best := -1
	for i := range links {
		if links[i].Instance != instance || links[i].Resource != resource {
			continue
		}
		if best < 0 || linkBefore(&links[i], &links[best]) {
			best = i
		}
	}
	if best < 0 {
		return links, nil, false, fmt.Errorf("link of customer %d to %s: %w", p.Customer.ID, instance, ErrNotFound)
	}
	l := links[best]
	return links, &l, p.Waiting[best], nil
}

// CustomersForPush reads customers and all their links in two statements
// for pushes that run side by side (sync's push front): Customer and
// LinksWaiting cost two statements a push. A customer that does not exist
// is missing from the map. The provenance is not decoded: a push renders
// the doc only.
func (s *Store) CustomersForPush(ctx context.Context, ids []uint64) (map[uint64]*PushState, error) {
	out := make(map[uint64]*PushState, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Customer
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&cs).Error; err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return out, nil
	}
	for i := range cs {
		out[cs[i].ID] = &PushState{Customer: &cs[i]}
	}
	var rows []struct {
		Link    `gorm:"embedded"`
		Waiting bool
	}
	err := s.db.WithContext(ctx).Model(&Link{}).
		Select("links.*, EXISTS(SELECT 1 FROM push_waiting w WHERE w.customer_id = links.customer_id AND w.instance = links.instance AND w.resource = links.resource) AS waiting").
		Where("customer_id IN ?", ids).Order("customer_id, instance, id").Find(&rows).Error
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if st := out[r.CustomerID]; st != nil {
			st.Links = append(st.Links, r.Link)
			st.Waiting = append(st.Waiting, r.Waiting)
		}
	}
	return out, nil
}

// DecodeDoc decodes a customer's canonical doc (its provenance is left).
func DecodeDoc(c *Customer) (map[string]any, error) {
	return decodeData("customer", c.ID, c.Data)
}
