package hub

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// customerTables are the tables whose rows belong to one customer through
// a customer_id column and hold nothing anyone else needs: an erasure
// deletes them, Export lists them. Entities with lineage and records of
// their own (tickets, orders) have their own blocks in eraseTx and Export,
// which also find the unlinked rows naming the person.
var customerTables = []struct {
	name  string
	model any
}{
	{"change_log", &Change{}},
	{"outbox", &OutboxEvent{}},
	{"customer_insights", &Insight{}},
	{"insight_changes", &InsightChange{}},
	{"carts", &Cart{}},
	{"events", &Event{}},
}

// EraseRequest says who asked for an erasure and what each touchpoint
// does with the person's records.
type EraseRequest struct {
	Kind            string // PrivacyErase (default) or PrivacyShopRedact
	Source          string
	Instance        string
	VendorRequestID string
	// Action tells for a linked record what its touchpoint does:
	// ActionDelete, ActionAnonymize, ActionNone, or "" when the instance
	// is not configured (any more). nil means ActionNone for all.
	Action func(instance, resource string) string
}

// Erasure is the outcome of an erasure in the hub.
type Erasure struct {
	Request PrivacyRequest
	// Steps are the touchpoint deletions and anonymizations still to do.
	Steps []PrivacyStep
	// Identity identifies the person in data outside the hub (the queue).
	Identity *Identity
	// Removed counts rows removed per table.
	Removed map[string]int64
}

// Erase removes everything the hub holds about one person in one
// transaction: customer, links and their baselines, change log, outbox,
// tickets (and their lineage), quarantined payloads that concern them.
// It tombstones every vendor record of theirs, so a touchpoint that still
// holds them cannot bring them back, and writes the audit row and one
// step per touchpoint that must delete or anonymize its record.
func (s *Store) Erase(ctx context.Context, customerID uint64, req EraseRequest) (*Erasure, error) {
	if req.Kind == "" {
		req.Kind = PrivacyErase
	}
	var out *Erasure
	err := retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			r := PrivacyRequest{Kind: req.Kind, Source: req.Source, Instance: req.Instance, VendorRequestID: req.VendorRequestID,
				CustomerID: customerID, Status: PrivacyPending}
			if err := tx.Create(&r).Error; err != nil {
				return err
			}
			e, err := s.eraseTx(tx, r.ID, customerID, req.Action)
			if err != nil {
				return err
			}
			e.Request = r
			if err := finishRequest(tx, &e.Request, e.Removed, e.Steps); err != nil {
				return err
			}
			out = e
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("erase customer %d: %w", customerID, err)
	}
	return out, nil
}

// finishRequest stores the counts and, when no step is left, the end.
func finishRequest(tx *gorm.DB, r *PrivacyRequest, removed map[string]int64, pending []PrivacyStep) error {
	r.Removed = mustJSON(removed)
	upd := map[string]any{"removed": r.Removed}
	if len(pending) == 0 {
		now := time.Now().UTC().Truncate(time.Microsecond)
		r.Status, r.FinishedAt = PrivacyDone, &now
		upd["status"], upd["finished_at"] = r.Status, &now
	}
	return tx.Model(&PrivacyRequest{}).Where("id = ?", r.ID).Updates(upd).Error
}

