// Package oxidtest is the OXID eShop emulator: a real MariaDB/MySQL
// database with OXID's own table definitions (schema.sql) and helpers that
// write SQL the way OXID's admin and storefront do, so OXTIMESTAMP moves by
// itself. Tests that use it need the server named by
// SHOPHUB_TEST_MYSQL_DSN and skip, saying so, without it (CI sets it).
package oxidtest

import (
	"crypto/md5"
	"crypto/rand"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// EnvMySQL names the test server, e.g. root@tcp(127.0.0.1:3306)/.
const EnvMySQL = "SHOPHUB_TEST_MYSQL_DSN"

//go:embed schema.sql
var schema string

// Country ids from OXID's initial data (schema.sql seeds them).
const (
	CountryDE = "a7c40f631fc920687.20179984"
	CountryAT = "a7c40f6320aeb2ec2.72885259"
	CountryCH = "a7c40f6321c6f6109.43859248"
)

// PasswordHash is the OXPASSWORD every seeded customer has (a bcrypt hash
// as OXID 7 stores them); tests check shophub never changes it.
const PasswordHash = "$2y$10$Q3nS4d0wq6o0m8cK2Fq0Yu8gk3y0b3l1n6m0R6J8H2L3r7T1p9v2e"

func adminConfig(t testing.TB, base string) *mysql.Config {
	t.Helper()
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	cfg.DBName = ""
	return cfg
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Create makes a fresh OXID database on the test server with the tables of
// schema.sql and OXID's countries, drops it when the test ends, and returns
// its DSN (as root of the test server).
func Create(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvMySQL)
	if base == "" {
		t.Skipf("needs a MySQL/MariaDB server for the OXID database: set %s (CI sets it), e.g. %s='root@tcp(127.0.0.1:3306)/'", EnvMySQL, EnvMySQL)
	}
	return CreateOn(t, base)
}

// CreateOn is Create on the server of the DSN base (its administrator's),
// e.g. a test's own server configured as a shop's would be.
func CreateOn(t testing.TB, base string) string {
	t.Helper()
	admin := adminConfig(t, base)
	name := "oxid_t_" + randomHex(6)
	t.Cleanup(func() { dropDatabase(admin, name) })
	dsn, err := createDatabase(admin, name)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// Provision makes the OXID database name on the server of the DSN base
// outside a test (shophub dev): an existing one of that name is dropped
// first, so every start begins with a fresh shop. It returns its DSN.
func Provision(base, name string) (string, error) {
	admin, err := mysql.ParseDSN(base)
	if err != nil {
		return "", fmt.Errorf("oxid database server: %w", err)
	}
	admin.DBName = ""
	dropDatabase(admin, name)
	return createDatabase(admin, name)
}

func createDatabase(admin *mysql.Config, name string) (string, error) {
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w", admin.Addr, err)
	}
	defer db.Close()
	// OXID's setup creates its database as utf8 (MariaDB's utf8mb3).
	if _, err := db.Exec("CREATE DATABASE `" + name + "` CHARACTER SET utf8mb3 COLLATE utf8mb3_general_ci"); err != nil {
		return "", fmt.Errorf("create OXID database %s: %w", name, err)
	}
	cfg := admin.Clone()
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	if err := load(dsn); err != nil {
		return "", fmt.Errorf("load OXID schema: %w", err)
	}
	return dsn, nil
}

func dropDatabase(admin *mysql.Config, name string) {
	db, err := sql.Open("mysql", admin.FormatDSN())
	if err == nil {
		_, _ = db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
		_ = db.Close()
	}
}

func load(dsn string) error {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// As OXID's own schema file does: zero dates are OXID's defaults.
	if _, err := db.Exec("SET SESSION sql_mode = ''"); err != nil {
		return err
	}
	var lines []string
	for l := range strings.SplitSeq(schema, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			lines = append(lines, l)
		}
	}
	for stmt := range strings.SplitSeq(strings.Join(lines, "\n"), ";\n") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("%w in %.80s", err, strings.TrimSpace(stmt))
		}
	}
	return nil
}

