package oxid

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/shophub/shophub/connectors"
)

// userColumns are the oxuser columns shophub reads: never OXPASSWORD,
// OXPASSSALT or OXUPDATEKEY, so no password hash or reset token ever
// leaves the shop's database.
var userColumns = []string{
	"OXID", "OXACTIVE", "OXRIGHTS", "OXSHOPID", "OXUSERNAME", "OXCUSTNR", "OXUSTID", "OXCOMPANY",
	"OXFNAME", "OXLNAME", "OXSTREET", "OXSTREETNR", "OXADDINFO", "OXCITY", "OXCOUNTRYID", "OXSTATEID",
	"OXZIP", "OXFON", "OXFAX", "OXSAL", "OXCREATE", "OXREGISTER", "OXPRIVFON", "OXMOBFON",
	"OXBIRTHDATE", "OXURL", "OXTIMESTAMP",
}

var addressColumns = []string{
	"OXID", "OXUSERID", "OXCOMPANY", "OXFNAME", "OXLNAME", "OXSTREET", "OXSTREETNR", "OXADDINFO",
	"OXCITY", "OXCOUNTRYID", "OXSTATEID", "OXZIP", "OXFON", "OXFAX", "OXSAL", "OXTIMESTAMP",
}

// addressOrder picks "the first" delivery address: the newest change,
// then OXID for a stable tie-break. shophub's own write to that address
// keeps it first.
const addressOrder = "OXTIMESTAMP DESC, OXID"

var newsletterColumns = []string{
	"OXID", "OXUSERID", "OXEMAIL", "OXDBOPTIN", "OXSUBSCRIBED", "OXUNSUBSCRIBED", "OXTIMESTAMP",
}

// changedAt is the SQL for a customer's modification time: the newest
// OXTIMESTAMP of the oxuser row, its delivery addresses and its newsletter
// row in this shop. Deleting an address bumps nothing (see README).
const changedAt = `GREATEST(u.OXTIMESTAMP,
	COALESCE((SELECT MAX(a.OXTIMESTAMP) FROM oxaddress a WHERE a.OXUSERID = u.OXID), u.OXTIMESTAMP),
	COALESCE((SELECT MAX(n.OXTIMESTAMP) FROM oxnewssubscribed n WHERE n.OXUSERID = u.OXID AND n.OXSHOPID = u.OXSHOPID), u.OXTIMESTAMP))`

// customerRights are the OXRIGHTS of shop customers; 'malladmin' (and
// EE's shop ids) are administrators, which shophub neither lists nor writes.
const customerRights = "user"

const tsLayout = "2006-01-02 15:04:05"

