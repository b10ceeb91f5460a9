package hub_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// seedPerson makes one customer known to two shops and a helpdesk, with
// an old email in the change log, a ticket, two quarantined records of
// theirs (one by record, one only naming their old email in another case)
// and one of somebody else.
func seedPerson(t *testing.T, s *hub.Store) (erase, keep uint64) {
	t.Helper()
	ctx := context.Background()
	a := mustMerge(t, s, hub.Policy{}, in("shopify", "101", t0, map[string]any{"email": "old.erik@example.com", "first_name": "Erik", "phone": "+4930555777"}))
	mustMerge(t, s, hub.Policy{}, in("shopify", "101", t0.Add(time.Minute), map[string]any{"email": "erik@example.com", "first_name": "Erik", "phone": "+4930555777"}))
	mustMerge(t, s, hub.Policy{}, in("shopware", "sw-1", t0.Add(2*time.Minute), map[string]any{"email": "erik@example.com", "last_name": "Eraser"}))
	mustMerge(t, s, hub.Policy{}, in("helpdesk", "h-9", t0.Add(3*time.Minute), map[string]any{"email": "erik@example.com"}))
	k := mustMerge(t, s, hub.Policy{}, in("shopify", "102", t0, map[string]any{"email": "keep@example.com", "first_name": "Kim"}))
	if _, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "t-1", SourceAt: t0,
		Doc: map[string]any{"subject": "Where is my parcel", "status": "active", "customer_ref": "h-9", "customer_email": "erik@example.com"}}); err != nil {
		t.Fatal(err)
	}
	// An order through their Shopify link, one waiting for adoption under
	// their old email, and one of somebody else.
	mergeOrder(t, s, "shopify", "o-1", t0, order(t, map[string]any{"number": "A-7781", "total": "99.50", "customer_ref": "101"}))
	mergeOrder(t, s, "magento", "o-2", t0, order(t, map[string]any{"number": "M-7782", "total": "10.00", "customer_email": "old.erik@example.com"}))
	mergeOrder(t, s, "shopify", "o-3", t0, order(t, map[string]any{"number": "A-9999", "total": "5.00", "customer_ref": "102"}))
	for _, q := range []hub.Quarantined{
		{Instance: "shopware", Resource: "customer", ExternalID: "sw-1", Payload: []byte(`{"id":"sw-1","birthday":"not a date"}`), Reason: "birthday"},
		{Instance: "magento", Resource: "customer", ExternalID: "m-5", Payload: []byte(`{"id":5,"email":"Old.Erik\u0040Example.com"}`), Reason: "x"},
		{Instance: "magento", Resource: "customer", ExternalID: "m-6", Payload: []byte(`{"id":6,"telephone":"030 555777"}`), Reason: "x"},
		{Instance: "magento", Resource: "customer", ExternalID: "m-7", Payload: []byte(`{"id":7,"email":"keep@example.com","created_at":"2026-11-01 12:00:00"}`), Reason: "x"},
	} {
		if err := s.Quarantine(ctx, &q); err != nil {
			t.Fatal(err)
		}
	}
	return a.CustomerID, k.CustomerID
}

func TestExport(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			id, _ := seedPerson(t, s)
			x, err := s.Export(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			if x.Profile["email"] != "erik@example.com" || len(x.Links) != 3 || len(x.Tickets) != 1 {
				t.Errorf("export profile %v, %d links, %d tickets", x.Profile, len(x.Links), len(x.Tickets))
			}
			var qs []string
			for _, q := range x.Quarantine {
				qs = append(qs, q.ExternalID)
			}
			if strings.Join(qs, ",") != "sw-1,m-5,m-6" {
				t.Errorf("quarantine in export: %v, want sw-1 (by link), m-5 (old email), m-6 (phone)", qs)
			}
			var orders []string
			for _, o := range x.Orders {
				orders = append(orders, o.ExternalID)
			}
			if strings.Join(orders, ",") != "o-1,o-2" {
				t.Errorf("orders in export: %v, want o-1 (linked) and o-2 (unlinked, old email)", orders)
			}
			if len(x.Changes) < 3 || len(x.Outbox) == 0 || len(x.Links[0].LastInboundDoc) == 0 {
				t.Errorf("export: %d changes, %d outbox rows, link doc %s", len(x.Changes), len(x.Outbox), x.Links[0].LastInboundDoc)
			}
			b, _ := json.Marshal(x)
			if !strings.Contains(string(b), "old.erik@example.com") {
				t.Errorf("export lacks the old email from the change log")
			}
			if _, err := s.Export(context.Background(), 999999); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("export of nobody: %v", err)
			}
		})
	}
}