func (s *Store) eraseTx(tx *gorm.DB, requestID, customerID uint64, action func(instance, resource string) string) (*Erasure, error) {
	var c Customer
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", customerID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("customer %d: %w", customerID, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	e := &Erasure{Identity: newIdentity(customerID, s.privacy.Region), Removed: map[string]int64{}}
	id := e.Identity
	if c.Email != nil {
		id.addEmail(*c.Email)
	}
	id.addPhone(c.Phone)
	id.collectJSON("", c.Data)

	var links []Link
	if err := tx.Where("customer_id = ?", customerID).Order("id").Find(&links).Error; err != nil {
		return nil, err
	}
	var changes []Change
	if err := tx.Select("field", "old_value", "new_value").Where("customer_id = ?", customerID).Find(&changes).Error; err != nil {
		return nil, err
	}
	for _, ch := range changes {
		id.collectJSON(ch.Field, ch.OldValue)
		id.collectJSON(ch.Field, ch.NewValue)
	}
	var tombs []Tombstone
	for _, l := range links {
		id.addRecord(RecordKey{l.Instance, l.Resource, l.ExternalID})
		id.collectJSON("", l.LastInboundDoc)
		id.collectJSON("", l.LastPushedDoc)
		tombs = append(tombs, Tombstone{Hash: s.tombstoneKey(l.Instance, l.Resource, l.ExternalID), RequestID: requestID})
	}
	id.sort()

	// Steps: one per linked record; only those with something to do keep
	// the vendor id.
	for _, l := range links {
		act := ActionNone
		if action != nil {
			act = action(l.Instance, l.Resource)
		}
		st := PrivacyStep{RequestID: requestID, Instance: l.Instance, Resource: l.Resource, Action: act, Status: PrivacyPending}
		switch act {
		case ActionDelete, ActionAnonymize:
			st.ExternalID = l.ExternalID
			st.Fields = mustJSON(heldFields(c.Data, l))
			st.Token = randomToken()
		case "":
			st.Action, st.Status, st.Error = ActionNone, PrivacySkipped, "instance not configured"
		case ActionOutOfScope:
			st.Action, st.Status, st.Error = ActionNone, PrivacySkipped, "outside the request's scope (hub.vendor_erasure_scope)"
		default:
			st.Action, st.Status = ActionNone, PrivacySkipped
		}
		if err := tx.Create(&st).Error; err != nil {
			return nil, err
		}
		if st.Status == PrivacyPending {
			e.Steps = append(e.Steps, st)
		}
	}

	// Tickets about the person: linked ones, and unlinked ones that name
	// one of their emails.
	ticketIDs, err := personTickets(tx, customerID, id)
	if err != nil {
		return nil, err
	}
	if len(ticketIDs) > 0 {
		var ts []Ticket
		if err := tx.Select("id", "instance", "external_id").Where("id IN ?", ticketIDs).Find(&ts).Error; err != nil {
			return nil, err
		}
		for _, t := range ts {
			tombs = append(tombs, Tombstone{Hash: s.tombstoneKey(t.Instance, "ticket", t.ExternalID), RequestID: requestID})
		}
		res := tx.Where("ticket_id IN ?", ticketIDs).Delete(&TicketChange{})
		if res.Error != nil {
			return nil, res.Error
		}
		e.Removed["ticket_change_log"] = res.RowsAffected
		res = tx.Where("id IN ?", ticketIDs).Delete(&Ticket{})
		if res.Error != nil {
			return nil, res.Error
		}
		e.Removed["tickets"] = res.RowsAffected
	}

	// Orders they placed: linked ones, and unlinked ones under one of
	// their emails (indexed), with their lineage.
	orderIDs, err := personOrders(tx, customerID, id)
	if err != nil {
		return nil, err
	}
	if len(orderIDs) > 0 {
		var ords []Order
		if err := tx.Select("id", "instance", "external_id").Where("id IN ?", orderIDs).Find(&ords).Error; err != nil {
			return nil, err
		}
		for _, o := range ords {
			tombs = append(tombs, Tombstone{Hash: s.tombstoneKey(o.Instance, "order", o.ExternalID), RequestID: requestID})
		}
		res := tx.Where("order_id IN ?", orderIDs).Delete(&OrderChange{})
		if res.Error != nil {
			return nil, res.Error
		}
		e.Removed["order_change_log"] = res.RowsAffected
		if res = tx.Where("id IN ?", orderIDs).Delete(&Order{}); res.Error != nil {
			return nil, res.Error
		}
		e.Removed["orders"] = res.RowsAffected
	}

	// Carts they left: linked ones, and guest carts under one of their
	// emails (indexed), tombstoned as orders are, so a late checkout event
	// of one is not stored again.
	cartIDs, err := personCarts(tx, customerID, id)
	if err != nil {
		return nil, err
	}
	if len(cartIDs) > 0 {
		var cs []Cart
		if err := tx.Select("id", "instance", "external_id").Where("id IN ?", cartIDs).Find(&cs).Error; err != nil {
			return nil, err
		}
		for _, c := range cs {
			tombs = append(tombs, Tombstone{Hash: s.tombstoneKey(c.Instance, "cart", c.ExternalID), RequestID: requestID})
		}
		res := tx.Where("id IN ?", cartIDs).Delete(&Cart{})
		if res.Error != nil {
			return nil, res.Error
		}
		e.Removed["carts"] = res.RowsAffected
	}

	// Quarantined payloads: the records of their links, and any payload
	// naming one of their emails or phones.
	qids, err := matchQuarantine(tx, id)
	if err != nil {
		return nil, err
	}
	if len(qids) > 0 {
		res := tx.Where("id IN ?", qids).Delete(&Quarantined{})
		if res.Error != nil {
			return nil, res.Error
		}
		e.Removed["quarantine"] = res.RowsAffected
	}

	// The deliveries of the person's events first: they hang on the
	// events, not the customer, and a pending one left behind would be
	// relayed for an event that is gone.
	res := tx.Where("event_id IN (?)", tx.Model(&Event{}).Select("id").Where("customer_id = ?", customerID)).Delete(&EventDelivery{})
	if res.Error != nil {
		return nil, fmt.Errorf("event deliveries: %w", res.Error)
	}
	e.Removed["event_deliveries"] = res.RowsAffected
	for _, t := range customerTables {
		res := tx.Where("customer_id = ?", customerID).Delete(t.model)
		if res.Error != nil {
			return nil, fmt.Errorf("%s: %w", t.name, res.Error)
		}
		e.Removed[t.name] += res.RowsAffected
	}
	res = tx.Where("customer_id = ?", customerID).Delete(&Link{})
	if res.Error != nil {
		return nil, res.Error
	}
	e.Removed["links"] = res.RowsAffected
	if err := tx.Where("id = ?", customerID).Delete(&Customer{}).Error; err != nil {
		return nil, err
	}
	e.Removed["customers"] = 1
	if len(tombs) > 0 {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(tombs, 500).Error; err != nil {
			return nil, err
		}
	}
	return e, nil
}

