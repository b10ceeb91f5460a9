package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors/erp/odoo/odootest"
	"github.com/shophub/shophub/connectors/magento/magentotest"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/hub/hubtest"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// pollApp is shophub with one polling connector and no worker: the test
// runs each poll itself, so it decides which edits a poll sees. It needs
// MariaDB (the hub) and Redis, as production does.
func pollApp(t *testing.T, cc config.Connector) *app.App {
	t.Helper()
	rdb, _ := redistest.Client(t)
	cfg := &config.Config{
		File:       "(poll test)",
		Database:   config.Database{Driver: "mysql", DSN: hubtest.MySQLDSN(t)},
		Hub:        config.Hub{DefaultRegion: "DE"},
		Connectors: []config.Connector{cc},
	}
	cfg.ApplyDefaults()
	a, err := app.New(context.Background(), app.Options{Config: cfg, Log: testLogger(), Redis: rdb, Migrate: true})
	if err != nil {
		t.Fatalf("start shophub: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
	})
	return a
}

// pollOnce runs one poll task of instance's customers to its end.
func pollOnce(t *testing.T, a *app.App, instance string) {
	t.Helper()
	task := shsync.NewPollTask(shsync.PollPayload{Instance: instance, Resource: "customer"}, "test")
	if err := a.Handlers.Poll(context.Background(), task); err != nil {
		t.Fatalf("poll %s: %v", instance, err)
	}
}

