package hub_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A merge that waits for its customer's lock decides on the link as it is
// when the lock is granted, not as it was before the wait: it writes the
// link back whole. Before the links were locked with the read, a deletion
// marked meanwhile was undone by that write, and an older record of the
// same link, merged after a newer one, wrote its older baseline back.
func TestMergeWaitingForItsCustomerSeesItsLinkAsItIsNow(t *testing.T) {
	t.Parallel()
	if os.Getenv(hubtest.EnvMySQL) == "" {
		t.Skip(hubtest.EnvMySQL + " is not set: the race is MariaDB's (SQLite runs one transaction at a time)")
	}
	s := hubtest.MySQL(t)
	ctx := context.Background()

	// holdCustomer plays another merge of the customer up to its commit.
	holdCustomer := func(id uint64) func() {
		tx := s.DB().Begin()
		t.Cleanup(func() { tx.Rollback() })
		if err := tx.Exec("SELECT id FROM customers WHERE id = ? FOR UPDATE", id).Error; err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := tx.Commit().Error; err != nil {
				t.Fatal(err)
			}
		}
	}
	mergeAsync := func(x hub.Inbound) chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			if _, err := s.MergeCustomer(ctx, x, hub.Policy{}); err != nil {
				t.Error(err)
			}
		}()
		return done
	}
	link := func(ext string) hub.Link {
		var l hub.Link
		if err := s.DB().Where("instance = ? AND external_id = ?", "shopify", ext).Take(&l).Error; err != nil {
			t.Fatal(err)
		}
		return l
	}
	const wait = 300 * time.Millisecond // the goroutine is waiting for a lock by then

	t.Run("deletion marked meanwhile", func(t *testing.T) {
		id := mustMerge(t, s, hub.Policy{}, in("shopify", "del", t0, map[string]any{"email": "del@example.com", "first_name": "A"})).CustomerID
		commit := holdCustomer(id)
		merged := mergeAsync(in("shopify", "del", t0.Add(time.Minute), map[string]any{"email": "del@example.com", "first_name": "B"}))
		time.Sleep(wait)
		marked := make(chan struct{})
		go func() {
			defer close(marked)
			if _, _, _, err := s.MarkDeleted(ctx, "shopify", "customer", "del", t0.Add(2*time.Minute), "webhook customers/delete"); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(wait)
		commit()
		<-merged
		<-marked
		if l := link("del"); l.VendorDeletedAt == nil || !l.VendorDeletedAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("link after the merge and the deletion: deleted at %v, want %v", l.VendorDeletedAt, t0.Add(2*time.Minute))
		}
	})

	t.Run("older record merged after a newer one", func(t *testing.T) {
		id := mustMerge(t, s, hub.Policy{}, in("shopify", "old", t0, map[string]any{"email": "old@example.com", "first_name": "A"})).CustomerID
		commit := holdCustomer(id)
		newer := mergeAsync(in("shopify", "old", t0.Add(2*time.Minute), map[string]any{"email": "old@example.com", "first_name": "C"}))
		time.Sleep(wait)
		older := mergeAsync(in("shopify", "old", t0.Add(time.Minute), map[string]any{"email": "old@example.com", "first_name": "B"}))
		time.Sleep(wait)
		commit()
		<-newer
		<-older
		if l := link("old"); l.LastInboundAt == nil || !l.LastInboundAt.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("link's last record at %v, want the newer one's %v", l.LastInboundAt, t0.Add(2*time.Minute))
		}
		if data, _ := profile(t, s, id); data["first_name"] != "C" {
			t.Errorf("first_name %v, want the newer record's C", data["first_name"])
		}
	})
}
