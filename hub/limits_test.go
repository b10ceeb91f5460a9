package hub_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// longEmail is an address of exactly n characters.
func longEmail(n int) string {
	domain := ".example.com"
	return "a@" + strings.Repeat("d", n-2-len(domain)) + domain
}

// TestColumnLimitsUpgradeMariaDB starts from the schema of the previous
// release (names and ids varchar(191), emails varchar(254)), migrates it,
// and merges values as long as vendors allow: they must fit on MariaDB,
// which refuses ("Data too long") what SQLite silently keeps.
func TestColumnLimitsUpgradeMariaDB(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, err := hub.Open(ctx, "mysql", hubtest.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	// The previous release made its tables with AutoMigrate (no
	// schema_migrations); shophub migrate adopts them below.
	if err := s.AutoMigrate(ctx); err != nil {
		t.Fatal(err)
	}
	old := []string{
		"ALTER TABLE customers MODIFY email varchar(254), MODIFY first_name varchar(191), MODIFY last_name varchar(191)",
		"ALTER TABLE links MODIFY external_id varchar(191) NOT NULL",
		"ALTER TABLE orders MODIFY external_id varchar(191) NOT NULL, MODIFY customer_ref varchar(191), MODIFY customer_email varchar(254)",
		"ALTER TABLE tickets MODIFY external_id varchar(191) NOT NULL",
		"ALTER TABLE quarantine MODIFY external_id varchar(191), MODIFY event_id varchar(191)",
	}
	for _, q := range old {
		if err := s.DB().Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := mustMerge(t, s, hub.Policy{}, in("shopify", "1", t0, map[string]any{"email": "old@example.com", "first_name": "Old"}))

	// A 255-character name does not fit the old schema.
	name := strings.Repeat("N", 255)
	if _, err := s.MergeCustomer(ctx, in("shopify", "2", t0, map[string]any{"first_name": name}), hub.Policy{}); err == nil {
		t.Fatal("old schema took a 255-character name; the test does not start from the old schema")
	}

	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate the old schema: %v", err)
	}
	want := map[string]int64{
		"customers.email": 320, "customers.first_name": 255, "customers.last_name": 255,
		"links.external_id": 255, "orders.external_id": 255, "orders.customer_ref": 255, "orders.customer_email": 320,
		"tickets.external_id": 255, "quarantine.external_id": 255, "quarantine.event_id": 255,
	}
	for col, n := range want {
		table, column, _ := strings.Cut(col, ".")
		var got int64
		if err := s.DB().Raw(`SELECT CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?`, table, column).Scan(&got).Error; err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s holds %d characters after migrate, want %d", col, got, n)
		}
	}
	if data, _ := profile(t, s, before.CustomerID); data["first_name"] != "Old" {
		t.Errorf("existing customer after migrate: %v", data)
	}

	tests := []struct {
		name    string
		ext     string
		doc     map[string]any
		tooLong string // field named by the error; "" merges
	}{
		{"255-character names", "names", map[string]any{"first_name": name, "last_name": strings.Repeat("ä", 255)}, ""},
		{"320-character email", "email", map[string]any{"email": longEmail(320)}, ""},
		{"255-character external id", strings.Repeat("x", 255), map[string]any{"first_name": "Id"}, ""},
		{"256-character name", "long-name", map[string]any{"first_name": strings.Repeat("N", 256)}, "first_name"},
		{"321-character email", "long-email", map[string]any{"email": longEmail(321)}, "email"},
		{"256-character external id", strings.Repeat("x", 256), map[string]any{"first_name": "Id"}, "external id"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.MergeCustomer(ctx, in("shopify", tc.ext, t0, tc.doc), hub.Policy{})
			if tc.tooLong != "" {
				if !errors.Is(err, hub.ErrTooLong) || !strings.Contains(err.Error(), tc.tooLong) {
					t.Fatalf("merge: %v, want ErrTooLong naming %s", err, tc.tooLong)
				}
				return
			}
			if err != nil {
				t.Fatalf("merge: %v", err)
			}
			data, _ := profile(t, s, res.CustomerID)
			for k, v := range tc.doc {
				if data[k] != v {
					t.Errorf("%s: hub holds %q, want %q", k, data[k], v)
				}
			}
		})
	}

	// The backstop: a column without a check of its own (the order's
	// customer_ref is cut; its number column is not checked) still
	// quarantines on MariaDB instead of retrying.
	if err := s.DB().Exec("ALTER TABLE orders MODIFY number varchar(4)").Error; err != nil {
		t.Fatal(err)
	}
	_, err = s.MergeOrder(ctx, hub.OrderInbound{Instance: "shopify", ExternalID: strings.Repeat("o", 255), SourceAt: t0,
		Doc: order(t, map[string]any{"number": "#12345", "customer_email": longEmail(320), "total": "1.00", "placed_at": "2025-03-01T10:00:00Z"})})
	if !errors.Is(err, hub.ErrTooLong) {
		t.Fatalf("order with a value too long for its column: %v, want ErrTooLong", err)
	}
}
