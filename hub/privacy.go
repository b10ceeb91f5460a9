package hub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Data-protection requests (GDPR art. 15 and 17): the audit rows of
// erasures and exports, the per-touchpoint steps of an erasure, and the
// tombstones that keep an erased person from coming back.
//
// What these tables hold, and why it is not personal data:
//   - PrivacyRequest names the hub's own customer id (a surrogate number
//     that points at nothing once the customer row is gone), who asked and
//     how many rows of each table went: no email, name, phone or vendor id.
//   - PrivacyStep holds the vendor record id only while the touchpoint has
//     not confirmed the deletion; the id is what the worker must call the
//     vendor with, and it is cleared the moment the vendor confirmed. It is
//     kept in the database rather than only in the queue so that a crash
//     between commit and enqueue loses no deletion.
//   - Tombstone holds an HMAC-SHA256 of (instance, resource, vendor id)
//     keyed with the server's tombstone secret (hub.tombstone_secret):
//     enough to recognise a record of the erased person when a touchpoint
//     that still holds them (erasure: none, a deletion not yet confirmed,
//     an anonymized record's echo, a late poll) sends it again, without
//     keeping the id itself. Vendor ids are small numbers, so an unkeyed
//     hash could be reversed by hashing them all; without the secret the
//     HMAC cannot. Tombstones written before the key (bare SHA-256) are
//     still honoured and rewritten keyed the first time their record
//     comes back.

// Privacy request kinds.
const (
	PrivacyErase      = "erase"
	PrivacyExport     = "export"
	PrivacyShopRedact = "shop_redact"
)

// Privacy request and step statuses.
const (
	PrivacyPending = "pending"
	PrivacyDone    = "done"
	PrivacyFailed  = "failed"
	// PrivacySkipped: nothing to do at that touchpoint (erasure: none, or
	// the instance is not configured any more).
	PrivacySkipped = "skipped"
	// PrivacyNotFound: the request named nobody the hub knows.
	PrivacyNotFound = "not_found"
	// PrivacyRejected: the request was refused and nothing was done
	// (PrivacyRequest.Reason says why: a vendor body not of its topic's
	// shape, another shop).
	PrivacyRejected = "rejected"
)

// Erasure actions per touchpoint (config: connectors[].erasure).
const (
	ActionDelete    = "delete"
	ActionAnonymize = "anonymize"
	ActionNone      = "none"
	// ActionOutOfScope: the touchpoint is outside the request's scope (a
	// vendor's erasure reaches only the touchpoint that asked, unless
	// hub.vendor_erasure_scope is all): skipped, and the audit says why.
	ActionOutOfScope = "out_of_scope"
)

// PrivacyRequest is the audit row of one erasure, export or shop redaction.
type PrivacyRequest struct {
	ID   uint64 `gorm:"primaryKey" json:"id"`
	Kind string `gorm:"type:varchar(16);not null" json:"kind"`
	// Source says who asked: "api", "cli", "shopify customers/redact", ...
	Source string `gorm:"type:varchar(64);not null" json:"source"`
	// Instance is the touchpoint the request came through ("" for api/cli).
	Instance string `gorm:"type:varchar(64)" json:"instance,omitempty"`
	// VendorRequestID is the vendor's id of the request (Shopify's
	// data_request.id), so a merchant can match the two.
	VendorRequestID string `gorm:"type:varchar(64)" json:"vendor_request_id,omitempty"`
	// CustomerID is the hub's surrogate id of the person; 0 when the
	// request matched nobody.
	CustomerID uint64 `gorm:"index" json:"customer_id"`
	Status     string `gorm:"type:varchar(16);not null" json:"status"`
	// Reason says why a request was rejected or matched nobody.
	Reason string `gorm:"type:varchar(64)" json:"reason,omitempty"`
	// Removed counts rows removed per table (JSON object).
	Removed    string     `gorm:"type:text" json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// TableName names the audit table.
func (PrivacyRequest) TableName() string { return "privacy_requests" }

// PrivacyStep is what one touchpoint must do for an erasure.
type PrivacyStep struct {
	ID        uint64 `gorm:"primaryKey" json:"id"`
	RequestID uint64 `gorm:"not null;index" json:"-"`
	Instance  string `gorm:"type:varchar(64);not null" json:"instance"`
	Resource  string `gorm:"type:varchar(32);not null" json:"resource"`
	Action    string `gorm:"type:varchar(16);not null" json:"action"`
	// ExternalID is the vendor record to delete or anonymize; "" once the
	// vendor confirmed (see the package comment above).
	ExternalID string `gorm:"type:varchar(255)" json:"-"`
	// Fields lists the canonical fields the record held (names only, JSON
	// array): what an anonymization must overwrite.
	Fields string `gorm:"type:text" json:"-"`
	// Token makes the anonymized email unique per record; random, so it
	// says nothing about the person.
	Token  string `gorm:"type:varchar(32)" json:"-"`
	Status string `gorm:"type:varchar(16);not null" json:"status"`
	// Outcome is what the touchpoint really did with the record
	// (connectors.ErasedDeleted, ErasedAnonymized, ErasedDeactivated,
	// ErasedGone); "" while pending, when skipped or failed.
	Outcome   string     `gorm:"type:varchar(16)" json:"outcome,omitempty"`
	Error     string     `gorm:"type:varchar(512)" json:"error,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	DoneAt    *time.Time `json:"done_at,omitempty"`
}