// hubDoc is the hub's customer with that email (nil when there is none).
func hubDoc(t *testing.T, a *app.App, email string) map[string]any {
	t.Helper()
	c, err := a.Store.CustomerByEmail(context.Background(), email)
	if err != nil {
		return nil
	}
	_, data, err := a.Store.Customer(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sameSecondVendor is a polled vendor whose records the test edits at a
// source time it chooses.
type sameSecondVendor struct {
	name string
	// start returns the connector config and a function that writes the
	// customer's last name at source time at (creating it the first time).
	start func(t *testing.T, email string) (config.Connector, func(last string, at time.Time))
}

var sameSecondVendors = []sameSecondVendor{
	{"oxid", func(t *testing.T, email string) (config.Connector, func(string, time.Time)) {
		shop := oxidtest.New(t)
		id := ""
		return config.Connector{Name: "oxid", Type: "oxid", Settings: map[string]any{"dsn": shop.DSN, "page_size": 10}},
			func(last string, at time.Time) {
				ts := at.UTC().Format(time.DateTime)
				if id == "" {
					id = shop.CreateCustomer(map[string]any{"OXUSERNAME": email, "OXFNAME": "Olga", "OXLNAME": last, "OXTIMESTAMP": ts})
					return
				}
				if err := shop.UpdateCustomer(id, map[string]any{"OXLNAME": last, "OXTIMESTAMP": ts}); err != nil {
					t.Fatal(err)
				}
			}
	}},
	{"magento", func(t *testing.T, email string) (config.Connector, func(string, time.Time)) {
		mage := magentotest.New(magentotest.Options{})
		url := mage.Start()
		t.Cleanup(mage.Close)
		id := ""
		return config.Connector{Name: "magento", Type: "magento",
				Settings: map[string]any{"base_url": url, "access_token": magentotest.DefaultIntegrationToken, "page_size": 10}},
			func(last string, at time.Time) {
				mage.SetNow(at)
				if id == "" {
					id = mage.CreateCustomer(map[string]any{"email": email, "firstname": "Magda", "lastname": last})
					return
				}
				if err := mage.UpdateCustomer(id, map[string]any{"lastname": last}); err != nil {
					t.Fatal(err)
				}
			}
	}},
	{"odoo", func(t *testing.T, email string) (config.Connector, func(string, time.Time)) {
		odoo := odootest.New(odootest.Options{})
		url := odoo.Start()
		t.Cleanup(odoo.Close)
		id := ""
		return config.Connector{Name: "erp", Type: "odoo", Settings: map[string]any{"url": url, "api_key": odootest.DefaultAPIKey,
				"database": odootest.DefaultDatabase, "partners": "individuals", "page_size": 10}},
			func(last string, at time.Time) {
				odoo.SetNow(at)
				if id == "" {
					id = odoo.CreateCustomer(map[string]any{"name": "Olga " + last, "email": email, "customer_rank": 1})
					return
				}
				if err := odoo.UpdateCustomer(id, map[string]any{"name": "Olga " + last}); err != nil {
					t.Fatal(err)
				}
			}
	}},
}

// TestPollSameSecondReEdit is issue 15's first must-show: for OXID,
// Magento and Odoo, a record edited twice in one second — the second edit
// after a poll read the first in that very second — reaches the hub both
// times. A cursor that remembers the ids it read in its second drops the
// second edit for good.
func TestPollSameSecondReEdit(t *testing.T) {
	t.Parallel()
	for _, v := range sameSecondVendors {
		t.Run(v.name, func(t *testing.T) {
			email := "same.second@example.com"
			cc, write := v.start(t, email)
			sec := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
			write("Created", sec.Add(-time.Minute))
			a := pollApp(t, cc)
			pollOnce(t, a, cc.Name)
			if d := hubDoc(t, a, email); d == nil || d["last_name"] != "Created" {
				t.Fatalf("backfill: hub holds %v", d)
			}
			for _, last := range []string{"First", "Second", "Third"} {
				write(last, sec) // the same second every time
				pollOnce(t, a, cc.Name)
				if d := hubDoc(t, a, email); d["last_name"] != last {
					t.Fatalf("edit %q in the second the last poll read: hub holds last_name %v", last, d["last_name"])
				}
			}
			// Polls with nothing new change nothing.
			c, _ := a.Store.CustomerByEmail(context.Background(), email)
			pollOnce(t, a, cc.Name)
			if again, _ := a.Store.CustomerByEmail(context.Background(), email); again.Version != c.Version {
				t.Errorf("an idle poll moved the hub's version from %d to %d", c.Version, again.Version)
			}
		})
	}
}

// TestOXIDZeroTimestampQuarantined: a customer row with OXID's zero
// OXTIMESTAMP (no date reader accepts it, and it sorts first) is
// quarantined once with the reason, and the rest of the shop syncs.
func TestOXIDZeroTimestampQuarantined(t *testing.T) {
	t.Parallel()
	shop := oxidtest.New(t)
	// shop.DB is a pool: write the zero stamp on one connection that has
	// the permissive mode OXID's own schema runs with.
	conn, err := shop.DB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "SET SESSION sql_mode = ''"); err != nil {
		t.Fatal(err)
	}
	bad := shop.CreateCustomer(map[string]any{"OXUSERNAME": "zero@example.com", "OXFNAME": "Zero"})
	if _, err := conn.ExecContext(context.Background(), "UPDATE oxuser SET OXTIMESTAMP = '0000-00-00 00:00:00' WHERE OXID = ?", bad); err != nil {
		t.Fatal(err)
	}
	shop.CreateCustomer(map[string]any{"OXUSERNAME": "good.one@example.com", "OXFNAME": "Good"})
	shop.CreateCustomer(map[string]any{"OXUSERNAME": "good.two@example.com", "OXFNAME": "Fine", "OXBIRTHDATE": "1985-00-00"})

	a := pollApp(t, config.Connector{Name: "oxid", Type: "oxid", Settings: map[string]any{"dsn": shop.DSN, "page_size": 1}})
	for range 3 {
		pollOnce(t, a, "oxid")
	}
	for _, email := range []string{"good.one@example.com", "good.two@example.com"} {
		if hubDoc(t, a, email) == nil {
			t.Errorf("%s never reached the hub past the zero-timestamp row", email)
		}
	}
	if d := hubDoc(t, a, "good.two@example.com"); d != nil && d["birthday"] != nil {
		t.Errorf("a partial birthday 1985-00-00 came through as %v, want it left out", d["birthday"])
	}
	if hubDoc(t, a, "zero@example.com") != nil {
		t.Error("the zero-timestamp row was merged")
	}
	q, err := a.Store.PendingQuarantine(context.Background(), "oxid", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].ExternalID != bad {
		t.Fatalf("quarantine holds %d rows (%v), want the zero-timestamp customer once", len(q), q)
	}
	t.Logf("quarantine reason: %s", q[0].Reason)
}

// TestOdooLateCommitApplied is issue 15's must-show for late commits: Odoo
// stamps write_date with the time a transaction began, so an import that
// began before a poll read past that time commits rows dated behind the
// cursor. The poll's look-back (minutes for Odoo) lists them.
func TestOdooLateCommitApplied(t *testing.T) {
	t.Parallel()
	odoo := odootest.New(odootest.Options{})
	url := odoo.Start()
	t.Cleanup(odoo.Close)
	t0 := time.Now().UTC().Truncate(time.Second).Add(-time.Hour)
	odoo.SetNow(t0)
	late := odoo.CreateCustomer(map[string]any{"name": "Olga Early", "email": "olga.late@example.com", "customer_rank": 1})
	other := odoo.CreateCustomer(map[string]any{"name": "Otto Other", "email": "otto@example.com", "customer_rank": 1})
	a := pollApp(t, config.Connector{Name: "erp", Type: "odoo", Settings: map[string]any{"url": url, "api_key": odootest.DefaultAPIKey,
		"database": odootest.DefaultDatabase, "partners": "individuals", "page_size": 10}})
	pollOnce(t, a, "erp")

	// An import starts at t0+1m and edits Olga; meanwhile a user edits
	// Otto at t0+2m and a poll reads that — past the import's start.
	odoo.SetNow(t0.Add(time.Minute))
	tx := odoo.Begin()
	if err := tx.UpdateCustomer(late, map[string]any{"name": "Olga Late"}); err != nil {
		t.Fatal(err)
	}
	odoo.SetNow(t0.Add(2 * time.Minute))
	if err := odoo.UpdateCustomer(other, map[string]any{"name": "Otto Edited"}); err != nil {
		t.Fatal(err)
	}
	pollOnce(t, a, "erp")
	if d := hubDoc(t, a, "otto@example.com"); d["last_name"] != "Edited" {
		t.Fatalf("the user's edit did not reach the hub: %v", d["last_name"])
	}
	if d := hubDoc(t, a, "olga.late@example.com"); d["last_name"] != "Early" {
		t.Fatalf("an uncommitted write reached the hub: %v", d["last_name"])
	}
	// The import commits at t0+3m; its row says t0+1m, behind the cursor.
	odoo.SetNow(t0.Add(3 * time.Minute))
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if p, _ := odoo.Customer(late); p["write_date"] != t0.Add(time.Minute).Format(odootest.DateLayout) {
		t.Fatalf("committed row's write_date %v is not the transaction's start", p["write_date"])
	}
	pollOnce(t, a, "erp")
	if d := hubDoc(t, a, "olga.late@example.com"); d["last_name"] != "Late" {
		t.Errorf("the late commit never reached the hub: last_name %v", d["last_name"])
	}
}
