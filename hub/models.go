// Package hub is the customer hub: the canonical record of every person the
// touchpoints know, where identities are resolved and fields merged with
// provenance, and where every effective change leaves a change-log row and
// an outbox event in the same transaction.
package hub

import "time"

// Customer is one person. Data holds the canonical doc (JSON); the columns
// beside it are copies of the fields searched by.
type Customer struct {
	ID uint64 `gorm:"primaryKey"`
	// Email is normalized in Go (trimmed, lower-case) before it gets here,
	// so SQLite and MariaDB agree on identity; NULL when no system knows one.
	Email     *string `gorm:"type:varchar(320);uniqueIndex:ux_customers_email"`
	FirstName string  `gorm:"type:varchar(255);index:ix_customers_name,priority:2;index:ix_customers_first"`
	LastName  string  `gorm:"type:varchar(255);index:ix_customers_name,priority:1"`
	Phone     string  `gorm:"type:varchar(32);index"`
	// CustomerNumber is the ERP's customer number, a match key
	// (hub.match_keys: customer_number).
	CustomerNumber string `gorm:"type:varchar(64);index"`
	// Data is the canonical doc as JSON.
	Data string `gorm:"type:text"`
	// Provenance maps each path to the instance and source time that set
	// it, in the compact form of hub/provenance.go (rows written before it
	// hold JSON, read as well).
	Provenance string `gorm:"type:text"`
	// Version grows by one with every effective change, never otherwise.
	Version   int64 `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Link ties a customer to its record in one connector instance.
type Link struct {
	ID         uint64 `gorm:"primaryKey"`
	CustomerID uint64 `gorm:"not null;index"`
	Instance   string `gorm:"type:varchar(64);not null;uniqueIndex:ux_links_ext,priority:1"`
	Resource   string `gorm:"type:varchar(32);not null;uniqueIndex:ux_links_ext,priority:2"`
	ExternalID string `gorm:"type:varchar(255);not null;uniqueIndex:ux_links_ext,priority:3;index:ix_links_external"`
	// LastInboundHash fingerprints the last canonical view received from
	// this record, so a re-delivered identical record is a no-op.
	LastInboundHash string `gorm:"type:varchar(64)"`
	LastInboundAt   *time.Time
	// LastInboundReadAt is when shophub read that record from the vendor
	// (Inbound.ReadAt), nil for a record a webhook carried: it holds the
	// vendor's state of then or later, whatever LastInboundAt, the
	// vendor's stamp, says (changedBack).
	LastInboundReadAt *time.Time
	// LastPushedHash fingerprints the last payload pushed, so an unchanged
	// render is never sent twice.
	LastPushedHash    string `gorm:"type:varchar(64)"`
	LastPushedVersion int64
	LastPushedAt      *time.Time
	// LastPushedDoc holds the canonical values of the last push, limited to
	// the fields this source maps back in. A record from the source carrying
	// them is our own write coming back, even when it arrives after newer
	// edits and with a newer timestamp.
	LastPushedDoc string `gorm:"type:text"`
	// LastInboundDoc is the canonical view of the newest record this source
	// sent: the baseline a later record is compared with, so that only
	// fields the source really changed count as its assertions.
	LastInboundDoc string `gorm:"type:text"`
	// VendorDeletedAt is when the vendor deleted (or archived) the record,
	// VendorDeletedBy how the hub learnt it ("webhook customers/delete",
	// "poll: archived", "push: not found at the vendor"). The link stays,
	// so that no push re-creates what someone deleted (MarkDeleted).
	VendorDeletedAt *time.Time
	VendorDeletedBy string `gorm:"type:varchar(191)"`
	// Unverified: the record's latest version was unverified (a guest
	// account, an unconfirmed email). Nothing is pushed to it: its email
	// may be someone else's, and the hub's person must never be written
	// into a stranger's account. It clears when the record comes verified.
	Unverified bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Change is one row of lineage: who changed which field, when, from where.
type Change struct {
	ID         uint64 `gorm:"primaryKey"`
	CustomerID uint64 `gorm:"not null;index:ix_changes_customer,priority:1"`
	Version    int64  `gorm:"index:ix_changes_customer,priority:2"`
	Field      string `gorm:"type:varchar(64);not null"`
	OldValue   string `gorm:"type:text"`
	NewValue   string `gorm:"type:text"`
	Instance   string `gorm:"type:varchar(64)"`
	EventID    string `gorm:"type:varchar(255)"`
	SourceAt   time.Time
	// Rejected explains a change that was not applied (e.g. "owned by
	// erp"): the lineage shows attempts a policy refused, not only wins.
	Rejected  string `gorm:"type:varchar(191)"`
	CreatedAt time.Time
}

// CreatedField is the Field of the one change row written when a customer
// is created; its NewValue holds every initial field.
const CreatedField = "*"

// TableName keeps the lineage table's name explicit.
func (Change) TableName() string { return "change_log" }

// OutboxEvent records that a customer changed and must be fanned out. It is
// written in the merge transaction, so a crash between commit and enqueue
// loses nothing: the relay re-sends undispatched events.
type OutboxEvent struct {
	ID         uint64 `gorm:"primaryKey"`
	CustomerID uint64 `gorm:"not null;index"`
	Version    int64
	Resource   string `gorm:"type:varchar(32)"`
	Origin     string `gorm:"type:varchar(64)"`
	// Fields lists changed canonical fields (JSON array).
	Fields string `gorm:"type:text"`
	// OriginStale is set when the origin sent values the hub rejected (older
	// or not theirs to change): the origin then gets the hub's values too.
	OriginStale bool
	// Key identifies the row to its writer: ids of multi-row inserts are
	// read back by it.
	Key          string     `gorm:"type:varchar(32);uniqueIndex"`
	CreatedAt    time.Time  `gorm:"index:ix_outbox_pending,priority:2"`
	DispatchedAt *time.Time `gorm:"index:ix_outbox_pending,priority:1"`
}

// TableName names the outbox table.
func (OutboxEvent) TableName() string { return "outbox" }

// Cursor is a connector instance's polling position for one resource.
type Cursor struct {
	Instance      string `gorm:"primaryKey;type:varchar(64)"`
	Resource      string `gorm:"primaryKey;type:varchar(32)"`
	Value         string `gorm:"type:text"`
	Done          bool
	LastSuccessAt *time.Time
	UpdatedAt     time.Time
}

// TableName names the cursor table.
func (Cursor) TableName() string { return "sync_cursors" }

// Quarantined is a record that could not be mapped or validated, kept with
// its raw payload and the reason until a fixed mapping replays it.
type Quarantined struct {
	ID         uint64 `gorm:"primaryKey"`
	Instance   string `gorm:"type:varchar(64);index"`
	Resource   string `gorm:"type:varchar(32)"`
	ExternalID string `gorm:"type:varchar(255)"`
	EventID    string `gorm:"type:varchar(255)"`
	SourceAt   time.Time
	Payload    []byte    `gorm:"type:mediumblob"`
	Reason     string    `gorm:"type:text"`
	CreatedAt  time.Time `gorm:"index"`
	ReplayedAt *time.Time
	// WaitingKey is a hash of the record (instance, resource, external
	// id, payload) while it waits for a replay, nil once replayed: one
	// row per waiting record.
	WaitingKey *string `gorm:"type:varchar(64);uniqueIndex:ux_quarantine_waiting"`
}

// TableName names the quarantine table.
func (Quarantined) TableName() string { return "quarantine" }

func allModels() []any {
	return []any{&Customer{}, &Link{}, &Change{}, &OutboxEvent{}, &Cursor{}, &Quarantined{}, &Ticket{}, &TicketChange{},
		&PrivacyRequest{}, &PrivacyStep{}, &Tombstone{}, &Order{}, &OrderChange{}, &Waiting{}, &AppShop{},
		&Insight{}, &InsightChange{}, &InsightStat{},
		&Cart{}, &Event{}, &EventDelivery{}}
}