// RestrictedDSN creates a database user with exactly the grants README.md
// documents (SELECT, INSERT, UPDATE on oxuser, oxaddress and
// oxnewssubscribed; SELECT on oxcountry) and returns a DSN for it. The
// user is dropped when the test ends.
func RestrictedDSN(t testing.TB, dsn string) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	user, pass := "shophub_"+randomHex(4), randomHex(12)
	stmts := []string{fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, pass)}
	for _, g := range Grants(cfg.DBName, user, "%") {
		stmts = append(stmts, g)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", dsn)
		if err == nil {
			_, _ = db.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", user))
			_ = db.Close()
		}
	})
	r := cfg.Clone()
	r.User, r.Passwd = user, pass
	return r.FormatDSN()
}

// Grants are the statements README.md documents for the connector's user.
func Grants(database, user, host string) []string {
	var out []string
	for _, tbl := range []string{"oxuser", "oxaddress", "oxnewssubscribed"} {
		out = append(out, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE ON `%s`.`%s` TO '%s'@'%s'", database, tbl, user, host))
	}
	for _, tbl := range []string{"oxcountry", "oxorder", "oxorderarticles", "oxpayments"} {
		out = append(out, fmt.Sprintf("GRANT SELECT ON `%s`.`%s` TO '%s'@'%s'", database, tbl, user, host))
	}
	return out
}

// Failer is what a Shop reports a broken emulator to: a test's testing.TB,
// or Attach's caller outside tests.
type Failer interface {
	Helper()
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// Shop is one emulated OXID shop (OXSHOPID 1) over a test database.
type Shop struct {
	t   Failer
	DSN string
	DB  *sql.DB
	seq int
}

// New creates a fresh database (see Create) and opens it.
func New(t testing.TB) *Shop { return Open(t, Create(t)) }

// Open wraps an existing OXID test database.
func Open(t testing.TB, dsn string) *Shop {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return &Shop{t: t, DSN: dsn, DB: db}
}

// Attach wraps an OXID database outside a test (shophub dev); f hears of a
// failed write, and the caller closes Shop.DB.
func Attach(dsn string, f Failer) (*Shop, error) {
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		return nil, err
	}
	return &Shop{t: f, DSN: dsn, DB: db}, nil
}

// NewID returns an id as OXID's UtilsObject::generateUId does: the md5 of
// a unique string, 32 hex characters.
func NewID() string {
	sum := md5.Sum([]byte(randomHex(16) + time.Now().String()))
	return hex.EncodeToString(sum[:])
}

func (s *Shop) exec(q string, args ...any) {
	s.t.Helper()
	if _, err := s.DB.Exec(q, args...); err != nil {
		s.t.Fatalf("oxid emulator: %s: %v", q, err)
	}
}

func sortedKeys(fields map[string]any) []string {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func (s *Shop) insert(table string, fields map[string]any) {
	s.t.Helper()
	keys := sortedKeys(fields)
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = fields[k]
		keys[i] = "`" + k + "`"
	}
	s.exec("INSERT INTO "+table+" ("+strings.Join(keys, ", ")+") VALUES ("+strings.TrimSuffix(strings.Repeat("?, ", len(keys)), ", ")+")", args...)
}

func (s *Shop) update(table, id string, fields map[string]any) error {
	keys := sortedKeys(fields)
	set := make([]string, len(keys))
	args := make([]any, 0, len(keys)+1)
	for i, k := range keys {
		set[i] = "`" + k + "` = ?"
		args = append(args, fields[k])
	}
	args = append(args, id)
	res, err := s.DB.Exec("UPDATE "+table+" SET "+strings.Join(set, ", ")+" WHERE OXID = ?", args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var one int
		if s.DB.QueryRow("SELECT 1 FROM "+table+" WHERE OXID = ?", id).Scan(&one) != nil {
			return fmt.Errorf("oxid emulator: no %s row %s", table, id)
		}
	}
	return nil
}

// Zone is the time zone of the emulated shop's PHP, in which OXID writes
// its datetime columns (the connector's time_zone default).
var Zone = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return time.UTC
	}
	return l
}()

func now() string { return time.Now().In(Zone).Format("2006-01-02 15:04:05") }