// TableName names the step table.
func (PrivacyStep) TableName() string { return "privacy_steps" }

// Tombstone marks a vendor record of an erased person: records arriving
// with that key are dropped instead of merged.
type Tombstone struct {
	Hash      string `gorm:"primaryKey;type:varchar(64)"`
	RequestID uint64
	CreatedAt time.Time
}

// TableName names the tombstone table.
func (Tombstone) TableName() string { return "erasure_tombstones" }

// DevTombstoneSecret keys tombstones when no secret is configured
// (shophub dev, tests); `shophub check` warns about it, since anyone who
// knows it can test vendor ids against the tombstones again.
const DevTombstoneSecret = "shophub-dev-tombstone-secret"

// PrivacyOptions configure erasure and export.
type PrivacyOptions struct {
	// TombstoneSecret keys the tombstones' HMAC; "" means
	// DevTombstoneSecret.
	TombstoneSecret string
	// Region reads phone numbers written without a country code when a
	// request's phones are compared (ISO 3166-1 alpha-2).
	Region string
}

// SetPrivacyOptions configures erasure and export; call it once, before
// the store is used.
func (s *Store) SetPrivacyOptions(o PrivacyOptions) { s.privacy = o }

// tombstoneKey is the tombstone of one vendor record.
func (s *Store) tombstoneKey(instance, resource, externalID string) string {
	secret := s.privacy.TombstoneSecret
	if secret == "" {
		secret = DevTombstoneSecret
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(instance + "\x00" + resource + "\x00" + externalID))
	return hex.EncodeToString(m.Sum(nil))
}

// legacyTombstoneKey is how tombstones were keyed before the secret: read
// only, to honour them (see erasedRecordKeys).
func legacyTombstoneKey(instance, resource, externalID string) string {
	sum := sha256.Sum256([]byte(instance + "\x00" + resource + "\x00" + externalID))
	return hex.EncodeToString(sum[:])
}

// erasedRecordKeys returns which of the records are tombstoned. A record
// found under its legacy key has the tombstone rewritten under its keyed
// one, in the caller's transaction.
func (s *Store) erasedRecordKeys(tx *gorm.DB, recs []RecordKey) (map[RecordKey]bool, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	type keys struct{ keyed, legacy string }
	byHash := make(map[string]RecordKey, 2*len(recs))
	ks := make(map[RecordKey]keys, len(recs))
	all := make([]string, 0, 2*len(recs))
	for _, r := range recs {
		if _, dup := ks[r]; dup {
			continue
		}
		k := keys{s.tombstoneKey(r.Instance, r.Resource, r.ExternalID), legacyTombstoneKey(r.Instance, r.Resource, r.ExternalID)}
		ks[r] = k
		byHash[k.keyed], byHash[k.legacy] = r, r
		all = append(all, k.keyed, k.legacy)
	}
	var hit []Tombstone
	if err := tx.Where("hash IN ?", all).Find(&hit).Error; err != nil {
		return nil, err
	}
	if len(hit) == 0 {
		return nil, nil
	}
	out := make(map[RecordKey]bool, len(hit))
	for _, t := range hit {
		r := byHash[t.Hash]
		out[r] = true
		if k := ks[r]; t.Hash == k.legacy {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Tombstone{Hash: k.keyed, RequestID: t.RequestID}).Error; err != nil {
				return nil, err
			}
			if err := tx.Where("hash = ?", k.legacy).Delete(&Tombstone{}).Error; err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// PrivacyCounts is the number of audit rows per kind and status, for
// `shophub status`.
func (s *Store) PrivacyCounts(ctx context.Context) (map[string]map[string]int64, error) {
	var rows []struct {
		Kind, Status string
		N            int64
	}
	if err := s.db.WithContext(ctx).Model(&PrivacyRequest{}).Select("kind, status, COUNT(*) AS n").Group("kind, status").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]map[string]int64{}
	for _, r := range rows {
		if out[r.Kind] == nil {
			out[r.Kind] = map[string]int64{}
		}
		out[r.Kind][r.Status] = r.N
	}
	return out, nil
}
