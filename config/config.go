// Package config holds shophub's YAML configuration: the types, ${ENV}
// expansion, defaults, and validation whose errors name file:line so an
// operator can jump straight to the mistake.
package config

import (
	"time"
)

// Config is one shophub configuration file.
type Config struct {
	Server     Server      `yaml:"server"`
	Database   Database    `yaml:"database"`
	Redis      Redis       `yaml:"redis"`
	Worker     Worker      `yaml:"worker"`
	Hub        Hub         `yaml:"hub"`
	Insights   Insights    `yaml:"insights"`
	Events     Events      `yaml:"events"`
	Connectors []Connector `yaml:"connectors"`
	// File is the path the config was loaded from; errors found later
	// (an unknown connector type, bad settings) name it with Connector.Line.
	File string `yaml:"-"`

	// src remembers where each value came from; nil for configs built in code.
	src *source
}

// Server is the HTTP side: webhooks and the admin API.
type Server struct {
	Listen     string `yaml:"listen"`
	AdminToken string `yaml:"admin_token"`
	// MaxBodyBytes caps a webhook body. Most deliveries are small, but
	// Shopware sends one entity-written delivery per write, and an import
	// of 10,000 customers makes one of about 1.6 MB: refused, Shopware
	// retries it and deactivates the webhook after ten failures.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// PublicURL is how vendors reach this server, used only to print
	// webhook URLs; stored without a trailing slash.
	PublicURL string `yaml:"public_url"`
	// AdminListen, when set, moves metrics, readiness detail, the queue
	// dashboard and the admin API to their own listener, so they can stay
	// off the published port; Listen then answers only webhooks, the
	// Shopware app routes, /healthz and a bare /readyz. "" keeps one
	// listener for everything.
	AdminListen string `yaml:"admin_listen"`
	// TrustedProxies are the addresses or CIDRs whose X-Forwarded-For is
	// believed for the client address that is logged, and whose
	// X-Forwarded-Proto/-Host for the URL the Shopware app registration
	// answers with and the console cookie's Secure flag; none by default,
	// so a caller cannot forge them.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// DashboardActions lets the queue dashboard run, delete and archive
	// tasks; false (default) keeps it read-only.
	DashboardActions bool `yaml:"dashboard_actions"`
}

// Database is the hub's store.
type Database struct {
	Driver string `yaml:"driver"` // DriverMySQL or DriverSQLite
	DSN    string `yaml:"dsn"`
	// MaxOpenConns caps this process's connections to MySQL. Every
	// process (serve, each worker, migrate) has its own pool, so their sum
	// must stay under the server's max_connections (151 by default).
	// SQLite always uses one.
	MaxOpenConns int `yaml:"max_open_conns"`
	// MaxIdleConns is how many of them stay open when idle; 0 (default)
	// = MaxOpenConns.
	MaxIdleConns int `yaml:"max_idle_conns"`
}

func (d *Database) defaultIdle() {
	if d.MaxIdleConns == 0 {
		d.MaxIdleConns = d.MaxOpenConns
	}
}

// Database drivers.
const (
	DriverMySQL  = "mysql"
	DriverSQLite = "sqlite"
)

// Redis is the queue's backing store.
type Redis struct {
	Addr     string `yaml:"addr"`
	Password string `yaml:"password"`
	DB       int    `yaml:"db"`
}

// Worker tunes the asynq workers and the outbox relay.
type Worker struct {
	Concurrency       int      `yaml:"concurrency"`
	TaskCheckInterval Duration `yaml:"task_check_interval"`
	MaxRetry          int      `yaml:"max_retry"`
	ShutdownTimeout   Duration `yaml:"shutdown_timeout"`
	// DedupeTTL is how long webhook event ids are remembered.
	DedupeTTL      Duration `yaml:"dedupe_ttl"`
	OutboxInterval Duration `yaml:"outbox_interval"`
	// Listen is where a worker-only process (`shophub worker`) serves
	// /metrics, /healthz and /readyz; "" uses server.admin_listen, and
	// without either the worker serves no HTTP.
	Listen string `yaml:"listen"`
}

