package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Cursor returns the stored polling cursor ("" when none).
func (s *Store) Cursor(ctx context.Context, instance, resource string) (Cursor, error) {
	var c Cursor
	err := s.db.WithContext(ctx).Where("instance = ? AND resource = ?", instance, resource).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Cursor{Instance: instance, Resource: resource}, nil
	}
	return c, err
}

// SaveCursor stores a cursor after its page was safely enqueued.
func (s *Store) SaveCursor(ctx context.Context, instance, resource, value string, done bool) error {
	now := time.Now().UTC()
	c := Cursor{Instance: instance, Resource: resource, Value: value, Done: done, UpdatedAt: now}
	cols := []string{"value", "done", "updated_at"}
	if done {
		c.LastSuccessAt = &now
		cols = append(cols, "last_success_at")
	}
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "instance"}, {Name: "resource"}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).Create(&c).Error
}

// AdvanceCursor stores next as the cursor, done or not, if the stored one
// is still from (from "": no cursor, a listing from the start), in one
// statement; false when it had moved. Read, compared and then saved, a
// backfill's reset (ResetCursor) landing in between was overwritten, and
// the backfill silently became an ordinary poll.
func (s *Store) AdvanceCursor(ctx context.Context, instance, resource, from, next string, done bool) (bool, error) {
	now := time.Now().UTC()
	upd := map[string]any{"value": next, "done": done, "updated_at": now}
	if done {
		upd["last_success_at"] = &now
	}
	db := s.db.WithContext(ctx)
	r := db.Model(&Cursor{}).Where("instance = ? AND resource = ? AND value = ?", instance, resource, from).Updates(upd)
	if r.Error != nil || r.RowsAffected > 0 || from != "" {
		return r.RowsAffected > 0, r.Error
	}
	// From the start and no row (never polled, or reset): the row is
	// made; one made meanwhile wins.
	c := Cursor{Instance: instance, Resource: resource, Value: next, Done: done, UpdatedAt: now}
	if done {
		c.LastSuccessAt = &now
	}
	r = db.Clauses(clause.OnConflict{DoNothing: true}).Create(&c)
	return r.RowsAffected > 0, r.Error
}

// CursorsWithPrefix returns the cursors whose resource starts with prefix
// (letters and ":" only: it is matched with LIKE).
func (s *Store) CursorsWithPrefix(ctx context.Context, prefix string) ([]Cursor, error) {
	var cs []Cursor
	return cs, s.db.WithContext(ctx).Where("resource LIKE ?", prefix+"%").Order("instance, resource").Find(&cs).Error
}

// ResetCursor makes the next poll a full backfill.
func (s *Store) ResetCursor(ctx context.Context, instance, resource string) error {
	return s.db.WithContext(ctx).Where("instance = ? AND resource = ?", instance, resource).Delete(&Cursor{}).Error
}

// Quarantine stores a record that failed mapping or validation, unless it
// is an erased person's. The same record version failing while an earlier
// copy still waits for a replay is stored once, with the newest reason:
// polls list their boundary again, and reconciliation sweeps list
// everything, on purpose.
func (s *Store) Quarantine(ctx context.Context, q *Quarantined) error {
	// A record quarantined for an over-long id must still fit here; its
	// reason says how long the id was.
	q.ExternalID, q.EventID = truncate(q.ExternalID, MaxExternalID), truncate(q.EventID, MaxExternalID)
	db := s.db.WithContext(ctx)
	if q.ExternalID == "" {
		return db.Create(q).Error
	}
	// A late record of an erased person (a retried webhook, a poll) is
	// never kept, not even to be replayed: it would hold their data.
	if erased, err := s.Erased(ctx, q.Instance, q.Resource, q.ExternalID); err != nil || erased {
		return err
	}
	// The same record waiting already (a redelivery, a poll listing it
	// again, two of them at once) is kept once, with the newest reason:
	// the waiting key is unique, and a replayed row gives it up.
	h := sha256.New()
	for _, part := range [][]byte{[]byte(q.Instance), []byte(q.Resource), []byte(q.ExternalID), q.Payload} {
		h.Write(part)
		h.Write([]byte{0})
	}
	key := hex.EncodeToString(h.Sum(nil))
	q.WaitingKey = &key
	return db.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "waiting_key"}},
		DoUpdates: clause.AssignmentColumns([]string{"reason"})}).Create(q).Error
}

