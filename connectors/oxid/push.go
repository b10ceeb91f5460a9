package oxid

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/shophub/shophub/connectors"
)

// Fetch re-reads one customer of this shop. Administrators and deactivated
// customers are not found.
func (c *Connector) Fetch(ctx context.Context, resource, externalID string) (*connectors.Record, error) {
	if resource == connectors.ResourceOrder {
		return c.fetchOrder(ctx, externalID) // orders.go
	}
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("oxid: cannot fetch %q", resource))
	}
	db, err := c.pool()
	if err != nil {
		return nil, err
	}
	return c.fetch(ctx, db, externalID)
}

func (c *Connector) fetch(ctx context.Context, q querier, id string) (*connectors.Record, error) {
	data, err := c.loadCustomers(ctx, q, []string{id})
	if err != nil {
		return nil, err
	}
	d, ok := data[id]
	if !ok {
		// OXIDs compare case-insensitively; find the stored spelling.
		for k, v := range data {
			if strings.EqualFold(k, id) {
				d, ok = v, true
			}
		}
	}
	if !ok || d["OXRIGHTS"] != customerRights || d["OXACTIVE"] != "1" {
		return nil, fmt.Errorf("oxid: customer %s: %w", id, connectors.ErrNotFound)
	}
	return record(d)
}

// FindBy looks a customer up by email: OXUSERNAME within the configured
// shop (OXID keeps it unique per shop).
func (c *Connector) FindBy(ctx context.Context, resource, key, value string) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("oxid: cannot search %q", resource))
	}
	if key != "email" {
		return nil, connectors.Permanent(fmt.Errorf("oxid: cannot find customers by %q (email only)", key))
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, fmt.Errorf("oxid: find customer by empty email: %w", connectors.ErrNotFound)
	}
	db, err := c.pool()
	if err != nil {
		return nil, err
	}
	u, err := c.userByEmail(ctx, db, value, false)
	if err != nil {
		return nil, err
	}
	if u == nil || u.rights != customerRights || !u.active {
		return nil, fmt.Errorf("oxid: no customer with that email: %w", connectors.ErrNotFound)
	}
	return c.fetch(ctx, db, u.id)
}

type userRef struct {
	id     string
	rights string
	active bool
}

// userByEmail finds the oxuser row of an email in this shop (MariaDB's
// case-insensitive collation matches any spelling), locking it inside a
// transaction.
func (c *Connector) userByEmail(ctx context.Context, q querier, email string, lock bool) (*userRef, error) {
	sqlText := "SELECT OXID, OXRIGHTS, OXACTIVE FROM oxuser WHERE OXUSERNAME = ? AND OXSHOPID = ?"
	if lock {
		sqlText += " FOR UPDATE"
	}
	list, err := query(ctx, q, "find customer by email", sqlText, email, c.settings.ShopID)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	r := list[0]
	return &userRef{id: r["OXID"].(string), rights: r["OXRIGHTS"].(string), active: r["OXACTIVE"] == "1"}, nil
}

// Upsert creates (externalID empty) or updates a customer with a payload
// rendered by the mapping, in one transaction: the oxuser row, the first
// delivery address and the newsletter row. Only columns the payload names
// are written, and only when their value differs, so a repeated push
// changes no row and bumps no OXTIMESTAMP. See payload.go for what a
// payload may name.
func (c *Connector) Upsert(ctx context.Context, resource, externalID string, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("oxid: cannot push %q", resource))
	}
	return c.upsert(ctx, externalID, payload, nil)
}

// Update is Upsert of an existing customer whose current state the
// pipeline has just read and merged. The payload is the whole customer (no
// patches), so an admin's save between that read and this write would be
// reverted column by column, and the next poll would list our values: the
// edit lost everywhere. In the write's transaction, with the oxuser row
// locked, Update reads the customer again and writes only when it is still
// what the pipeline read; otherwise it writes nothing and returns
// ErrChanged, and the pipeline merges the new state first.
func (c *Connector) Update(ctx context.Context, resource string, current *connectors.Record, payload map[string]any) (*connectors.Record, error) {
	if resource != connectors.ResourceCustomer {
		return nil, connectors.Permanent(fmt.Errorf("oxid: cannot push %q", resource))
	}
	return c.upsert(ctx, current.ExternalID, payload, current)
}