// CreateCustomer registers a customer as OXID's storefront does: a new
// md5 id, rights 'user', shop 1, a password hash, 1000 credit points
// (OXBONI), creation and registration time; the customer number comes
// from OXCUSTNR's AUTO_INCREMENT. fields (column → value) override.
func (s *Shop) CreateCustomer(fields map[string]any) string {
	s.t.Helper()
	s.seq++
	id := NewID()
	row := map[string]any{
		"OXID": id, "OXACTIVE": 1, "OXRIGHTS": "user", "OXSHOPID": 1,
		"OXUSERNAME": fmt.Sprintf("kunde%d-%s@example.com", s.seq, id[:6]), "OXPASSWORD": PasswordHash, "OXPASSSALT": "",
		"OXFNAME": "Kunde", "OXLNAME": fmt.Sprintf("Nummer %d", s.seq), "OXSAL": "MR",
		"OXSTREET": "Bahnhofstraße", "OXSTREETNR": fmt.Sprint(s.seq), "OXZIP": "79098", "OXCITY": "Freiburg",
		"OXCOUNTRYID": CountryDE, "OXBONI": 1000, "OXCREATE": now(), "OXREGISTER": now(),
	}
	for k, v := range fields {
		row[k] = v
	}
	s.insert("oxuser", row)
	return row["OXID"].(string)
}

// DeleteCustomer deletes a customer as OXID's admin does (User::delete):
// the oxuser row, its delivery addresses and its newsletter subscription
// go; nothing is left to poll, and OXID tells nobody.
func (s *Shop) DeleteCustomer(id string) {
	s.t.Helper()
	s.exec("DELETE FROM oxaddress WHERE OXUSERID = ?", id)
	s.exec("DELETE FROM oxnewssubscribed WHERE OXUSERID = ?", id)
	s.exec("DELETE FROM oxuser WHERE OXID = ?", id)
}

// Register signs a customer up in the storefront as OXID's
// User::createUser does: an account of that email in this shop without a
// password — a guest of OXID's checkout, and every account shophub creates
// — is deleted with its addresses and newsletter row (User::delete), and a
// new account with a new OXID, a new customer number and a password is
// created. fields override the new row's columns. It returns the new id.
func (s *Shop) Register(email string, fields map[string]any) string {
	s.t.Helper()
	var guest string
	_ = s.DB.QueryRow("SELECT OXID FROM oxuser WHERE OXUSERNAME = ? AND OXPASSWORD = '' AND OXSHOPID = 1", email).Scan(&guest)
	if guest != "" {
		s.DeleteCustomer(guest)
	}
	row := map[string]any{"OXUSERNAME": email}
	for k, v := range fields {
		row[k] = v
	}
	return s.CreateCustomer(row)
}

// ForgotPassword reports whether OXID's "forgot password" finds an account
// for email (Email::getUserIdByUserName): an active one in this shop with
// a password. A guest gets no reset mail.
func (s *Shop) ForgotPassword(email string) bool {
	s.t.Helper()
	var id string
	err := s.DB.QueryRow("SELECT OXID FROM oxuser WHERE OXACTIVE = 1 AND OXUSERNAME = ? AND OXPASSWORD != '' AND OXSHOPID = 1", email).Scan(&id)
	return err == nil
}

// Seed creates n customers and returns their ids in creation order.
func (s *Shop) Seed(n int) []string {
	s.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.CreateCustomer(nil)
	}
	return ids
}

// UpdateCustomer changes oxuser columns as OXID's admin saves a user.
func (s *Shop) UpdateCustomer(id string, fields map[string]any) error {
	return s.update("oxuser", id, fields)
}

// AddDeliveryAddress adds an oxaddress row to a customer, as the
// storefront's "add delivery address" does, and returns its id.
func (s *Shop) AddDeliveryAddress(userID string, fields map[string]any) string {
	s.t.Helper()
	row := map[string]any{
		"OXID": NewID(), "OXUSERID": userID, "OXADDRESSUSERID": "", "OXSAL": "MR",
		"OXFNAME": "Kunde", "OXLNAME": "Lieferung", "OXSTREET": "Lieferweg", "OXSTREETNR": "1",
		"OXZIP": "10115", "OXCITY": "Berlin", "OXCOUNTRYID": CountryDE,
	}
	for k, v := range fields {
		row[k] = v
	}
	s.insert("oxaddress", row)
	return row["OXID"].(string)
}

// UpdateDeliveryAddress changes an oxaddress row.
func (s *Shop) UpdateDeliveryAddress(id string, fields map[string]any) error {
	return s.update("oxaddress", id, fields)
}