// QuarantineCount counts quarantined records not yet replayed.
func (s *Store) QuarantineCount(ctx context.Context, instance string) (int64, error) {
	var n int64
	q := s.db.WithContext(ctx).Model(&Quarantined{}).Where("replayed_at IS NULL")
	if instance != "" {
		q = q.Where("instance = ?", instance)
	}
	return n, q.Count(&n).Error
}

// Applied reports, for each of a source's records (one instance and
// resource), whether the hub received exactly this content from it last
// time (the link's last inbound hash) and the record cannot hold a value
// written back after our last push there (changedBackPossible): a poll
// that lists its boundary again drops what is unchanged with this one
// read instead of a merge transaction that locks customers.
func (s *Store) Applied(ctx context.Context, instance, resource string, ins []Inbound) ([]bool, error) {
	ids := make([]string, len(ins))
	for i, in := range ins {
		ids[i] = in.ExternalID
	}
	links := make(map[string]Link, len(ins))
	for chunk := range slices.Chunk(ids, batchSize) {
		var rows []Link
		err := s.db.WithContext(ctx).Select("external_id", "last_inbound_hash", "last_inbound_at", "last_inbound_read_at", "last_pushed_at", "last_pushed_doc").
			Where("instance = ? AND resource = ? AND external_id IN ? AND last_inbound_at IS NOT NULL", instance, resource, chunk).
			Find(&rows).Error
		if err != nil {
			return nil, err
		}
		for _, l := range rows {
			links[l.ExternalID] = l
		}
	}
	out := make([]bool, len(ins))
	for i, in := range ins {
		l, ok := links[in.ExternalID]
		out[i] = ok && l.LastInboundHash == HashDoc(in.Doc) && !changedBackPossible(in, &l)
	}
	return out, nil
}

// LinkedIDs returns a page of the external ids linked for one instance's
// resource whose link existed before t, in link id order after afterID
// (the last link id of the previous page; 0 to start). A reconciliation
// sweep that began at t compares them with what it listed. Links whose
// record the vendor deleted are left out: their absence is known.
func (s *Store) LinkedIDs(ctx context.Context, instance, resource string, before time.Time, afterID uint64, limit int) (ids []string, lastID uint64, err error) {
	var rows []Link
	err = s.db.WithContext(ctx).Select("id", "external_id").
		Where("instance = ? AND resource = ? AND created_at < ? AND id > ? AND vendor_deleted_at IS NULL", instance, resource, before, afterID).
		Order("id").Limit(limit).Find(&rows).Error
	for _, l := range rows {
		ids, lastID = append(ids, l.ExternalID), l.ID
	}
	return ids, lastID, err
}

// SeedInbound gives a link that has never received a record from its
// source the canonical view of the record as the source held it right
// after shophub wrote it (the write's read-back) as its baseline: a later
// record equal to it on a field is "unchanged at the source" there, not an
// assertion. Without it the first record after a create asserts whatever
// the vendor did to our write — Magento keeping a subscription pending
// until the customer confirms it reads back as not subscribed and would
// unsubscribe the customer in the hub. A link that has received a record
// keeps its own baseline.
func (s *Store) SeedInbound(ctx context.Context, instance, resource, externalID string, doc map[string]any) error {
	enc := encodeDoc(doc)
	return s.db.WithContext(ctx).Model(&Link{}).
		Where("instance = ? AND resource = ? AND external_id = ? AND last_inbound_at IS NULL AND (last_inbound_doc IS NULL OR last_inbound_doc = '')",
			instance, resource, externalID).
		Updates(map[string]any{"last_inbound_doc": enc.json}).Error
}
