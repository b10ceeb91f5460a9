package oxid_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/oxid/oxidtest"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/mappings"
)

// mysql8Modes is MySQL 8's default sql_mode (MariaDB accepts each mode).
const mysql8Modes = "STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY"

// TestStrictServerSQLMode: on a server whose global sql_mode is MySQL 8's
// default, the connector still creates customers (OXID's schema defaults
// OXREGISTER to a zero date), updates them and clears a birthday (OXID's
// zero date), because it runs its sessions with OXID's own empty
// sql_mode. The server is the test's own: the shared one's global mode is
// not this test's to change.
func TestStrictServerSQLMode(t *testing.T) {
	oxidtest.Create(t) // skips without the shared server, as every OXID test
	srv := hubtest.StartMariaDB(t)
	admin, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("SET GLOBAL sql_mode = '" + mysql8Modes + "'"); err != nil {
		t.Fatal(err)
	}
	shop := oxidtest.Open(t, oxidtest.CreateOn(t, srv.DSN("")))
	var mode string
	if err := shop.DB.QueryRow("SELECT @@SESSION.sql_mode").Scan(&mode); err != nil || len(strings.Split(mode, ",")) != len(strings.Split(mysql8Modes, ",")) {
		t.Fatalf("a new session's sql_mode is %q (%v), want the strict default", mode, err)
	}
	e := &pushEnv{shop: shop, m: defaultMapping(t)}
	e.conn = build(t, map[string]any{"dsn": oxidtest.RestrictedDSN(t, shop.DSN)})
	e.w = e.conn.(connectors.Writer)

	created := e.push(t, "", fullDoc)
	row, ok := shop.Customer(created.ExternalID)
	if !ok || row["OXLNAME"] != "Berg" || row["OXBIRTHDATE"] != "1990-02-03" {
		t.Fatalf("created row %v", row)
	}
	doc := mappings.Doc{}
	for k, v := range fullDoc {
		doc[k] = v
	}
	doc["last_name"], doc["birthday"] = "Berg-Olsen", ""
	e.push(t, created.ExternalID, doc)
	row, _ = shop.Customer(created.ExternalID)
	if row["OXLNAME"] != "Berg-Olsen" || row["OXBIRTHDATE"] != "0000-00-00" {
		t.Errorf("updated row: OXLNAME %v OXBIRTHDATE %v, want Berg-Olsen and OXID's empty date", row["OXLNAME"], row["OXBIRTHDATE"])
	}
}