// testHookChecked runs after Update's check, before the write (tests).
var testHookChecked func()

func (c *Connector) upsert(ctx context.Context, externalID string, payload map[string]any, current *connectors.Record) (*connectors.Record, error) {
	p, err := parsePayload(payload)
	if err != nil {
		return nil, connectors.Permanent(fmt.Errorf("oxid: %w", err))
	}
	db, err := c.pool()
	if err != nil {
		return nil, err
	}
	countries, err := c.countries.get(ctx, db)
	if err != nil {
		return nil, err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return nil, dbError("begin transaction", err)
	}
	defer func() { _ = tx.Rollback() }()

	w := &writer{c: c, tx: tx, countries: countries}
	if current != nil {
		// Lock the row before reading it, so the read sees every save
		// committed before ours can start (on InnoDB; OXID ships oxuser
		// as MyISAM, where the lock is none and the write itself checks,
		// see writer.expect).
		if _, err := tx.ExecContext(ctx, "SELECT OXID FROM oxuser WHERE OXID = ? AND OXSHOPID = ? FOR UPDATE", externalID, c.settings.ShopID); err != nil {
			return nil, dbError("lock customer", err)
		}
		fresh, err := c.fetch(ctx, tx, externalID)
		if err != nil {
			return nil, err
		}
		if !connectors.SameJSON(fresh.Data, current.Data) {
			return nil, fmt.Errorf("oxid: customer %s: %w", externalID, connectors.ErrChanged)
		}
		w.expect = fresh.Data
		if testHookChecked != nil {
			testHookChecked()
		}
	}
	id := externalID
	if id == "" {
		id, err = w.create(ctx, p)
	} else {
		err = w.update(ctx, id, p)
	}
	if err != nil {
		return nil, err
	}
	if err := w.address(ctx, id, p.address); err != nil {
		return nil, err
	}
	if err := w.newsletter(ctx, id, p); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, dbError("commit", err)
	}
	return c.fetch(ctx, db, id)
}

// Delete deactivates a customer (OXACTIVE = 0) and ends their newsletter
// subscription: the connector's grants include no DELETE, and OXID itself
// keeps customers with orders. An unknown or already deactivated customer
// counts as success, so a retried delete does not fail forever.
func (c *Connector) Delete(ctx context.Context, resource, externalID string) error {
	if resource != connectors.ResourceCustomer {
		return connectors.Permanent(fmt.Errorf("oxid: cannot delete %q", resource))
	}
	db, err := c.pool()
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return dbError("begin transaction", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, "UPDATE oxuser SET OXACTIVE = 0 WHERE OXID = ? AND OXSHOPID = ? AND OXRIGHTS = ?",
		externalID, c.settings.ShopID, customerRights); err != nil {
		return dbError("deactivate customer", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE oxnewssubscribed SET OXDBOPTIN = 0, OXUNSUBSCRIBED = ? WHERE OXUSERID = ? AND OXSHOPID = ? AND OXDBOPTIN <> 0",
		c.now(), externalID, c.settings.ShopID); err != nil {
		return dbError("unsubscribe deactivated customer", err)
	}
	return dbError("commit", tx.Commit())
}

// newOXID returns an id as OXID's UtilsObject::generateUId makes them:
// 32 lower-case hex characters.
func newOXID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1062
}

var (
	_ connectors.Updater = (*Connector)(nil)
	_ connectors.Fetcher = (*Connector)(nil)
	_ connectors.Writer  = (*Connector)(nil)
	_ connectors.Finder  = (*Connector)(nil)
)
