package hub_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// An order update merged while an erasure of its person commits: the
// merge waits for the erasure's lock on the order, then finds the order's
// tombstone and writes nothing. It checked the tombstones before its
// locking read and, the row gone after the wait, inserted the erased
// order again with the person's data in it.
func TestOrderMergedDuringErasureStaysErased(t *testing.T) {
	t.Parallel()
	if os.Getenv(hubtest.EnvMySQL) == "" {
		t.Skip(hubtest.EnvMySQL + " is not set: the race is MariaDB's (SQLite runs one transaction at a time)")
	}
	s := hubtest.MySQL(t)
	ctx := context.Background()
	doc := order(t, map[string]any{"customer_email": "weg@example.com", "total": "20.00"})
	mergeOrder(t, s, "shop", "O1", t0, doc)

	// The erasure's transaction, up to its commit: the order row locked and
	// deleted, its tombstone written.
	tx := s.DB().Begin()
	defer tx.Rollback()
	if err := tx.Exec("SELECT id FROM orders WHERE instance = ? AND external_id = ? FOR UPDATE", "shop", "O1").Error; err != nil {
		t.Fatal(err)
	}
	if err := tx.Where("instance = ? AND external_id = ?", "shop", "O1").Delete(&hub.Order{}).Error; err != nil {
		t.Fatal(err)
	}
	if err := tx.Create(&hub.Tombstone{Hash: s.TombstoneKey("shop", "order", "O1"), RequestID: 1}).Error; err != nil {
		t.Fatal(err)
	}
	updated := order(t, map[string]any{"customer_email": "weg@example.com", "total": "25.00"})
	done := make(chan hub.OrderResult, 1)
	go func() {
		r, err := s.MergeOrder(ctx, hub.OrderInbound{Instance: "shop", ExternalID: "O1", EventID: "late", SourceAt: t0.Add(time.Minute), Doc: updated})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(300 * time.Millisecond) // the merge is waiting for the order's lock
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	r := <-done
	if n := countRows(t, s, &hub.Order{}); n != 0 || !r.Erased {
		t.Errorf("after the erasure: %d orders, result %+v; want none and Erased", n, r)
	}
}
