package oxid

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Orders are read, never written: OXID owns them. They are polled like
// customers, by OXTIMESTAMP (second resolution, the same look-back
// cursor), the change time of an order being the newest OXTIMESTAMP of
// its oxorder row and its oxorderarticles rows: the admin's line
// cancellation updates the line, then the order's recalculated sums.
// Orders whose payment never completed (OXTRANSSTATUS NOT_FINISHED, an
// abandoned PayPal redirect) are not orders yet and are left out.

// orderColumns are the oxorder columns shophub reads: the billing email,
// countries and money, not the addresses.
var orderColumns = []string{
	"OXID", "OXSHOPID", "OXUSERID", "OXORDERDATE", "OXORDERNR", "OXBILLEMAIL", "OXBILLCOUNTRYID", "OXDELCOUNTRYID",
	"OXPAYMENTTYPE", "OXTOTALBRUTSUM", "OXTOTALORDERSUM", "OXDELCOST", "OXCURRENCY", "OXPAID", "OXSENDDATE",
	"OXSTORNO", "OXTRANSSTATUS", "OXFOLDER", "OXTIMESTAMP",
}

var orderArticleColumns = []string{
	"OXID", "OXORDERID", "OXAMOUNT", "OXARTNUM", "OXTITLE", "OXBRUTPRICE", "OXSTORNO", "OXISBUNDLE", "OXTIMESTAMP",
}

const orderChangedAt = `GREATEST(o.OXTIMESTAMP,
	COALESCE((SELECT MAX(a.OXTIMESTAMP) FROM oxorderarticles a WHERE a.OXORDERID = o.OXID), o.OXTIMESTAMP))`

const finishedOrder = "o.OXTRANSSTATUS <> 'NOT_FINISHED'"

// listOrders is List for orders (see List for the cursor).
func (c *Connector) listOrders(ctx context.Context, pos cursor) (connectors.Page, error) {
	db, err := c.pool()
	if err != nil {
		return connectors.Page{}, err
	}
	inner := "SELECT o.OXID AS id, " + orderChangedAt + " AS changed FROM oxorder o WHERE o.OXSHOPID = ? AND " + finishedOrder
	ids, next, err := c.changedIDs(ctx, db, "list changed orders", inner, []any{c.settings.ShopID}, pos)
	if err != nil {
		return connectors.Page{}, err
	}
	data, err := c.loadOrders(ctx, db, ids)
	if err != nil {
		return connectors.Page{}, err
	}
	page := connectors.Page{Records: make([]connectors.Record, 0, len(ids))}
	for _, id := range ids {
		if d, ok := data[id]; ok {
			page.Records = append(page.Records, *orderRecord(d))
		}
	}
	page.Next, page.Done = next.String(), next.After == ""
	return page, nil
}

// fetchOrder re-reads one order.
func (c *Connector) fetchOrder(ctx context.Context, id string) (*connectors.Record, error) {
	db, err := c.pool()
	if err != nil {
		return nil, err
	}
	data, err := c.loadOrders(ctx, db, []string{id})
	if err != nil {
		return nil, err
	}
	for k, d := range data {
		if strings.EqualFold(k, id) {
			return orderRecord(d), nil
		}
	}
	return nil, fmt.Errorf("oxid: order %s: %w", id, connectors.ErrNotFound)
}

