// Package oxid connects shophub to an OXID eShop 7 through the shop's own
// MySQL/MariaDB database: OXID sends no webhooks and its GraphQL API only
// lets a logged-in customer read their own account, so integrators read
// and write its tables. Customers are polled by OXTIMESTAMP (a change of a
// delivery address or of the newsletter row counts as a change of the
// customer) and written in one transaction per customer, touching only the
// columns the mapping names. See README.md for the grants and the limits.
package oxid

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shophub/shophub/connectors"
)

// Type is the registered connector type.
const Type = "oxid"

//go:embed mapping.yaml
var defaultMapping []byte

func init() {
	connectors.Register(connectors.Registration{
		Type: Type,
		Doc: "OXID eShop 7 through its own MySQL database: OXTIMESTAMP polling of customers (addresses and newsletter included) and orders (read-only), " +
			"transactional writes of mapped columns only.",
		Capabilities: connectors.Capabilities{Poll: true, Push: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder}},
		NewSettings:  func() any { return NewSettings() },
		New:          connectors.Constructor(Type, New),
		Mapping:      defaultMapping,
		Vocabularies: []connectors.Vocabulary{genderVocabulary},
	})
}

// Settings configure one OXID shop.
type Settings struct {
	DSN      string `yaml:"dsn" doc:"MySQL DSN of the OXID database, e.g. shophub:secret@tcp(db:3306)/oxid; the user needs only the grants in connectors/oxid/README.md" secret:"true"`
	ShopID   int    `yaml:"shop_id" doc:"OXSHOPID of the shop whose customers are synced (1 in OXID CE/PE)" default:"1"`
	PageSize int    `yaml:"page_size" doc:"Customers per page when polling (1–1000)" default:"200"`
	// DefaultCountry fills OXCOUNTRYID on rows shophub creates without a
	// country: OXID's checkout asks for one. Off by default, because the
	// shop would then report a country the hub never sent.
	DefaultCountry string `yaml:"default_country" doc:"ISO 3166-1 alpha-2 country set on customers and delivery addresses shophub creates without a country (e.g. DE); empty leaves them without"`
	TimeZone       string `yaml:"time_zone" doc:"IANA time zone of OXID's PHP, in which OXID writes its datetime columns (OXCREATE, newsletter dates)" default:"Europe/Berlin"`
}

// NewSettings returns settings filled with their defaults.
func NewSettings() *Settings {
	return &Settings{ShopID: 1, PageSize: defaultPageSize, TimeZone: "Europe/Berlin"}
}

const (
	defaultPageSize = 200
	maxPageSize     = 1000
)

var isoRe = regexp.MustCompile(`^[A-Z]{2}$`)

// Validate checks settings without contacting the database.
func (s *Settings) Validate() error {
	var errs []error
	if strings.TrimSpace(s.DSN) == "" {
		errs = append(errs, errors.New("dsn is required"))
	} else if cfg, err := mysql.ParseDSN(s.DSN); err != nil {
		errs = append(errs, fmt.Errorf("dsn: %v", redact(err, s.DSN)))
	} else if cfg.DBName == "" {
		errs = append(errs, errors.New("dsn names no database (…/oxid at the end)"))
	}
	if s.ShopID < 1 {
		errs = append(errs, fmt.Errorf("shop_id %d: want OXID's shop id, 1 or more", s.ShopID))
	}
	if s.PageSize < 1 || s.PageSize > maxPageSize {
		errs = append(errs, fmt.Errorf("page_size %d: want 1–%d", s.PageSize, maxPageSize))
	}
	if s.DefaultCountry != "" && !isoRe.MatchString(s.DefaultCountry) {
		errs = append(errs, fmt.Errorf("default_country %q: want an upper-case ISO 3166-1 alpha-2 code like DE", s.DefaultCountry))
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil || s.TimeZone == "" {
		errs = append(errs, fmt.Errorf("time_zone %q: want an IANA zone like Europe/Berlin", s.TimeZone))
	}
	return errors.Join(errs...)
}

// redact keeps a DSN's password out of an error message.
func redact(err error, dsn string) string {
	msg := err.Error()
	if at := strings.LastIndex(dsn, "@"); at > 0 {
		if colon := strings.Index(dsn[:at], ":"); colon >= 0 && colon+1 < at {
			msg = strings.ReplaceAll(msg, dsn[colon+1:at], "***")
		}
	}
	return msg
}

// Connector is one configured OXID shop. It holds a connection pool and a
// country cache, both safe for concurrent workers.
type Connector struct {
	inst     connectors.Instance
	settings Settings
	loc      *time.Location
	dsn      string

	mu sync.Mutex
	db *sql.DB

	countries countryCache
}

// New builds an unconnected connector.
func New(inst connectors.Instance, s Settings) (*Connector, error) {
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("oxid: %w", err)
	}
	loc, _ := time.LoadLocation(s.TimeZone)
	cfg, _ := mysql.ParseDSN(s.DSN)
	// OXTIMESTAMP is a TIMESTAMP: read and compare it in UTC whatever the
	// server's zone, so the cursor means the same second on every
	// connection and across daylight-saving changes.
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	// OXID runs every connection with an empty sql_mode (its Doctrine
	// adapter's init command, Core/Database/Adapter/Doctrine/Database.php)
	// and its schema depends on it: zero dates are the defaults of
	// OXREGISTER, OXBIRTHDATE and the newsletter dates. On a server with
	// MySQL 8's default mode (STRICT_TRANS_TABLES, NO_ZERO_DATE, …) an
	// insert would fail with "Incorrect default value" and clearing a
	// birthday with "Incorrect date value".
	cfg.Params["sql_mode"] = "''"
	cfg.ParseTime = false
	if inst.Timeout > 0 {
		cfg.Timeout = inst.Timeout
	}
	return &Connector{inst: inst, settings: s, loc: loc, dsn: cfg.FormatDSN()}, nil
}

// Type implements connectors.Connector.
func (c *Connector) Type() string { return Type }

// Capabilities implements connectors.Connector: polling and pushes; OXID
// has no webhooks.
func (c *Connector) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Poll: true, Push: true, Resources: []string{connectors.ResourceCustomer, connectors.ResourceOrder}}
}

// Connect opens the connection pool without contacting the database:
// shophub starts while the shop's database is down, and the first poll
// reports the error.
func (c *Connector) Connect(_ context.Context) error {
	_, err := c.pool()
	return err
}

func (c *Connector) pool() (*sql.DB, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db != nil {
		return c.db, nil
	}
	db, err := sql.Open("mysql", c.dsn)
	if err != nil {
		return nil, fmt.Errorf("oxid: open database: %w", err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	db.SetConnMaxLifetime(5 * time.Minute)
	c.db = db
	return db, nil
}

// Close closes the pool; safe to call any number of times.
func (c *Connector) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.db == nil {
		return nil
	}
	err := c.db.Close()
	c.db = nil
	return err
}

var _ connectors.Connector = (*Connector)(nil)