func cols(prefix string, names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return strings.Join(out, ", ")
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// scanRows reads every row as column → string (MySQL's text form; NULL is
// ""), the way OXID's models see their fields.
func scanRows(rows *sql.Rows) ([]map[string]any, error) {
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for rows.Next() {
		raw := make([]sql.RawBytes, len(names))
		ptrs := make([]any, len(names))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(names))
		for i, n := range names {
			m[n] = string(raw[i])
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// query runs a SELECT and reads all its rows (see scanRows); what names
// the step in errors.
func query(ctx context.Context, q querier, what, sqlText string, args ...any) ([]map[string]any, error) {
	rows, err := q.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, dbError(what, err)
	}
	list, err := scanRows(rows)
	if err != nil {
		return nil, dbError(what, err)
	}
	return list, nil
}

// loadIn reads the given records of this shop (customers, orders): with
// no ids it reads nothing (an empty IN () is no SQL). Else read fills out,
// given the country table the records' ISO codes come from and the query
// arguments: the shop id, for the main table's OXSHOPID = ?, then the ids,
// whose placeholders are in (args[1:] alone for a child table's IN).
func (c *Connector) loadIn(ctx context.Context, q querier, ids []string,
	read func(countries *countryMap, args []any, in string, out map[string]map[string]any) error) (map[string]map[string]any, error) {
	out := make(map[string]map[string]any, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	countries, err := c.countries.get(ctx, q)
	if err != nil {
		return nil, err
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, c.settings.ShopID)
	for _, id := range ids {
		args = append(args, id)
	}
	if err := read(countries, args, placeholders(len(ids)), out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadCustomers reads the records of the given oxuser ids in this shop:
// the oxuser row (without secrets), the delivery addresses under
// "addresses" (the most recently changed first: OXID stores no default
// delivery address, and the one a customer added or edited last is the one
// they use), the newsletter
// row under "newsletter" when there is one, and each row's country as
// ISO alpha-2 under "country".
func (c *Connector) loadCustomers(ctx context.Context, q querier, ids []string) (map[string]map[string]any, error) {
	return c.loadIn(ctx, q, ids, func(countries *countryMap, args []any, in string, out map[string]map[string]any) error {
		users, err := query(ctx, q, "read customers", "SELECT "+cols("u.", userColumns)+", "+changedAt+" AS SHOPHUB_CHANGED FROM oxuser u WHERE u.OXSHOPID = ? AND u.OXID IN ("+in+")", args...)
		if err != nil {
			return err
		}
		for _, u := range users {
			u["country"] = countries.iso(u["OXCOUNTRYID"].(string))
			u["addresses"] = []any{}
			out[u["OXID"].(string)] = u
		}
		addrs, err := query(ctx, q, "read delivery addresses", "SELECT "+cols("", addressColumns)+" FROM oxaddress WHERE OXUSERID IN ("+in+") ORDER BY OXUSERID, "+addressOrder, args[1:]...)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			u, ok := out[a["OXUSERID"].(string)]
			if !ok {
				continue
			}
			a["country"] = countries.iso(a["OXCOUNTRYID"].(string))
			u["addresses"] = append(u["addresses"].([]any), a)
		}
		subs, err := query(ctx, q, "read newsletter subscriptions", "SELECT "+cols("", newsletterColumns)+" FROM oxnewssubscribed WHERE OXSHOPID = ? AND OXUSERID IN ("+in+") ORDER BY OXUSERID, OXTIMESTAMP DESC, OXID", args...)
		if err != nil {
			return err
		}
		for _, n := range subs {
			u, ok := out[n["OXUSERID"].(string)]
			if !ok || u["newsletter"] != nil {
				continue // newest row wins
			}
			if at := c.consentTime(n); at != "" {
				n["consent_updated_at"] = at
			}
			u["newsletter"] = n
		}
		return nil
	})
}

// consentTime is when the newsletter row reached its state, as RFC 3339
// UTC; "" when OXID recorded none. OXID writes OXSUBSCRIBED only when it
// inserts the row and OXUNSUBSCRIBED when a subscription ends
// (NewsSubscribed::insert and ::update): a subscription after an
// unsubscription leaves both dates, and the row's OXTIMESTAMP (UTC) is
// then the time of the re-subscription. shophub's own writes set the
// date of the state they write, so they read back as written.
func (c *Connector) consentTime(n map[string]any) string {
	sub, unsub := c.shopTime(n["OXSUBSCRIBED"]), c.shopTime(n["OXUNSUBSCRIBED"])
	var at time.Time
	switch {
	case n["OXDBOPTIN"] != "1":
		at = unsub
	case !unsub.IsZero() && unsub.After(sub):
		at, _ = time.ParseInLocation(tsLayout, fmt.Sprint(n["OXTIMESTAMP"]), time.UTC)
	default:
		at = sub
	}
	if at.IsZero() {
		return ""
	}
	return at.UTC().Format(time.RFC3339)
}

// shopTime reads a datetime column OXID wrote in its PHP's zone; zero for
// OXID's empty date or anything unreadable.
func (c *Connector) shopTime(v any) time.Time {
	s, _ := v.(string)
	if s == "" || strings.HasPrefix(s, "0000-00-00") {
		return time.Time{}
	}
	t, err := time.ParseInLocation(tsLayout, s, c.loc)
	if err != nil {
		return time.Time{}
	}
	return t
}

// record turns a loaded customer into a connectors.Record; see readRecord.
func record(data map[string]any) (*connectors.Record, error) {
	rec, _ := readRecord(data)
	return rec, nil
}

// readRecord turns a loaded customer into a connectors.Record. A value
// OXID stores but no date reader accepts never fails more than its own
// record: a zero or unreadable change time marks the record Invalid (the
// pipeline quarantines it, and the listing goes on), and a birthday with
// a zero month or day (OXID's date picker stores "1985-00-00" when only
// the year was chosen) is dropped from the record, so the rest of the
// customer syncs. note says what was dropped ("" when nothing was).
func readRecord(data map[string]any) (rec *connectors.Record, note string) {
	ts, _ := data["SHOPHUB_CHANGED"].(string)
	delete(data, "SHOPHUB_CHANGED")
	rec = &connectors.Record{
		Resource:   connectors.ResourceCustomer,
		ExternalID: data["OXID"].(string),
		Deleted:    data["OXACTIVE"] != "1",
		Data:       data,
	}
	at, err := time.ParseInLocation(tsLayout, ts, time.UTC)
	if err != nil {
		rec.Invalid = fmt.Sprintf("oxid: customer %v: change time OXTIMESTAMP %q: %v", data["OXID"], ts, err)
	}
	rec.UpdatedAt = at
	if b, _ := data["OXBIRTHDATE"].(string); b != "" && b != "0000-00-00" {
		if _, err := time.Parse(time.DateOnly, b); err != nil {
			delete(data, "OXBIRTHDATE")
			note = fmt.Sprintf("OXBIRTHDATE %q is not a whole date (%v); the birthday is left out", b, err)
		}
	}
	return rec, note
}

// countryCache maps OXCOUNTRYID ↔ ISO alpha-2. oxcountry changes when an
// administrator edits countries, rarely: it is re-read every few minutes.
type countryCache struct {
	mu     sync.Mutex
	loaded time.Time
	m      *countryMap
}

type countryMap struct {
	byID  map[string]string
	byISO map[string]string
}

const countryTTL = 5 * time.Minute

func (cc *countryCache) get(ctx context.Context, q querier) (*countryMap, error) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.m != nil && time.Since(cc.loaded) < countryTTL {
		return cc.m, nil
	}
	// Active countries first, so that of two rows with one ISO code the
	// active one is written.
	list, err := query(ctx, q, "read countries", "SELECT OXID, OXISOALPHA2 FROM oxcountry ORDER BY OXACTIVE DESC, OXORDER, OXID")
	if err != nil {
		return nil, err
	}
	m := &countryMap{byID: map[string]string{}, byISO: map[string]string{}}
	for _, r := range list {
		id, iso := r["OXID"].(string), strings.ToUpper(strings.TrimSpace(r["OXISOALPHA2"].(string)))
		m.byID[strings.ToLower(id)] = iso
		if _, dup := m.byISO[iso]; iso != "" && !dup {
			m.byISO[iso] = id
		}
	}
	cc.m, cc.loaded = m, time.Now()
	return m, nil
}

// iso is the ISO code of an OXCOUNTRYID ("" for none or an unknown id);
// OXID ids compare case-insensitively (latin1_general_ci).
func (m *countryMap) iso(id string) string {
	if id == "" {
		return ""
	}
	return m.byID[strings.ToLower(id)]
}

// dbError classifies a database error: errors no retry can fix (a value
// too long for its column, a refused grant, a duplicate email) are
// permanent; connection trouble is retried.
func dbError(what string, err error) error {
	if err == nil {
		return nil
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062, // duplicate key
			1142, 1143, 1044, 1045, // command / column / database access denied
			1048, 1364, // column cannot be null / has no default
			1292, 1366, 1406, // incorrect value / too long
			1054, 1146: // unknown column / table: not an OXID database
			return connectors.Permanent(fmt.Errorf("oxid: %s: %w", what, err))
		}
	}
	return fmt.Errorf("oxid: %s: %w", what, err)
}