func TestErase(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			id, keep := seedPerson(t, s)
			action := func(instance, _ string) string {
				switch instance {
				case "shopify":
					return hub.ActionDelete
				case "shopware":
					return hub.ActionAnonymize
				case "helpdesk":
					return hub.ActionNone
				}
				return ""
			}
			e, err := s.Erase(ctx, id, hub.EraseRequest{Source: "api", Action: action})
			if err != nil {
				t.Fatal(err)
			}
			for _, needle := range []string{"erik@example.com", "old.erik", "555777", "Eraser", "parcel", "A-7781", "M-7782"} {
				if hits := hubtest.FindText(t, s.DB(), s.Driver(), needle); len(hits) > 0 {
					t.Errorf("%q still in %v", needle, hits)
				}
			}
			if hits := hubtest.FindText(t, s.DB(), s.Driver(), "keep@example.com"); len(hits) == 0 {
				t.Errorf("the other customer's data went too")
			}
			if _, _, err := s.Customer(ctx, keep); err != nil {
				t.Errorf("other customer: %v", err)
			}
			if got := countRows(t, s, &hub.Quarantined{}); got != 1 {
				t.Errorf("%d quarantined records left, want only the other person's", got)
			}
			if len(e.Steps) != 2 {
				t.Fatalf("%d pending steps, want shopify delete and shopware anonymize: %+v", len(e.Steps), e.Steps)
			}
			rm := e.Removed
			if countRows(t, s, &hub.Order{}) != 1 {
				t.Errorf("%d orders left, want only the other person's", countRows(t, s, &hub.Order{}))
			}
			if rm["orders"] != 2 || rm["links"] != 3 || rm["tickets"] != 1 || rm["quarantine"] != 3 || rm["customers"] != 1 || rm["change_log"] == 0 {
				t.Errorf("removed %v", rm)
			}
			if strings.Join(e.Identity.Emails, ",") != "erik@example.com,old.erik@example.com" {
				t.Errorf("identity emails %v", e.Identity.Emails)
			}

			// The shops still hold the person: their records are dropped.
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "101", t0.Add(time.Hour), map[string]any{"email": "erik@example.com", "first_name": "Erik"}))
			if !r.Erased || r.CustomerID != 0 {
				t.Errorf("record of an erased person: %+v", r)
			}
			tr, err := s.MergeTicket(ctx, hub.TicketInbound{Instance: "helpdesk", ExternalID: "t-2", SourceAt: t0.Add(time.Hour),
				Doc: map[string]any{"subject": "again", "status": "active", "customer_ref": "h-9"}})
			if err != nil || !tr.Erased {
				t.Errorf("ticket through the erased helpdesk record: %+v, %v", tr, err)
			}
			if n := countRows(t, s, &hub.Customer{}); n != 1 {
				t.Errorf("%d customers, want 1: the erased person came back", n)
			}
			// A push that was running creates no link to nobody.
			if _, err := s.Pushed(ctx, id, "oxid", "customer", "ox-1", "h", 3, map[string]any{"email": "erik@example.com"}); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("push recorded for an erased customer: %v", err)
			}
			st2, ok, err := s.AddErasureStep(ctx, id, "oxid", "customer", "ox-1", hub.ActionDelete, []string{"email"})
			if err != nil || !ok || st2.Status != hub.PrivacyPending {
				t.Fatalf("late step: %+v %v %v", st2, ok, err)
			}

			// The audit row ends with its last step; vendor ids go with each.
			for _, step := range append(e.Steps, *st2) {
				if step.ExternalID == "" {
					t.Errorf("pending step %d has no vendor id", step.ID)
				}
				if err := s.FinishPrivacyStep(ctx, step.ID, hub.PrivacyDone, ""); err != nil {
					t.Fatal(err)
				}
			}
			req, steps, err := s.PrivacyRequest(ctx, e.Request.ID)
			if err != nil {
				t.Fatal(err)
			}
			if req.Status != hub.PrivacyDone || req.FinishedAt == nil || len(steps) != 4 {
				t.Errorf("request %+v with %d steps", req, len(steps))
			}
			for _, step := range steps {
				if step.ExternalID != "" {
					t.Errorf("step %s kept vendor id after it finished", step.Instance)
				}
			}
			if _, err := s.Erase(ctx, id, hub.EraseRequest{Source: "api"}); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("second erase: %v", err)
			}
		})
	}
}

