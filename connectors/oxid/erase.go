package oxid

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/shophub/shophub/connectors"
)

// Erase anonymizes a customer everywhere OXID keeps them: the oxuser row,
// every one of their oxaddress rows (OXID keeps any number of shipping
// addresses per user) and the oxnewssubscribed row, whether it hangs on
// their user id or only on their email (a guest's subscription). The
// connector's grants include no DELETE, and OXID keeps users who have
// orders, so a requested deletion is an anonymization too, and says so.
// Ids, shop, customer number and timestamps stay: they point at nobody
// once the rest is gone, and orders keep referring to a valid user.
// An unknown customer is reported as gone.
func (c *Connector) Erase(ctx context.Context, resource, externalID, _, token string) (string, error) {
	if resource != connectors.ResourceCustomer {
		return "", connectors.Permanent(fmt.Errorf("oxid: cannot erase %q", resource))
	}
	db, err := c.pool()
	if err != nil {
		return "", err
	}
	var username string
	err = db.QueryRowContext(ctx, "SELECT OXUSERNAME FROM oxuser WHERE OXID = ? AND OXSHOPID = ? AND OXRIGHTS = ?",
		externalID, c.settings.ShopID, customerRights).Scan(&username)
	if errors.Is(err, sql.ErrNoRows) {
		return connectors.ErasedGone, nil
	}
	if err != nil {
		return "", dbError("read customer to erase", err)
	}
	placeholder := "erased-" + token + "@example.invalid"
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return "", dbError("begin transaction", err)
	}
	defer func() { _ = tx.Rollback() }()
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"anonymize customer", `UPDATE oxuser SET OXACTIVE = 0, OXUSERNAME = ?, OXPASSWORD = '', OXUSTID = '', OXCOMPANY = '',
			OXFNAME = 'Erased', OXLNAME = 'Customer', OXSTREET = '', OXSTREETNR = '', OXADDINFO = '', OXCITY = '', OXSTATEID = '',
			OXZIP = '', OXFON = '', OXFAX = '', OXSAL = '', OXPRIVFON = '', OXMOBFON = '', OXBIRTHDATE = '0000-00-00', OXURL = '',
			OXUPDATEKEY = '', OXUPDATEEXP = 0
			WHERE OXID = ? AND OXSHOPID = ?`, []any{placeholder, externalID, c.settings.ShopID}},
		{"anonymize addresses", `UPDATE oxaddress SET OXCOMPANY = '', OXFNAME = 'Erased', OXLNAME = 'Customer', OXSTREET = '',
			OXSTREETNR = '', OXADDINFO = '', OXCITY = '', OXSTATEID = '', OXZIP = '', OXFON = '', OXFAX = '', OXSAL = ''
			WHERE OXUSERID = ?`, []any{externalID}},
		// OXEMAIL is unique across shops: each row gets its own placeholder.
		{"anonymize newsletter subscription", `UPDATE oxnewssubscribed SET OXSAL = '', OXFNAME = '', OXLNAME = '',
			OXEMAIL = CONCAT('erased-', ?, '-', OXID, '@example.invalid'), OXDBOPTIN = 0, OXUNSUBSCRIBED = ?
			WHERE OXSHOPID = ? AND (OXUSERID = ? OR (OXEMAIL = ? AND ? <> ''))`,
			[]any{token, c.now(), c.settings.ShopID, externalID, username, username}},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.sql, st.args...); err != nil {
			return "", dbError(st.what, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", dbError("commit", err)
	}
	return connectors.ErasedAnonymized, nil
}

var _ connectors.Eraser = (*Connector)(nil)
