package oxidtest

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Orders as OXID writes them: the checkout (Order::finalizeOrder) stores
// the oxorder row with the buyer's billing address copied from oxuser,
// the delivery address only when it differs (OXDEL* empty otherwise),
// OXPAYMENTTYPE the oxpayments id, the sums, OXTRANSSTATUS 'OK', and one
// oxorderarticles row per basket line; the admin marks it paid (OXPAID),
// cancels single lines (Admin/OrderArticle::storno, then
// Order::recalculateOrder rewrites the sums without them) or the whole
// order (Order::cancelOrder: OXSTORNO on the order and every line, sums
// kept). OXTIMESTAMP moves by itself with every UPDATE.

// Payment method ids of OXID's initial data (oxpayments.OXID).
const (
	PaymentInvoice      = "oxidinvoice"
	PaymentPrepayment   = "oxidpayadvance"
	PaymentDebitNote    = "oxiddebitnote"
	PaymentCashOnDeliv  = "oxidcashondel"
	PaymentPayPalModule = "oscpaypal" // OXID's PayPal module (not in oxpayments until installed)
)

// OrderLine is one basket line: Price is the gross price of one item.
type OrderLine struct {
	ArtNum string
	Title  string
	Amount int
	Price  float64
}

// NewOrder is what PlaceOrder stores.
type NewOrder struct {
	UserID   string
	Payment  string // oxpayments id
	Currency string // default EUR
	// DeliveryCountryID is OXDELCOUNTRYID: "" when the goods go to the
	// billing address.
	DeliveryCountryID string
	DeliveryCost      float64
	Lines             []OrderLine
	// NotFinished stores the order as an abandoned payment leaves it.
	NotFinished bool
	// OrderDate is OXORDERDATE in the shop's zone (Zone); zero: now.
	OrderDate time.Time
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// PlaceOrder stores an order as OXID's checkout does and returns its id
// and its lines' ids.
func (s *Shop) PlaceOrder(o NewOrder) (string, []string) {
	s.t.Helper()
	var user struct{ email, fname, lname, street, nr, zip, city, country string }
	if err := s.DB.QueryRow("SELECT OXUSERNAME, OXFNAME, OXLNAME, OXSTREET, OXSTREETNR, OXZIP, OXCITY, OXCOUNTRYID FROM oxuser WHERE OXID = ?", o.UserID).
		Scan(&user.email, &user.fname, &user.lname, &user.street, &user.nr, &user.zip, &user.city, &user.country); err != nil {
		s.t.Fatalf("oxid emulator: order of user %s: %v", o.UserID, err)
	}
	var nr int
	if err := s.DB.QueryRow("SELECT COALESCE(MAX(OXORDERNR), 0) + 1 FROM oxorder").Scan(&nr); err != nil {
		s.t.Fatalf("oxid emulator: order number: %v", err)
	}
	if o.Currency == "" {
		o.Currency = "EUR"
	}
	id := NewID()
	status := "OK"
	if o.NotFinished {
		status = "NOT_FINISHED"
	}
	placed := now()
	if !o.OrderDate.IsZero() {
		placed = o.OrderDate.In(Zone).Format("2006-01-02 15:04:05")
	}
	row := map[string]any{
		"OXID": id, "OXSHOPID": 1, "OXUSERID": o.UserID, "OXORDERDATE": placed, "OXORDERNR": nr,
		"OXBILLEMAIL": user.email, "OXBILLFNAME": user.fname, "OXBILLLNAME": user.lname, "OXBILLSTREET": user.street,
		"OXBILLSTREETNR": user.nr, "OXBILLZIP": user.zip, "OXBILLCITY": user.city, "OXBILLCOUNTRYID": user.country,
		"OXPAYMENTID": NewID(), "OXPAYMENTTYPE": o.Payment, "OXDELCOST": o.DeliveryCost,
		"OXCURRENCY": o.Currency, "OXCURRATE": 1, "OXFOLDER": "ORDERFOLDER_NEW", "OXTRANSSTATUS": status,
		"OXCARDTEXT": "", "OXREMARK": "", "OXLANG": 0, "OXDELTYPE": "oxidstandard",
	}
	if o.DeliveryCountryID != "" {
		row["OXDELFNAME"], row["OXDELLNAME"], row["OXDELSTREET"], row["OXDELSTREETNR"] = user.fname, user.lname, "Lieferweg", "1"
		row["OXDELZIP"], row["OXDELCITY"], row["OXDELCOUNTRYID"] = "1010", "Wien", o.DeliveryCountryID
	}
	for k, v := range sums(o.Lines, nil, o.DeliveryCost) {
		row[k] = v
	}
	s.insert("oxorder", row)
	lines := make([]string, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = NewID()
		brut := round2(l.Price * float64(l.Amount))
		net := round2(brut / 1.19)
		s.insert("oxorderarticles", map[string]any{
			"OXID": lines[i], "OXORDERID": id, "OXAMOUNT": l.Amount, "OXARTID": NewID(), "OXARTNUM": l.ArtNum, "OXTITLE": l.Title,
			"OXNETPRICE": net, "OXBRUTPRICE": brut, "OXVATPRICE": round2(brut - net), "OXVAT": 19, "OXPERSPARAM": "",
			"OXPRICE": l.Price, "OXBPRICE": l.Price, "OXNPRICE": round2(l.Price / 1.19), "OXORDERSHOPID": 1,
			"OXINSERT": now()[:10], "OXFOLDER": "", "OXSUBCLASS": "oxarticle",
		})
	}
	return id, lines
}

// sums are the oxorder sums over the lines not cancelled.
func sums(lines []OrderLine, cancelled map[int]bool, delivery float64) map[string]any {
	var brut float64
	for i, l := range lines {
		if !cancelled[i] {
			brut += round2(l.Price * float64(l.Amount))
		}
	}
	brut = round2(brut)
	net := round2(brut / 1.19)
	return map[string]any{"OXTOTALBRUTSUM": brut, "OXTOTALNETSUM": net, "OXARTVAT1": 19, "OXARTVATPRICE1": round2(brut - net),
		"OXTOTALORDERSUM": round2(brut + delivery)}
}

// MarkPaid sets the payment date, as the admin's "paid" action does.
func (s *Shop) MarkPaid(orderID string) {
	s.t.Helper()
	if err := s.update("oxorder", orderID, map[string]any{"OXPAID": now()}); err != nil {
		s.t.Fatalf("oxid emulator: %v", err)
	}
}

// CancelLine cancels one order line as the admin's storno does, then
// recalculates the order's sums without the cancelled lines.
func (s *Shop) CancelLine(orderID, lineID string) {
	s.t.Helper()
	s.exec("UPDATE oxorderarticles SET OXSTORNO = 1 WHERE OXID = ?", lineID)
	rows, err := s.DB.Query("SELECT OXAMOUNT, OXBPRICE, OXSTORNO FROM oxorderarticles WHERE OXORDERID = ? ORDER BY OXID", orderID)
	if err != nil {
		s.t.Fatalf("oxid emulator: %v", err)
	}
	var lines []OrderLine
	cancelled := map[int]bool{}
	for rows.Next() {
		var amount, price, storno string
		if err := rows.Scan(&amount, &price, &storno); err != nil {
			s.t.Fatalf("oxid emulator: %v", err)
		}
		a, _ := strconv.ParseFloat(amount, 64)
		p, _ := strconv.ParseFloat(price, 64)
		if storno == "1" {
			cancelled[len(lines)] = true
		}
		lines = append(lines, OrderLine{Amount: int(a), Price: p})
	}
	rows.Close()
	var delivery float64
	if err := s.DB.QueryRow("SELECT OXDELCOST FROM oxorder WHERE OXID = ?", orderID).Scan(&delivery); err != nil {
		s.t.Fatalf("oxid emulator: %v", err)
	}
	if err := s.update("oxorder", orderID, sums(lines, cancelled, delivery)); err != nil {
		s.t.Fatalf("oxid emulator: %v", err)
	}
}

// CancelOrder cancels the whole order as Order::cancelOrder does: the
// order and every line get OXSTORNO 1, the sums stay.
func (s *Shop) CancelOrder(orderID string) {
	s.t.Helper()
	if err := s.update("oxorder", orderID, map[string]any{"OXSTORNO": 1}); err != nil {
		s.t.Fatalf("oxid emulator: %v", err)
	}
	s.exec("UPDATE oxorderarticles SET OXSTORNO = 1 WHERE OXORDERID = ?", orderID)
}

// String names an order line for messages.
func (l OrderLine) String() string { return fmt.Sprintf("%d × %s", l.Amount, l.ArtNum) }