func TestShopRedact(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			only := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "only@example.com"}))
			both := mustMerge(t, s, hub.Policy{}, in("shopify", "2", t0, map[string]any{"email": "both@example.com", "first_name": "Bo"}))
			mustMerge(t, s, hub.Policy{}, in("shopware", "b", t0.Add(time.Second), map[string]any{"email": "both@example.com"}))
			r, err := s.ShopRedact(ctx, "shopify", hub.EraseRequest{Source: "shopify shop/redact"})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := s.Customer(ctx, only.CustomerID); !errors.Is(err, hub.ErrNotFound) {
				t.Errorf("customer known only from the shop: %v", err)
			}
			if _, _, err := s.Customer(ctx, both.CustomerID); err != nil {
				t.Errorf("customer also in shopware: %v", err)
			}
			links, _ := s.Links(ctx, both.CustomerID)
			if len(links) != 1 || links[0].Instance != "shopware" {
				t.Errorf("links left: %+v", links)
			}
			if hits := hubtest.FindText(t, s.DB(), s.Driver(), "only@example.com"); len(hits) > 0 {
				t.Errorf("shop-only customer still in %v", hits)
			}
			if r.Status != hub.PrivacyDone || r.RemovedCounts()["customers"] != 1 {
				t.Errorf("audit %+v %v", r, r.RemovedCounts())
			}
		})
	}
}

// Export and erasure match other data by whole values: Ann's request
// neither lists nor deletes the quarantined records of Jo, whose address
// ends in Ann's (joann@example.com) and whose phone ends in Ann's digits
// in another country; Ann's own, spelled differently, are found.
func TestExportAndEraseMatchExactly(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			ann := mustMerge(t, s, hub.Policy{}, in("shopify", "201", t0, map[string]any{"email": "ann@example.com", "first_name": "Ann", "phone": "+4930555777"}))
			jo := []hub.Quarantined{
				{Instance: "magento", Resource: "customer", ExternalID: "m-9", Payload: []byte(`{"id":9,"email":"joann@example.com","firstname":"Jo"}`), Reason: "x"},
				{Instance: "magento", Resource: "customer", ExternalID: "m-10", Payload: []byte(`{"id":10,"telephone":"+43 30 555777","firstname":"Jo"}`), Reason: "x"},
				{Instance: "helpdesk", Resource: "customer", ExternalID: "h-11", Payload: []byte(`From: Jo <joann@example.com>`), Reason: "not json"},
				{Instance: "magento", Resource: "customer", ExternalID: "m-12", Payload: []byte(`{"id":12,"email":"ann@example.com.evil.test"}`), Reason: "x"},
			}
			annQ := []hub.Quarantined{
				{Instance: "magento", Resource: "customer", ExternalID: "m-20", Payload: []byte(`{"id":20,"email":" ANN@Example.com "}`), Reason: "x"},
				{Instance: "magento", Resource: "customer", ExternalID: "m-21", Payload: []byte(`{"id":21,"telephone":"030 555 777"}`), Reason: "x"},
				{Instance: "helpdesk", Resource: "customer", ExternalID: "h-22", Payload: []byte(`From: Ann <ann@example.com>`), Reason: "not json"},
			}
			for _, q := range append(append([]hub.Quarantined{}, jo...), annQ...) {
				if err := s.Quarantine(ctx, &q); err != nil {
					t.Fatal(err)
				}
			}
			x, err := s.Export(ctx, ann.CustomerID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, q := range x.Quarantine {
				got = append(got, q.ExternalID)
			}
			if strings.Join(got, ",") != "m-20,m-21,h-22" {
				t.Errorf("Ann's export lists quarantined %v, want m-20,m-21,h-22 (hers only)", got)
			}
			if b, _ := json.Marshal(x); strings.Contains(string(b), "joann") || strings.Contains(string(b), `"Jo"`) {
				t.Errorf("Ann's export holds Jo's data: %s", b)
			}
			e, err := s.Erase(ctx, ann.CustomerID, hub.EraseRequest{Source: "api"})
			if err != nil {
				t.Fatal(err)
			}
			if e.Removed["quarantine"] != int64(len(annQ)) {
				t.Errorf("erasure removed %d quarantined records, want Ann's %d", e.Removed["quarantine"], len(annQ))
			}
			left, err := s.PendingQuarantine(ctx, "", 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var kept []string
			for _, q := range left {
				kept = append(kept, q.ExternalID)
			}
			if strings.Join(kept, ",") != "m-9,m-10,h-11,m-12" {
				t.Errorf("after Ann's erasure quarantine holds %v, want Jo's and the stranger's untouched", kept)
			}
			if hits := hubtest.FindText(t, s.DB(), s.Driver(), "joann@example.com"); len(hits) == 0 {
				t.Error("Jo's record went with Ann's erasure")
			}
		})
	}
}

