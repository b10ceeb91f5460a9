package oxid_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
)

// Must-show: OXID cannot delete (no DELETE grant, and it keeps users with
// orders), so erasing a customer anonymizes every place OXID keeps them —
// the user row, all their delivery addresses, their newsletter row and a
// guest subscription under their email — and the outcome says anonymized.
// A scan of every table of the real MariaDB schema then finds none of
// their names, email, streets, phones or birthday; another customer keeps
// everything.
func TestEraseAnonymizesEveryPlace(t *testing.T) {
	e := newPushEnv(t, nil)
	ctx := context.Background()
	id := e.push(t, "", fullDoc).ExternalID
	e.shop.AddDeliveryAddress(id, map[string]any{"OXFNAME": "Jana", "OXLNAME": "Berg", "OXSTREET": "Seestrasse", "OXSTREETNR": "4",
		"OXCITY": "Zürich", "OXZIP": "8002", "OXFON": "+41 44 1234567", "OXCOMPANY": "Berg & Co"})
	e.shop.AddDeliveryAddress(id, map[string]any{"OXFNAME": "Jana", "OXLNAME": "Berg", "OXSTREET": "Kaiweg", "OXSTREETNR": "9",
		"OXCITY": "Kiel", "OXZIP": "24103", "OXADDINFO": "bei Berg"})
	e.shop.Subscribe(id, 1)
	if _, err := e.shop.DB.Exec("UPDATE oxnewssubscribed SET OXFNAME = 'Jana', OXLNAME = 'Berg', OXSAL = 'MRS' WHERE OXUSERID = ?", id); err != nil {
		t.Fatal(err)
	}
	// A second shop's user with the same email subscribed as a guest.
	if _, err := e.shop.DB.Exec("INSERT INTO oxnewssubscribed (OXID, OXUSERID, OXFNAME, OXLNAME, OXEMAIL, OXDBOPTIN, OXSHOPID) VALUES (?, '', 'Jana', 'Berg', 'JANA.BERG@example.com', 1, 1)",
		oxidtest.NewID()); err == nil {
		t.Fatal("a second subscription under one email was accepted: OXEMAIL is unique in OXID")
	}
	other := e.shop.CreateCustomer(map[string]any{"OXUSERNAME": "otto.other@example.com", "OXFNAME": "Otto", "OXLNAME": "Other"})
	e.shop.AddDeliveryAddress(other, map[string]any{"OXSTREET": "Ottoweg"})

	person := []string{"jana.berg@example.com", "Jana", "Berg", "Elbchaussee", "Hinterhaus", "Seestrasse", "Kaiweg",
		"Hamburg", "Zürich", "Kiel", "22763", "24103", "40123456", "1234567", "1990-02-03"}
	if hits := e.shop.FindText(person); len(hits) < 10 {
		t.Fatalf("before the erasure the scan finds only %v", hits)
	}

	eraser, ok := e.conn.(connectors.Eraser)
	if !ok {
		t.Fatal("the OXID connector is no Eraser")
	}
	for _, mode := range []string{connectors.EraseDelete, connectors.EraseAnonymize} {
		outcome, err := eraser.Erase(ctx, connectors.ResourceCustomer, id, mode, "t0k3n")
		if err != nil {
			t.Fatalf("erase (%s): %v", mode, err)
		}
		if outcome != connectors.ErasedAnonymized {
			t.Errorf("erase (%s) reports %q, want anonymized: OXID cannot delete", mode, outcome)
		}
	}
	if hits := e.shop.FindText(person); len(hits) > 0 {
		t.Errorf("after the erasure: %s", strings.Join(hits, "; "))
	}
	for _, n := range []string{"otto.other@example.com", "Other", "Ottoweg"} {
		if hits := e.shop.FindText([]string{n}); len(hits) == 0 {
			t.Errorf("the other customer lost %q", n)
		}
	}
	if _, err := e.conn.(connectors.Fetcher).Fetch(ctx, connectors.ResourceCustomer, id); !errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("erased customer still fetched: %v", err)
	}
	if outcome, err := eraser.Erase(ctx, connectors.ResourceCustomer, oxidtest.NewID(), connectors.EraseDelete, "x"); err != nil || outcome != connectors.ErasedGone {
		t.Errorf("unknown customer: %q %v, want gone", outcome, err)
	}
}