// Hub configures identity resolution and the merge policy.
type Hub struct {
	// DefaultRegion is the ISO 3166-1 alpha-2 region for phone numbers
	// written without a country code.
	DefaultRegion string `yaml:"default_region"`
	// MatchKeys find the customer of a record without a link, in order:
	// email, email_name (email, but other names make it an unverified
	// match), phone, customer_number (identity.go).
	MatchKeys []string `yaml:"match_keys"`
	// Priority maps a canonical field, or "*" for all fields, to instance
	// names, most trusted first. It decides ties between equal source times.
	Priority map[string][]string `yaml:"priority"`
	// Owners maps a canonical field to the only instance allowed to change it.
	Owners map[string]string `yaml:"owners"`
	// QuarantineRetention is how long quarantined raw payloads are kept
	// before the worker purges them.
	QuarantineRetention Duration `yaml:"quarantine_retention"`
	// TombstoneSecret keys the HMAC of erasure tombstones, so they cannot
	// be reversed by hashing every possible vendor id. "" uses a public
	// development secret (check warns).
	TombstoneSecret string `yaml:"tombstone_secret"`
	// ErasureEmailFallback lets a vendor's erasure or data request whose
	// record the hub has no link to find the person by the request's email
	// (default false: an unverified email could name someone else).
	ErasureEmailFallback bool `yaml:"erasure_email_fallback"`
	// VendorErasureScope is where a vendor's erasure request (Shopify's
	// customers/redact) erases besides the hub: ScopeOrigin (default) only
	// at the touchpoint that asked, ScopeAll at every touchpoint by its
	// erasure mode. Erasures through the API or CLI always reach all.
	VendorErasureScope string `yaml:"vendor_erasure_scope"`
}

// Insights configure the customer indicators, the scheduled RFM scoring,
// the segment table and the profitability rule (hub/insights.go). Zero
// values take the defaults documented in config/example.yaml.
type Insights struct {
	// ScoreEvery is how often RFM scores are recomputed (default 24h);
	// ScoreAt shifts the slots (default 3h: daily at 03:00 UTC).
	ScoreEvery Duration `yaml:"score_every"`
	ScoreAt    Duration `yaml:"score_at"`
	// LargeOrderTotal is the order total (any currency) from which a
	// ticket within ComplaintDays after the order counts as a complaint
	// after a large order (default "500", 14 days).
	LargeOrderTotal string `yaml:"large_order_total"`
	ComplaintDays   int    `yaml:"complaint_days"`
	// Segments name segments by score ranges, the first match wins;
	// empty uses the built-in table.
	Segments []Segment `yaml:"segments"`
	// Profitability is an expression over the indicators returning the
	// class name; empty uses the built-in rule, "off" turns classes off.
	Profitability string `yaml:"profitability"`
}

// Segment is one row of the segment table: R, F and M are score ranges
// such as "4-5" or "3" ("" any score).
type Segment struct {
	Name string `yaml:"name"`
	R    string `yaml:"r"`
	F    string `yaml:"f"`
	M    string `yaml:"m"`
}

// Vendor erasure scopes (hub.vendor_erasure_scope).
const (
	ScopeOrigin = "origin"
	ScopeAll    = "all"
)

// Events configures the events the hub computes about customers and
// delivers to targets that take events (Klaviyo, outbound webhooks).
type Events struct {
	// Defaults for zero values are the engine's (sync.EventPolicyOf):
	// scan every minute, carts abandoned after 1 h and announced up to 7
	// days, birthdays 7 days ahead, repurchase at 0.8 of the interval,
	// complaints within 30 days of an order of 200.00 or more.
	//
	// ScanInterval is how often the engine looks for due events (once
	// across all workers).
	ScanInterval Duration `yaml:"scan_interval"`
	// CartAbandonedAfter is how long a cart stays untouched, with no order
	// since, before it counts as abandoned (per connector:
	// connectors[].cart_abandoned_after).
	CartAbandonedAfter Duration `yaml:"cart_abandoned_after"`
	// CartMaxAge: carts untouched for longer than this (after the delay)
	// are not announced any more (a backfill of old checkouts).
	CartMaxAge Duration `yaml:"cart_max_age"`
	// BirthdayDaysBefore is how many days before a birthday
	// birthday_upcoming fires.
	BirthdayDaysBefore int `yaml:"birthday_days_before"`
	// RepurchaseFraction of the customer's typical interval between
	// orders after the last order makes repurchase_due.
	RepurchaseFraction float64 `yaml:"repurchase_fraction"`
	// ComplaintWithinDays and ComplaintMinTotal: a ticket opened within so
	// many days after an order of at least that total (decimal, in the
	// order's currency) makes complaint_after_large_order.
	ComplaintWithinDays int    `yaml:"complaint_within_days"`
	ComplaintMinTotal   string `yaml:"complaint_min_total"`
	// Disable lists event types the engine does not compute.
	Disable []string `yaml:"disable"`
}