// loadOrders reads the given orders of this shop with what the default
// mapping reads besides oxorder's columns:
//
//	articles          the oxorderarticles rows, in OXID order
//	payment           the oxpayments row of OXPAYMENTTYPE (OXID, OXDESC),
//	                  absent when the method was deleted since
//	shipping_country  ISO alpha-2 of OXDELCOUNTRYID, or of OXBILLCOUNTRYID
//	                  when the goods went to the billing address (OXID
//	                  leaves OXDEL* empty then)
//	ordered_at, paid_at  OXORDERDATE and OXPAID (the PHP zone) as RFC 3339
//	                  UTC; paid_at "" while unpaid
//	charged, refunded what the customer was charged before refunds and
//	                  what was paid back (decimal strings): see chargedAndRefunded
func (c *Connector) loadOrders(ctx context.Context, q querier, ids []string) (map[string]map[string]any, error) {
	return c.loadIn(ctx, q, ids, func(countries *countryMap, args []any, in string, out map[string]map[string]any) error {
		orders, err := query(ctx, q, "read orders", "SELECT "+cols("o.", orderColumns)+", "+orderChangedAt+" AS SHOPHUB_CHANGED, p.OXID AS PAYMENT_OXID, p.OXDESC AS PAYMENT_OXDESC"+
			" FROM oxorder o LEFT JOIN oxpayments p ON p.OXID = o.OXPAYMENTTYPE WHERE o.OXSHOPID = ? AND "+finishedOrder+" AND o.OXID IN ("+in+")", args...)
		if err != nil {
			return err
		}
		for _, o := range orders {
			if id, _ := o["PAYMENT_OXID"].(string); id != "" {
				o["payment"] = map[string]any{"OXID": id, "OXDESC": o["PAYMENT_OXDESC"]}
			}
			delete(o, "PAYMENT_OXID")
			delete(o, "PAYMENT_OXDESC")
			ship := o["OXDELCOUNTRYID"].(string)
			if ship == "" {
				ship = o["OXBILLCOUNTRYID"].(string)
			}
			o["shipping_country"] = countries.iso(ship)
			o["ordered_at"] = rfc3339(c.shopTime(o["OXORDERDATE"]))
			o["paid_at"] = rfc3339(c.shopTime(o["OXPAID"]))
			o["articles"] = []any{}
			out[o["OXID"].(string)] = o
		}
		lines, err := query(ctx, q, "read order articles", "SELECT "+cols("", orderArticleColumns)+" FROM oxorderarticles WHERE OXORDERID IN ("+in+") ORDER BY OXORDERID, OXID", args[1:]...)
		if err != nil {
			return err
		}
		for _, l := range lines {
			if o, ok := out[l["OXORDERID"].(string)]; ok {
				o["articles"] = append(o["articles"].([]any), l)
			}
		}
		for _, o := range out {
			o["charged"], o["refunded"] = chargedAndRefunded(o)
		}
		return nil
	})
}

// chargedAndRefunded: OXID has no refunds of its own, only cancellations
// ("storno"). A cancelled order (OXSTORNO on the order) keeps its sums;
// a cancelled line is taken out of the order's sums when the admin
// recalculates the order. What the customer was charged is therefore
// OXTOTALORDERSUM plus the cancelled lines' gross prices, and what went
// back is those lines — or the whole sum for a cancelled order — once the
// order had been paid (OXPAID); before that, cancelling only shrinks what
// is owed, and nothing was charged for the cancelled lines.
func chargedAndRefunded(o map[string]any) (string, string) {
	total := num(o["OXTOTALORDERSUM"])
	paid := o["paid_at"] != ""
	if o["OXSTORNO"] == "1" {
		if paid {
			return money(total), money(total)
		}
		return money(total), "0"
	}
	var cancelled float64
	for _, a := range o["articles"].([]any) {
		if l := a.(map[string]any); l["OXSTORNO"] == "1" {
			cancelled += num(l["OXBRUTPRICE"])
		}
	}
	if !paid {
		return money(total), "0"
	}
	return money(total + cancelled), money(cancelled)
}

func num(v any) float64 {
	f, _ := strconv.ParseFloat(fmt.Sprint(v), 64)
	return f
}

// money prints a double OXID stored to the cent it holds.
func money(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64) }

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// orderRecord turns a loaded order into a record; its change time is the
// OXTIMESTAMPs' (UTC, the connection's zone).
func orderRecord(data map[string]any) *connectors.Record {
	ts, _ := data["SHOPHUB_CHANGED"].(string)
	delete(data, "SHOPHUB_CHANGED")
	rec := &connectors.Record{Resource: connectors.ResourceOrder, ExternalID: data["OXID"].(string), Data: data}
	at, err := time.ParseInLocation(tsLayout, ts, time.UTC)
	if err != nil {
		rec.Invalid = fmt.Sprintf("oxid: order %v: change time OXTIMESTAMP %q: %v", data["OXID"], ts, err)
	}
	rec.UpdatedAt = at
	return rec
}