// Tombstones are an HMAC under the server's secret: the stored hash is
// not the bare SHA-256 of the vendor id (which anyone could recompute for
// every small id), and one written before the secret still stops the
// record, being rewritten under the secret when it does.
func TestTombstonesAreKeyed(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			s.SetPrivacyOptions(hub.PrivacyOptions{TombstoneSecret: "k1", Region: "DE"})
			a := mustMerge(t, s, hub.Policy{}, in("shopify", "301", t0, map[string]any{"email": "tom@example.com"}))
			if _, err := s.Erase(ctx, a.CustomerID, hub.EraseRequest{Source: "api"}); err != nil {
				t.Fatal(err)
			}
			bare := sha256.Sum256([]byte("shopify\x00customer\x00301"))
			var hashes []string
			if err := s.DB().Model(&hub.Tombstone{}).Pluck("hash", &hashes).Error; err != nil {
				t.Fatal(err)
			}
			if len(hashes) != 1 || hashes[0] == hex.EncodeToString(bare[:]) {
				t.Fatalf("tombstones %v: want one, not the bare SHA-256 of the id", hashes)
			}
			if ok, err := s.Erased(ctx, "shopify", "customer", "301"); err != nil || !ok {
				t.Errorf("erased record not recognised: %v %v", ok, err)
			}
			s.SetPrivacyOptions(hub.PrivacyOptions{TombstoneSecret: "other", Region: "DE"})
			if ok, _ := s.Erased(ctx, "shopify", "customer", "301"); ok {
				t.Error("a tombstone is recognised under another secret: it is not keyed")
			}

			// A tombstone of the old, unkeyed form.
			s.SetPrivacyOptions(hub.PrivacyOptions{TombstoneSecret: "k1", Region: "DE"})
			old := sha256.Sum256([]byte("shopify\x00customer\x00302"))
			if err := s.DB().Create(&hub.Tombstone{Hash: hex.EncodeToString(old[:]), RequestID: 1}).Error; err != nil {
				t.Fatal(err)
			}
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "302", t0, map[string]any{"email": "old@example.com"}))
			if !r.Erased {
				t.Errorf("record under a legacy tombstone merged: %+v", r)
			}
			var n int64
			s.DB().Model(&hub.Tombstone{}).Where("hash = ?", hex.EncodeToString(old[:])).Count(&n)
			if n != 0 {
				t.Error("legacy tombstone not rewritten under the secret")
			}
			if ok, _ := s.Erased(ctx, "shopify", "customer", "302"); !ok {
				t.Error("rewritten tombstone not recognised")
			}
		})
	}
}

// An erasure removes the person's carts, linked ones and guest carts under
// their email left before they were known, and tombstones them: a late
// state of an erased cart (a checkout webhook retried, a poll) is not
// stored again.
func TestEraseRemovesAndTombstonesCarts(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			cart := func(instance, ext string, at time.Time, total string) hub.CartResult {
				t.Helper()
				r, err := s.MergeCart(ctx, hub.CartInbound{Instance: instance, ExternalID: ext, SourceAt: at,
					Doc: map[string]any{"customer_email": "cara@example.com", "currency": "EUR", "total": total}})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			cart("magento", "q-1", t0, "12.00") // a guest cart, before the person was known
			r := mustMerge(t, s, hub.Policy{}, in("shopify", "501", t0, map[string]any{"email": "cara@example.com", "first_name": "Cara"}))
			cart("shopify", "c-1", t0, "30.00")
			x, err := s.Erase(ctx, r.CustomerID, hub.EraseRequest{Source: "api"})
			if err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s, &hub.Cart{}); n != 0 || x.Removed["carts"] != 2 {
				t.Errorf("after the erasure: %d carts left, %d removed; want none left, both removed", n, x.Removed["carts"])
			}
			for _, c := range []struct{ instance, ext string }{{"shopify", "c-1"}, {"magento", "q-1"}} {
				if res := cart(c.instance, c.ext, t0.Add(time.Minute), "31.00"); !res.Erased {
					t.Errorf("a late state of erased cart %s/%s: %+v, want it dropped as erased", c.instance, c.ext, res)
				}
			}
			if n := countRows(t, s, &hub.Cart{}); n != 0 {
				t.Errorf("%d carts stored again after the erasure", n)
			}
		})
	}
}