// Connector is one configured instance of a connector type.
type Connector struct {
	Name      string   `yaml:"name"`
	Type      string   `yaml:"type"`
	Direction string   `yaml:"direction"` // DirectionIn, DirectionOut or DirectionBoth
	Resources []string `yaml:"resources"`
	// PollInterval is how often changes are listed; 0 = webhooks only.
	PollInterval Duration `yaml:"poll_interval"`
	// PollLookback is how far before its cursor a poll lists again, so a
	// change stamped earlier than it became visible (a transaction that
	// committed late, a clock a little behind) is still seen; what was
	// already applied is dropped by content. 0 = the connector's default
	// (seconds for shops, minutes for Odoo); the cursor's own second is
	// always listed again.
	PollLookback Duration `yaml:"poll_lookback"`
	// Reconcile is how often a full, slow, paged comparison of every
	// record with what the hub last saw starts: it applies edits the
	// vendor never timestamped and detects deletions by absence. 0 =
	// never.
	Reconcile Duration `yaml:"reconcile"`
	// Mapping is an optional path to a mapping file that overrides the
	// connector type's embedded default.
	Mapping       string `yaml:"mapping"`
	WebhookSecret string `yaml:"webhook_secret"`
	// PreviousWebhookSecrets are still accepted during a secret rotation.
	PreviousWebhookSecrets []string `yaml:"previous_webhook_secrets"`
	// RateLimit is requests per second towards the vendor (0 = the
	// connector's default; NoPacing, -1, paces nothing: a system of your
	// own without a limit, or an emulator).
	RateLimit float64  `yaml:"rate_limit"`
	RateBurst int      `yaml:"rate_burst"`
	Timeout   Duration `yaml:"timeout"`
	// MaxInFlight caps the pushes to this instance one worker process runs
	// at once, so a slow target cannot hold every worker slot (0 = a
	// quarter of worker.concurrency; see PushSlots).
	MaxInFlight int `yaml:"max_in_flight"`
	// OnDelete is what follows when the vendor deletes (or archives) a
	// record of this instance: OnDeleteUnlink ("" means it too),
	// OnDeletePropagate or OnDeleteRecreate (see DeletePolicy).
	OnDelete string `yaml:"on_delete"`
	// Trust says whose word this instance's records are: TrustAuto ("",
	// each record as the connector rates it), TrustVerified or
	// TrustUnverified (see identity.go).
	Trust string `yaml:"trust"`
	// Erasure is what a GDPR erasure does to the person's record in this
	// instance: ErasureDelete ("" means it too), ErasureAnonymize or
	// ErasureNone.
	Erasure string `yaml:"erasure"`
	// Region is the ISO 3166-1 alpha-2 region for phone numbers this
	// instance sends without a country code when their address names no
	// country ("" = hub.default_region): a Swiss shop's "044 668 18 00".
	Region string `yaml:"region"`
	// CartAbandonedAfter overrides events.cart_abandoned_after for this
	// shop's carts.
	CartAbandonedAfter Duration `yaml:"cart_abandoned_after"`
	// Settings are connector-type specific (URLs, credentials); the
	// connector decodes them into its own typed struct.
	Settings map[string]any `yaml:"settings"`
	// Line is the line of this entry in the file, for errors found later.
	Line int `yaml:"-"`
}

// NoPacing as a connector's rate_limit sends its requests unpaced.
const NoPacing = -1

// PushSlots is how many pushes to c one worker process runs at once: its
// max_in_flight, else a quarter of the worker's concurrency, so that even
// three stalled targets leave a quarter of the slots to the rest.
func (c Connector) PushSlots(w Worker) int {
	if c.MaxInFlight > 0 {
		return c.MaxInFlight
	}
	n := w.Concurrency
	if n <= 0 {
		n = DefaultConcurrency
	}
	return max(1, n/4)
}

// Connector directions.
const (
	DirectionIn   = "in"
	DirectionOut  = "out"
	DirectionBoth = "both"
)

// In reports whether the instance feeds records into the hub. An empty
// direction counts as both, as the default does.
func (c Connector) In() bool {
	return c.Direction == DirectionIn || c.Direction == DirectionBoth || c.Direction == ""
}

// Erasure modes of a connector instance.
const (
	ErasureDelete    = "delete"
	ErasureAnonymize = "anonymize"
	ErasureNone      = "none"
)

