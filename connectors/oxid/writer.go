package oxid

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// writer applies one payload inside one transaction. OXID ships its
// customer tables as MyISAM, which ignores transactions: there every
// statement stands alone, and the writer is ordered so that a retry after
// a failure half-way finds what the first attempt wrote and completes it
// (create looks the email up first; address and newsletter rows are
// found by user id).
type writer struct {
	c         *Connector
	tx        *sql.Tx
	countries *countryMap
	// emailChanged is set when the push changed OXUSERNAME, so the
	// newsletter row's OXEMAIL follows as OXID's own account page does.
	emailChanged bool
	// expect is the customer as Update's check read it (nil for Upsert).
	// On MyISAM the check's lock holds nothing: an admin's save after the
	// check is in the row the writer reads, and writing the columns that
	// differ from that row reverted it (convergence, under load: OXID
	// first names and streets lost everywhere). The row must still be what
	// the check read, and the UPDATE is conditional on it: one statement,
	// atomic on MyISAM too.
	expect map[string]any
}

// guardColumns are the oxuser columns an admin's save changes, compared
// by a conditional write (writer.expect). OXTIMESTAMP has whole seconds
// and cannot tell a save in the second of the check.
var guardColumns = []string{
	"OXUSERNAME", "OXUSTID", "OXCOMPANY", "OXFNAME", "OXLNAME", "OXSTREET", "OXSTREETNR", "OXADDINFO", "OXCITY",
	"OXCOUNTRYID", "OXSTATEID", "OXZIP", "OXFON", "OXFAX", "OXSAL", "OXPRIVFON", "OXMOBFON", "OXBIRTHDATE", "OXURL",
}

func (c *Connector) now() string { return time.Now().In(c.loc).Format(tsLayout) }

// resolveCountry replaces the ISO "country" of a column set by OXCOUNTRYID.
func (w *writer) resolveCountry(cols map[string]string, creating bool) error {
	iso, ok := cols["country"]
	delete(cols, "country")
	if (!ok || iso == "") && creating && w.c.settings.DefaultCountry != "" {
		iso, ok = w.c.settings.DefaultCountry, true
	}
	if !ok {
		return nil
	}
	if iso == "" {
		cols["OXCOUNTRYID"] = ""
		return nil
	}
	id, found := w.countries.byISO[iso]
	if !found {
		return connectors.Permanent(fmt.Errorf("oxid: country %q is not in oxcountry; add it in OXID's admin (Master Settings › Countries)", iso))
	}
	cols["OXCOUNTRYID"] = id
	return nil
}

