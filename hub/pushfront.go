package hub

import (
	"context"
	"fmt"
	"strings"
	"time"
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
// is missing from the map. The provenance is not decoded here: a push
// renders the doc, and only Shareable looks at the provenance, when it
// may mark a path unverified.
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

// LinkedPush is one push to a record already linked to its customer
// (LinkID), to be recorded as Pushed records it.
type LinkedPush struct {
	LinkID     uint64
	CustomerID uint64
	ExternalID string
	Hash       string
	Version    int64
	// Pushed is the doc as pushed (Pushed's pushed); nil keeps the
	// link's.
	Pushed map[string]any
}

// PushedLinked records pushes to linked records in two statements, for
// pushes running side by side: one conditional multi-row UPDATE (each row
// only if it still belongs to the customer and no newer version was
// recorded on it, Pushed's fast path) and one read of the rows with their
// customers' versions. written[i] is false for a push it did not record
// (a newer version was recorded meanwhile, or the link changed): the
// caller records that one with Pushed, which tells the cases apart.
// overtaken[i] is Pushed's overtaken; errs[i] wraps ErrNotFound when the
// customer was erased meanwhile.
func (s *Store) PushedLinked(ctx context.Context, recs []LinkedPush) (written, overtaken []bool, errs []error, err error) {
	written, overtaken, errs = make([]bool, len(recs)), make([]bool, len(recs)), make([]error, len(recs))
	if len(recs) == 0 {
		return written, overtaken, errs, nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var q strings.Builder
	args := make([]any, 0, len(recs)*12+2)
	q.WriteString("UPDATE links SET last_pushed_hash = CASE id")
	for _, r := range recs {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, r.LinkID, r.Hash)
	}
	q.WriteString(" END, last_pushed_version = CASE id")
	for _, r := range recs {
		q.WriteString(" WHEN ? THEN ?")
		args = append(args, r.LinkID, r.Version)
	}
	q.WriteString(" END, last_pushed_doc = CASE id")
	for _, r := range recs {
		if r.Pushed != nil {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, r.LinkID, mustJSON(r.Pushed))
		}
	}
	q.WriteString(" ELSE last_pushed_doc END, last_pushed_at = ?, updated_at = ? WHERE ")
	args = append(args, now, now)
	for i, r := range recs {
		if i > 0 {
			q.WriteString(" OR ")
		}
		q.WriteString("(id = ? AND customer_id = ? AND external_id = ? AND last_pushed_version <= ?)")
		args = append(args, r.LinkID, r.CustomerID, r.ExternalID, r.Version)
	}
	if err := retry(ctx, func() error { return s.db.WithContext(ctx).Exec(q.String(), args...).Error }); err != nil {
		return nil, nil, nil, err
	}
	ids := make([]uint64, len(recs))
	for i, r := range recs {
		ids[i] = r.LinkID
	}
	var rows []struct {
		ID                uint64
		CustomerID        uint64
		ExternalID        string
		LastPushedHash    string
		LastPushedVersion int64
		Version           *int64
	}
	err = s.db.WithContext(ctx).Table("links l").
		Select("l.id, l.customer_id, l.external_id, l.last_pushed_hash, l.last_pushed_version, c.version").
		Joins("LEFT JOIN customers c ON c.id = l.customer_id").Where("l.id IN ?", ids).Find(&rows).Error
	if err != nil {
		return nil, nil, nil, err
	}
	byID := make(map[uint64]int, len(rows))
	for i := range rows {
		byID[rows[i].ID] = i
	}
	for i, r := range recs {
		j, ok := byID[r.LinkID]
		if !ok {
			continue // the link is gone: Pushed decides
		}
		row := rows[j]
		// The row holds this push's version and hash: the UPDATE wrote it
		// (its condition holds for an equal version). The caller holds
		// the customer's push lock, so no other push of this record
		// writes between the two statements.
		if row.CustomerID != r.CustomerID || row.ExternalID != r.ExternalID || row.LastPushedVersion != r.Version || row.LastPushedHash != r.Hash {
			continue
		}
		written[i] = true
		if row.Version == nil {
			errs[i] = fmt.Errorf("customer %d: %w", r.CustomerID, ErrNotFound)
			continue
		}
		overtaken[i] = *row.Version > r.Version
	}
	return written, overtaken, errs, nil
}