// ErasureMode is the instance's erasure mode, ErasureNone when unset:
// shophub deletes or overwrites a record in a vendor's system only where
// the operator chose so (a shop's order history, an ERP's invoices may
// have to be kept); the audit shows such a touchpoint as skipped.
func (c Connector) ErasureMode() string {
	if c.Erasure == "" {
		return ErasureNone
	}
	return c.Erasure
}

// Out reports whether the hub pushes records to the instance.
func (c Connector) Out() bool {
	return c.Direction == DirectionOut || c.Direction == DirectionBoth || c.Direction == ""
}

// Secrets returns the webhook secrets to try: the current one first, then
// the previous ones; empty and repeated values are dropped.
func (c Connector) Secrets() []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range append([]string{c.WebhookSecret}, c.PreviousWebhookSecrets...) {
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// Connector returns the configured instance with that name.
func (c *Config) Connector(name string) (Connector, bool) {
	for _, conn := range c.Connectors {
		if conn.Name == name {
			return conn, true
		}
	}
	return Connector{}, false
}

// Defaults.
const (
	DefaultListen       = ":8080"
	DefaultMaxBodyBytes = 16 << 20
	DefaultSQLiteDSN    = "shophub.db"
	// DefaultMaxOpenConns is one process's pool; docker-compose.yml sizes
	// serve and its workers below MySQL's default max_connections (151).
	DefaultMaxOpenConns      = 64
	DefaultRedisAddr         = "127.0.0.1:6379"
	DefaultConcurrency       = 100
	DefaultTaskCheckInterval = Duration(20 * time.Millisecond)
	DefaultMaxRetry          = 12
	DefaultShutdownTimeout   = Duration(30 * time.Second)
	DefaultDedupeTTL         = Duration(24 * time.Hour)
	DefaultOutboxInterval    = Duration(5 * time.Second)
	// DefaultQuarantineRetention keeps raw payloads two weeks: long enough
	// to fix a mapping, short enough not to hoard personal data.
	DefaultQuarantineRetention = Duration(14 * 24 * time.Hour)
	DefaultRegion              = "DE"
	DefaultResource            = "customer"
	DefaultConnectorTimeout    = Duration(30 * time.Second)
)

// ApplyDefaults fills every zero value that has a default. It is for
// configs built in code (dev mode); Parse fills defaults before decoding,
// so a zero written explicitly in a file (max_retry: 0) is kept.
func (c *Config) ApplyDefaults() {
	setStr(&c.Server.Listen, DefaultListen)
	if c.Server.MaxBodyBytes == 0 {
		c.Server.MaxBodyBytes = DefaultMaxBodyBytes
	}
	setStr(&c.Database.Driver, DriverSQLite)
	if c.Database.Driver == DriverSQLite {
		setStr(&c.Database.DSN, DefaultSQLiteDSN)
	}
	if c.Database.MaxOpenConns == 0 {
		c.Database.MaxOpenConns = DefaultMaxOpenConns
	}
	c.Database.defaultIdle()
	setStr(&c.Redis.Addr, DefaultRedisAddr)
	w := &c.Worker
	if w.Concurrency == 0 {
		w.Concurrency = DefaultConcurrency
	}
	setDur(&w.TaskCheckInterval, DefaultTaskCheckInterval)
	if w.MaxRetry == 0 {
		w.MaxRetry = DefaultMaxRetry
	}
	setDur(&w.ShutdownTimeout, DefaultShutdownTimeout)
	setDur(&w.DedupeTTL, DefaultDedupeTTL)
	setDur(&w.OutboxInterval, DefaultOutboxInterval)
	setStr(&c.Hub.DefaultRegion, DefaultRegion)
	setDur(&c.Hub.QuarantineRetention, DefaultQuarantineRetention)
	if len(c.Hub.MatchKeys) == 0 {
		c.Hub.MatchKeys = []string{"email"}
	}
	for i := range c.Connectors {
		c.Connectors[i].applyDefaults()
	}
}

func (c *Connector) applyDefaults() {
	setStr(&c.Direction, DirectionBoth)
	if len(c.Resources) == 0 {
		c.Resources = []string{DefaultResource}
	}
	setDur(&c.Timeout, DefaultConnectorTimeout)
}

func setStr(dst *string, def string) {
	if *dst == "" {
		*dst = def
	}
}

func setDur(dst *Duration, def Duration) {
	if *dst == 0 {
		*dst = def
	}
}
