package hub_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A merge locks the customers it may touch and no others, however the
// server plans its locking reads. The propagate bench found MariaDB
// reading the whole customers table for the merge's one statement (linked
// ids OR the records' emails, then ordered by id), locking every row:
// every merge waited for any other's commit. The store here plans without
// index merges, so a read joining the conditions with OR can only scan.
func TestMergeLocksOnlyItsCustomers(t *testing.T) {
	cfg, err := mysqldrv.ParseDSN(hubtest.MySQLDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["optimizer_switch"] = "'index_merge=off'"
	s, err := hub.Open(context.Background(), "mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := make([]uint64, 20)
	for i := range ids {
		ids[i] = mustMerge(t, s, hub.Policy{}, in("shopify", fmt.Sprint(i), t0, map[string]any{"email": fmt.Sprintf("c%d@example.com", i), "first_name": "F"})).CustomerID
	}

	// Another transaction holds the first customer.
	tx := s.DB().Begin()
	t.Cleanup(func() { tx.Rollback() })
	if err := tx.Exec("SELECT id FROM customers WHERE id = ? FOR UPDATE", ids[0]).Error; err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	res, err := s.MergeCustomer(ctx, in("shopify", "7", t0.Add(time.Minute), map[string]any{"email": "c7@example.com", "first_name": "G"}), hub.Policy{})
	if err != nil {
		t.Fatalf("merge of another customer while the first is locked: %v (after %v)", err, time.Since(start))
	}
	if res.CustomerID != ids[7] || len(res.Changed) == 0 {
		t.Errorf("merge: %+v, want customer %d changed", res, ids[7])
	}
}