// heldFields are the canonical fields a touchpoint's record may hold: what
// the hub knows and what the record sent or was sent. Names only.
func heldFields(data string, l Link) []string {
	seen := map[string]bool{}
	for _, doc := range []string{data, l.LastInboundDoc, l.LastPushedDoc} {
		m := map[string]any{}
		if doc == "" || json.Unmarshal([]byte(doc), &m) != nil {
			continue
		}
		for k := range m {
			if !strings.HasPrefix(k, "_") { // the hub's knowledge pushed along (_hub) is no field of the record
				seen[k] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// personTickets finds the tickets about a person. Unlinked tickets are
// read in pages and matched in Go (see Identity.Mentions).
func personTickets(tx *gorm.DB, customerID uint64, id *Identity) ([]uint64, error) {
	var ids []uint64
	if err := tx.Model(&Ticket{}).Where("customer_id = ?", customerID).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	if len(id.Emails) == 0 {
		return ids, nil
	}
	var after uint64
	for {
		var rows []Ticket
		if err := tx.Select("id", "data").Where("customer_id IS NULL AND id > ?", after).Order("id").Limit(500).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, t := range rows {
			after = t.ID
			if id.Mentions([]byte(t.Data)) {
				ids = append(ids, t.ID)
			}
		}
		if len(rows) < 500 {
			return ids, nil
		}
	}
}

// personOrders finds the orders a person placed: linked to them, or
// waiting for adoption under one of their emails.
func personOrders(tx *gorm.DB, customerID uint64, id *Identity) ([]uint64, error) {
	return personRows(tx, &Order{}, customerID, id)
}

// personCarts finds the carts a person left: linked to them, or guest
// carts under one of their emails.
func personCarts(tx *gorm.DB, customerID uint64, id *Identity) ([]uint64, error) {
	return personRows(tx, &Cart{}, customerID, id)
}

// personRows finds the rows of model (customer_id, customer_email) that
// are the person's: linked to them, or unlinked under one of their emails.
func personRows(tx *gorm.DB, model any, customerID uint64, id *Identity) ([]uint64, error) {
	var ids []uint64
	if err := tx.Model(model).Where("customer_id = ?", customerID).Pluck("id", &ids).Error; err != nil {
		return nil, err
	}
	if len(id.Emails) > 0 {
		var more []uint64
		if err := tx.Model(model).Where("customer_id IS NULL AND customer_email IN ?", id.Emails).Pluck("id", &more).Error; err != nil {
			return nil, err
		}
		ids = append(ids, more...)
	}
	return ids, nil
}

// matchQuarantine finds the quarantined records of a person. Payloads are
// raw vendor bytes, so no index can answer "does it name this email": the
// table is read in pages and matched in Go. Retention keeps it small.
func matchQuarantine(tx *gorm.DB, id *Identity) ([]uint64, error) {
	var out []uint64
	var after uint64
	for {
		var rows []Quarantined
		if err := tx.Select("id", "instance", "resource", "external_id", "payload").Where("id > ?", after).
			Order("id").Limit(200).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, q := range rows {
			after = q.ID
			if id.HasRecord(q.Instance, q.Resource, q.ExternalID) || id.Mentions(q.Payload) {
				out = append(out, q.ID)
			}
		}
		if len(rows) < 200 {
			return out, nil
		}
	}
}

// Erased reports whether a vendor record belongs to an erased person.
func (s *Store) Erased(ctx context.Context, instance, resource, externalID string) (bool, error) {
	r := RecordKey{instance, resource, externalID}
	m, err := s.erasedRecordKeys(s.db.WithContext(ctx), []RecordKey{r})
	return m[r], err
}

// PrivacyRequest loads an audit row and its steps.
func (s *Store) PrivacyRequest(ctx context.Context, id uint64) (*PrivacyRequest, []PrivacyStep, error) {
	var r PrivacyRequest
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil, fmt.Errorf("privacy request %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, nil, err
	}
	var steps []PrivacyStep
	if err := s.db.WithContext(ctx).Where("request_id = ?", id).Order("id").Find(&steps).Error; err != nil {
		return nil, nil, err
	}
	return &r, steps, nil
}

// RemovedCounts decodes a request's per-table counts.
func (r *PrivacyRequest) RemovedCounts() map[string]int64 {
	m := map[string]int64{}
	if r.Removed != "" {
		_ = json.Unmarshal([]byte(r.Removed), &m)
	}
	return m
}

// LogPrivacyRequest writes an audit row that needs no steps (an export,
// a request matching nobody).
func (s *Store) LogPrivacyRequest(ctx context.Context, r *PrivacyRequest) error {
	if r.Status == "" {
		r.Status = PrivacyDone
	}
	if r.Status != PrivacyPending && r.FinishedAt == nil {
		now := time.Now().UTC().Truncate(time.Microsecond)
		r.FinishedAt = &now
	}
	return s.db.WithContext(ctx).Create(r).Error
}

// NoteRemoved adds rows removed outside the hub (queued tasks) to a
// request's counts.
func (s *Store) NoteRemoved(ctx context.Context, requestID uint64, what string, n int64) error {
	return retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var r PrivacyRequest
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", requestID).Take(&r).Error; err != nil {
				return err
			}
			m := r.RemovedCounts()
			m[what] += n
			return tx.Model(&PrivacyRequest{}).Where("id = ?", requestID).Update("removed", mustJSON(m)).Error
		})
	})
}