// Subscribe sets a customer's newsletter status as OXID's
// NewsSubscribed::setOptInStatus does: 1 subscribed, 0 unsubscribed, 2
// waiting for the double opt-in; it creates the row on first use. As in
// OXID, OXSUBSCRIBED is written only when the row is inserted, and
// OXUNSUBSCRIBED only when a subscription (or a pending one) ends: a
// re-subscription changes neither date.
func (s *Shop) Subscribe(userID string, status int) {
	s.t.Helper()
	var nid, email string
	var was int
	if err := s.DB.QueryRow("SELECT OXUSERNAME FROM oxuser WHERE OXID = ?", userID).Scan(&email); err != nil {
		s.t.Fatalf("oxid emulator: subscribe %s: %v", userID, err)
	}
	_ = s.DB.QueryRow("SELECT OXID, OXDBOPTIN FROM oxnewssubscribed WHERE OXUSERID = ?", userID).Scan(&nid, &was)
	fields := map[string]any{"OXDBOPTIN": status}
	if nid == "" {
		fields["OXSUBSCRIBED"] = now()
	} else if status == 0 && was != 0 {
		fields["OXUNSUBSCRIBED"] = now()
	}
	if nid != "" {
		if err := s.update("oxnewssubscribed", nid, fields); err != nil {
			s.t.Fatal(err)
		}
		return
	}
	fields["OXID"], fields["OXUSERID"], fields["OXEMAIL"], fields["OXSHOPID"] = NewID(), userID, email, 1
	s.insert("oxnewssubscribed", fields)
}

func (s *Shop) rows(q string, args ...any) []map[string]any {
	s.t.Helper()
	rows, err := s.DB.Query(q, args...)
	if err != nil {
		s.t.Fatalf("oxid emulator: %s: %v", q, err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	var out []map[string]any
	for rows.Next() {
		raw := make([]sql.RawBytes, len(names))
		ptrs := make([]any, len(names))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			s.t.Fatal(err)
		}
		m := make(map[string]any, len(names))
		for i, n := range names {
			m[n] = string(raw[i])
		}
		out = append(out, m)
	}
	return out
}

// Customer returns the whole oxuser row (every column as its text form,
// secrets included) and whether it exists.
func (s *Shop) Customer(id string) (map[string]any, bool) {
	s.t.Helper()
	r := s.rows("SELECT * FROM oxuser WHERE OXID = ?", id)
	if len(r) == 0 {
		return nil, false
	}
	return r[0], true
}

// Addresses returns a customer's oxaddress rows by OXID.
func (s *Shop) Addresses(userID string) []map[string]any {
	s.t.Helper()
	return s.rows("SELECT * FROM oxaddress WHERE OXUSERID = ? ORDER BY OXID", userID)
}

// Newsletter returns a customer's oxnewssubscribed row.
func (s *Shop) Newsletter(userID string) (map[string]any, bool) {
	s.t.Helper()
	r := s.rows("SELECT * FROM oxnewssubscribed WHERE OXUSERID = ?", userID)
	if len(r) == 0 {
		return nil, false
	}
	return r[0], true
}

// Count is the number of customers (OXRIGHTS 'user') of shop 1.
func (s *Shop) Count() int {
	s.t.Helper()
	var n int
	if err := s.DB.QueryRow("SELECT COUNT(*) FROM oxuser WHERE OXSHOPID = 1 AND OXRIGHTS = 'user'").Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// CreateAdmin adds a shop administrator (OXRIGHTS 'malladmin'), which
// shophub must neither list nor write.
func (s *Shop) CreateAdmin(email string) string {
	s.t.Helper()
	return s.CreateCustomer(map[string]any{"OXRIGHTS": "malladmin", "OXUSERNAME": email})
}

// FindText returns "table.column holds needle" for every value in every
// table of the shop's database that contains one of needles (case-
// insensitive): what an erasure must leave nothing of.
func (s *Shop) FindText(needles []string) []string {
	s.t.Helper()
	var tables []string
	for _, r := range s.rows("SHOW TABLES") {
		for _, v := range r {
			tables = append(tables, fmt.Sprint(v))
		}
	}
	if len(tables) < 4 {
		s.t.Fatalf("oxid emulator: only tables %v", tables)
	}
	var hits []string
	for _, tbl := range tables {
		for _, r := range s.rows("SELECT * FROM `" + tbl + "`") {
			for col, v := range r {
				low := strings.ToLower(fmt.Sprint(v))
				for _, n := range needles {
					if strings.Contains(low, strings.ToLower(n)) {
						hits = append(hits, fmt.Sprintf("%s.%s holds %q", tbl, col, n))
					}
				}
			}
		}
	}
	sort.Strings(hits)
	return hits
}