// selectOne reads one row (or none) as strings.
func (w *writer) selectOne(ctx context.Context, what, q string, args ...any) (map[string]any, error) {
	list, err := query(ctx, w.tx, what, q, args...)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// diff returns the columns whose wanted value differs from the row's,
// sorted for stable SQL.
func diff(row map[string]any, want map[string]string) []string {
	var changed []string
	for col, v := range want {
		cur, _ := row[col].(string)
		if col == "OXUSERNAME" {
			if strings.EqualFold(cur, v) {
				continue // MariaDB's collation treats them as one email anyway
			}
		} else if cur == v {
			continue
		}
		changed = append(changed, col)
	}
	sort.Strings(changed)
	return changed
}

func (w *writer) updateRow(ctx context.Context, table, id string, cols []string, want map[string]string) error {
	_, err := w.updateRowWhere(ctx, table, id, cols, want, nil, nil)
	return err
}

// updateRowWhere is updateRow under further conditions (where, with
// their args), returning how many rows it changed.
func (w *writer) updateRowWhere(ctx context.Context, table, id string, cols []string, want map[string]string, where []string, whereArgs []any) (int64, error) {
	if len(cols) == 0 {
		return 0, nil
	}
	set := make([]string, len(cols))
	args := make([]any, 0, len(cols)+1+len(whereArgs))
	for i, col := range cols {
		set[i] = "`" + col + "` = ?"
		args = append(args, want[col])
	}
	args = append(args, id)
	args = append(args, whereArgs...)
	cond := "OXID = ?"
	if len(where) > 0 {
		cond += " AND " + strings.Join(where, " AND ")
	}
	res, err := w.tx.ExecContext(ctx, "UPDATE "+table+" SET "+strings.Join(set, ", ")+" WHERE "+cond, args...)
	if err != nil {
		return 0, dbError("update "+table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, dbError("update "+table, err)
	}
	return n, nil
}

func (w *writer) insertRow(ctx context.Context, table string, fixed map[string]any, want map[string]string) error {
	names := make([]string, 0, len(fixed)+len(want))
	for k := range fixed {
		names = append(names, k)
	}
	for k := range want {
		if _, dup := fixed[k]; !dup {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	args := make([]any, len(names))
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = "`" + n + "`"
		if v, ok := fixed[n]; ok {
			args[i] = v
		} else {
			args[i] = want[n]
		}
	}
	_, err := w.tx.ExecContext(ctx, "INSERT INTO "+table+" ("+strings.Join(quoted, ", ")+") VALUES ("+placeholders(len(names))+")", args...)
	if err != nil {
		if isDuplicate(err) {
			// Two pushes raced to create the same email: retrying finds it.
			return fmt.Errorf("oxid: insert into %s: %w", table, err)
		}
		return dbError("insert into "+table, err)
	}
	return nil
}

// update writes the payload's oxuser columns to an existing customer.
func (w *writer) update(ctx context.Context, id string, p *payload) error {
	row, err := w.selectOne(ctx, "read customer", "SELECT "+cols("", userColumns)+" FROM oxuser WHERE OXID = ? AND OXSHOPID = ? FOR UPDATE", id, w.c.settings.ShopID)
	if err != nil {
		return err
	}
	if row == nil || row["OXACTIVE"] != "1" {
		return fmt.Errorf("oxid: customer %s: %w", id, connectors.ErrNotFound)
	}
	if row["OXRIGHTS"] != customerRights {
		return connectors.Permanent(fmt.Errorf("oxid: %s is an OXID administrator account (OXRIGHTS %q); shophub does not write it", id, row["OXRIGHTS"]))
	}
	want := make(map[string]string, len(p.user))
	for k, v := range p.user {
		want[k] = v
	}
	if err := w.resolveCountry(want, false); err != nil {
		return err
	}
	changed := diff(row, want)
	for _, col := range changed {
		if col == "OXUSERNAME" {
			w.emailChanged = true
		}
	}
	if w.expect == nil || len(changed) == 0 {
		return w.updateRow(ctx, "oxuser", id, changed, want)
	}
	var where []string
	var args []any
	for _, col := range guardColumns {
		v, ok := w.expect[col].(string)
		if !ok {
			continue // not in the record (a birthday no reader takes)
		}
		if r, _ := row[col].(string); r != v {
			return fmt.Errorf("oxid: customer %s: %w", id, connectors.ErrChanged)
		}
		where, args = append(where, "`"+col+"` = ?"), append(args, v)
	}
	n, err := w.updateRowWhere(ctx, "oxuser", id, changed, want, where, args)
	if err != nil || n > 0 {
		return err
	}
	// Nothing changed: the row was saved meanwhile, or it holds values
	// MariaDB takes for ours (a collation's equal spelling).
	var same int
	q := "SELECT COUNT(*) FROM oxuser WHERE OXID = ? AND " + strings.Join(where, " AND ")
	if err := w.tx.QueryRowContext(ctx, q, append([]any{id}, args...)...).Scan(&same); err != nil {
		return dbError("check customer", err)
	}
	if same == 0 {
		return fmt.Errorf("oxid: customer %s: %w", id, connectors.ErrChanged)
	}
	return nil
}

// create inserts a customer, or completes the one an earlier attempt of
// this push (or anyone) made with the same email in this shop.
func (w *writer) create(ctx context.Context, p *payload) (string, error) {
	email, ok := p.user["OXUSERNAME"]
	if !ok {
		return "", connectors.Permanent(fmt.Errorf("oxid: cannot create a customer without OXUSERNAME (email)"))
	}
	existing, err := w.c.userByEmail(ctx, w.tx, email, true)
	if err != nil {
		return "", err
	}
	if existing != nil {
		switch {
		case existing.rights != customerRights:
			return "", connectors.Permanent(fmt.Errorf("oxid: the email belongs to an OXID administrator account; shophub does not write it"))
		case !existing.active:
			return "", connectors.Permanent(fmt.Errorf("oxid: the email belongs to the deactivated OXID customer %s; reactivate it in OXID's admin to sync it again", existing.id))
		}
		return existing.id, w.update(ctx, existing.id, p)
	}
	want := make(map[string]string, len(p.user))
	for k, v := range p.user {
		want[k] = v
	}
	if err := w.resolveCountry(want, true); err != nil {
		return "", err
	}
	id := newOXID()
	// No password: the customer sets one through "forgot password".
	// OXPASSSALT has no default in OXID's schema, so it is named.
	fixed := map[string]any{
		"OXID": id, "OXACTIVE": 1, "OXRIGHTS": customerRights, "OXSHOPID": w.c.settings.ShopID,
		"OXPASSWORD": "", "OXPASSSALT": "", "OXCREATE": w.c.now(),
	}
	return id, w.insertRow(ctx, "oxuser", fixed, want)
}

// address writes the payload's delivery address to the customer's first
// oxaddress row (see addressOrder), creating one when there is none. An
// address without any value is not created, nor one equal to the
// customer's billing address — OXID ships to the billing address when
// there is no delivery address, and systems that always hold a shipping
// address (Shopware) send a copy of it. An existing row is never deleted:
// that needs a grant the connector does without.
func (w *writer) address(ctx context.Context, userID string, addr map[string]string) error {
	if addr == nil {
		return nil
	}
	empty := true
	for _, v := range addr {
		if v != "" {
			empty = false
		}
	}
	if empty {
		return nil
	}
	row, err := w.selectOne(ctx, "read delivery address", "SELECT "+cols("", addressColumns)+" FROM oxaddress WHERE OXUSERID = ? ORDER BY "+addressOrder+" LIMIT 1 FOR UPDATE", userID)
	if err != nil {
		return err
	}
	want := make(map[string]string, len(addr))
	for k, v := range addr {
		want[k] = v
	}
	if err := w.resolveCountry(want, row == nil); err != nil {
		return err
	}
	if row != nil {
		return w.updateRow(ctx, "oxaddress", row["OXID"].(string), diff(row, want), want)
	}
	user, err := w.selectOne(ctx, "read customer", "SELECT "+cols("", userColumns)+" FROM oxuser WHERE OXID = ?", userID)
	if err != nil {
		return err
	}
	given := map[string]string{}
	for k, v := range want {
		if v != "" {
			given[k] = v
		}
	}
	if user != nil && len(diff(user, given)) == 0 {
		return nil // the billing address: no delivery address needed
	}
	fixed := map[string]any{"OXID": newOXID(), "OXUSERID": userID, "OXADDRESSUSERID": userID}
	return w.insertRow(ctx, "oxaddress", fixed, want)
}

// newsletter brings the customer's oxnewssubscribed row to the payload's
// consent: OXDBOPTIN 1 subscribed, 0 not; a pending double opt-in (2)
// counts as not subscribed and is left alone while the hub says not
// subscribed. The date column of the state (OXSUBSCRIBED or
// OXUNSUBSCRIBED) carries the consent's time, so it reads back unchanged.
func (w *writer) newsletter(ctx context.Context, userID string, p *payload) error {
	if p.newsletter == nil && !w.emailChanged {
		return nil
	}
	row, err := w.selectOne(ctx, "read newsletter subscription", "SELECT "+cols("", newsletterColumns)+" FROM oxnewssubscribed WHERE OXUSERID = ? AND OXSHOPID = ? ORDER BY OXTIMESTAMP DESC, OXID LIMIT 1 FOR UPDATE", userID, w.c.settings.ShopID)
	if err != nil {
		return err
	}
	user, err := w.selectOne(ctx, "read customer", "SELECT OXUSERNAME, OXSAL, OXFNAME, OXLNAME FROM oxuser WHERE OXID = ?", userID)
	if err != nil {
		return err
	}
	if user == nil {
		return fmt.Errorf("oxid: customer %s vanished during the push", userID)
	}
	email := user["OXUSERNAME"].(string)
	want := map[string]string{}
	if row != nil && w.emailChanged && !strings.EqualFold(row["OXEMAIL"].(string), email) {
		want["OXEMAIL"] = email
	}
	if n := p.newsletter; n != nil {
		at := w.c.now()
		if n.updatedAt != "" {
			t, _ := time.Parse(time.RFC3339, n.updatedAt)
			at = t.In(w.c.loc).Format(tsLayout)
		}
		switch {
		case row == nil && !n.subscribed:
			// Nothing to record: no row reads as "never subscribed".
		case row == nil:
			// A guest subscription of the same email (no user id) becomes
			// the customer's, as OXID does when a guest registers.
			guest, err := w.selectOne(ctx, "read newsletter subscription", "SELECT "+cols("", newsletterColumns)+" FROM oxnewssubscribed WHERE OXEMAIL = ? FOR UPDATE", email)
			if err != nil {
				return err
			}
			if guest != nil {
				if guest["OXUSERID"] != "" {
					return connectors.Permanent(fmt.Errorf("oxid: the newsletter subscription of this email belongs to another OXID user (%s)", guest["OXUSERID"]))
				}
				want := map[string]string{"OXUSERID": userID, "OXDBOPTIN": "1", "OXSUBSCRIBED": at}
				return w.updateRow(ctx, "oxnewssubscribed", guest["OXID"].(string), diff(guest, want), want)
			}
			fixed := map[string]any{
				"OXID": newOXID(), "OXUSERID": userID, "OXSHOPID": w.c.settings.ShopID, "OXEMAIL": email,
				"OXSAL": user["OXSAL"], "OXFNAME": user["OXFNAME"], "OXLNAME": user["OXLNAME"],
				"OXDBOPTIN": 1, "OXSUBSCRIBED": at,
			}
			return w.insertRow(ctx, "oxnewssubscribed", fixed, nil)
		default:
			cur := row["OXDBOPTIN"] == "1"
			switch {
			case n.subscribed && !cur:
				want["OXDBOPTIN"], want["OXSUBSCRIBED"] = "1", at
			case !n.subscribed && cur:
				want["OXDBOPTIN"], want["OXUNSUBSCRIBED"] = "0", at
			case n.updatedAt != "" && w.c.consentTime(row) != n.updatedAt:
				col := "OXUNSUBSCRIBED"
				if cur {
					col = "OXSUBSCRIBED"
				}
				want[col] = at
			}
		}
	}
	if row == nil {
		return nil
	}
	return w.updateRow(ctx, "oxnewssubscribed", row["OXID"].(string), diff(row, want), want)
}