// PrivacyStep loads one step.
func (s *Store) PrivacyStep(ctx context.Context, id uint64) (*PrivacyStep, error) {
	var st PrivacyStep
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&st).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, fmt.Errorf("privacy step %d: %w", id, ErrNotFound)
	}
	return &st, err
}

// FinishPrivacyStep records a touchpoint's outcome. Done and skipped
// forget the vendor id; failed keeps it, so a replay of the dead letter
// can still reach the record. The request ends with its last step.
func (s *Store) FinishPrivacyStep(ctx context.Context, id uint64, status, errMsg string) error {
	return s.finishPrivacyStep(ctx, id, status, "", errMsg)
}

// CompletePrivacyStep records that a touchpoint did its part, with what it
// really did (outcome: deleted, anonymized, deactivated, gone): the audit
// says what happened, not what was asked.
func (s *Store) CompletePrivacyStep(ctx context.Context, id uint64, outcome string) error {
	return s.finishPrivacyStep(ctx, id, PrivacyDone, outcome, "")
}

func (s *Store) finishPrivacyStep(ctx context.Context, id uint64, status, outcome, errMsg string) error {
	if len(errMsg) > 500 {
		errMsg = errMsg[:500]
	}
	return retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var st PrivacyStep
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&st).Error; err != nil {
				return err
			}
			// Steps of one request finish one at a time: two finishing at
			// once would each count the other as still pending (READ
			// COMMITTED), and nobody would finish the request.
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id").Where("id = ?", st.RequestID).Take(&PrivacyRequest{}).Error; err != nil {
				return err
			}
			now := time.Now().UTC().Truncate(time.Microsecond)
			upd := map[string]any{"status": status, "outcome": outcome, "error": errMsg}
			if status != PrivacyFailed {
				upd["external_id"], upd["fields"], upd["done_at"] = "", "", &now
			}
			if err := tx.Model(&PrivacyStep{}).Where("id = ?", id).Updates(upd).Error; err != nil {
				return err
			}
			var open, failed int64
			if err := tx.Model(&PrivacyStep{}).Where("request_id = ? AND status = ?", st.RequestID, PrivacyPending).Count(&open).Error; err != nil {
				return err
			}
			if open > 0 {
				return nil
			}
			if err := tx.Model(&PrivacyStep{}).Where("request_id = ? AND status = ?", st.RequestID, PrivacyFailed).Count(&failed).Error; err != nil {
				return err
			}
			rs := PrivacyDone
			if failed > 0 {
				rs = PrivacyFailed
			}
			return tx.Model(&PrivacyRequest{}).Where("id = ?", st.RequestID).
				Updates(map[string]any{"status": rs, "finished_at": &now}).Error
		})
	})
}

// PendingPrivacySteps lists steps still pending and older than minAge,
// after id after: their tasks may have been lost between commit and
// enqueue.
func (s *Store) PendingPrivacySteps(ctx context.Context, minAge time.Duration, after uint64, limit int) ([]PrivacyStep, error) {
	var out []PrivacyStep
	err := s.db.WithContext(ctx).Where("status = ? AND created_at < ? AND id > ?", PrivacyPending, time.Now().UTC().Add(-minAge), after).
		Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// AddErasureStep handles a push that created a vendor record for a
// customer erased while the push ran: the record gets a tombstone and a
// step of the customer's erasure. ok is false when the customer was never
// erased (it is simply unknown).
func (s *Store) AddErasureStep(ctx context.Context, customerID uint64, instance, resource, externalID, action string, fields []string) (st *PrivacyStep, ok bool, err error) {
	err = retry(ctx, func() error {
		return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			var r PrivacyRequest
			err := tx.Where("customer_id = ? AND kind IN ?", customerID, []string{PrivacyErase, PrivacyShopRedact}).Order("id desc").Take(&r).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				ok = false
				return nil
			}
			if err != nil {
				return err
			}
			ok = true
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Tombstone{Hash: s.tombstoneKey(instance, resource, externalID), RequestID: r.ID}).Error; err != nil {
				return err
			}
			st = &PrivacyStep{RequestID: r.ID, Instance: instance, Resource: resource, Action: action, Status: PrivacyPending,
				ExternalID: externalID, Fields: mustJSON(fields), Token: randomToken()}
			if action == ActionNone || action == "" {
				st.Action, st.Status, st.ExternalID, st.Fields = ActionNone, PrivacySkipped, "", ""
			}
			if err := tx.Create(st).Error; err != nil {
				return err
			}
			if st.Status == PrivacyPending {
				return tx.Model(&PrivacyRequest{}).Where("id = ?", r.ID).Updates(map[string]any{"status": PrivacyPending, "finished_at": nil}).Error
			}
			return nil
		})
	})
	return st, ok, err
}

// erasedRecords returns which records of a batch are tombstoned.
func (s *Store) erasedRecords(tx *gorm.DB, ins []Inbound) (map[linkKey]bool, error) {
	recs := make([]RecordKey, len(ins))
	for i, in := range ins {
		recs[i] = RecordKey{in.Instance, in.Resource, in.ExternalID}
	}
	hit, err := s.erasedRecordKeys(tx, recs)
	if err != nil || len(hit) == 0 {
		return nil, err
	}
	out := make(map[linkKey]bool, len(hit))
	for r := range hit {
		out[linkKey{r.Instance, r.Resource, r.ExternalID}] = true
	}
	return out, nil
}

// CustomerByRecord finds the customer linked to a vendor record.
func (s *Store) CustomerByRecord(ctx context.Context, instance, resource, externalID string) (uint64, error) {
	var l Link
	err := s.db.WithContext(ctx).Select("customer_id").Where("instance = ? AND resource = ? AND external_id = ?", instance, resource, externalID).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, fmt.Errorf("%s %s record: %w", instance, resource, ErrNotFound)
	}
	return l.CustomerID, err
}
