package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// manyShop is a shop holding many customers by external id, read by
// Fetch and written by Upsert; a write's time is the shop's clock.
type manyShop struct {
	mu     gosync.Mutex
	first  map[string]string
	at     map[string]time.Time
	writes map[string]int
	// inWrite, when set, runs inside every write (to see who holds what).
	inWrite func(ext string)
}

// emailOf is the email of the shop's customer ext (normalized, as the
// mapping's email transform reads it in).
func emailOf(ext string) string { return strings.ToLower(ext) + "@example.com" }

func newManyShop() *manyShop {
	return &manyShop{first: map[string]string{}, at: map[string]time.Time{}, writes: map[string]int{}}
}

func (s *manyShop) Type() string { return "shop" }
func (s *manyShop) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Patch: true}
}
func (s *manyShop) Connect(context.Context) error { return nil }
func (s *manyShop) Close() error                  { return nil }
func (s *manyShop) Delete(context.Context, string, string) error {
	return nil
}
func (s *manyShop) record(ext string) *connectors.Record {
	return &connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: ext, UpdatedAt: s.at[ext],
		Data: map[string]any{"email": emailOf(ext), "first": s.first[ext]}}
}
func (s *manyShop) Fetch(_ context.Context, _, ext string) (*connectors.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.first[ext]; !ok {
		return nil, connectors.ErrNotFound
	}
	return s.record(ext), nil
}
func (s *manyShop) Upsert(_ context.Context, _, ext string, payload map[string]any) (*connectors.Record, error) {
	if f := s.inWrite; f != nil {
		f(ext)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes[ext]++
	if v, ok := payload["first"].(string); ok {
		s.first[ext], s.at[ext] = v, time.Now()
	}
	return s.record(ext), nil
}

// frontFixture is a hub with n customers linked to one shop, each pushed
// once (version 1) and then changed elsewhere (version 2, first name
// "Neu<i>"), and handlers whose front runs.
type frontFixture struct {
	h     *Handlers
	shop  *manyShop
	store *hub.Store
	ids   []uint64
	exts  []string
	vers  []int64
}

func newFrontFixture(t *testing.T, st *hub.Store, n int) *frontFixture {
	t.Helper()
	ctx := context.Background()
	rdb, _ := redistest.Client(t)
	shop := newManyShop()
	tp := &Touchpoint{Name: "shop", Conn: shop, Mapping: firstNameMapping(t, "shop")}
	q := NewQueue(rdb)
	h := &Handlers{Store: st, Queue: q, Log: slog.New(slog.DiscardHandler), MaxRetry: 3,
		Points: &Touchpoints{byName: map[string]*Touchpoint{"shop": tp}, names: []string{"shop"}},
		Front:  NewPushFront(q, st, 2, 64)}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.Front.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for h.Front.running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	f := &frontFixture{h: h, shop: shop, store: st}
	start := time.Now().Add(-time.Minute)
	for i := range n {
		ext := fmt.Sprintf("S%d", i)
		email := emailOf(ext)
		a, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "shop", Resource: "customer", ExternalID: ext, EventID: ext, SourceAt: start,
			Doc: map[string]any{"email": email, "first_name": "Alt"}}, hub.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		shop.first[ext], shop.at[ext] = "Alt", start
		if _, err := st.Pushed(ctx, a.CustomerID, "shop", "customer", ext, "h1", a.Version,
			map[string]any{"email": email, "first_name": "Alt"}); err != nil {
			t.Fatal(err)
		}
		b, err := st.MergeCustomer(ctx, hub.Inbound{Instance: "crm", Resource: "customer", ExternalID: "C" + ext, EventID: "c" + ext,
			SourceAt: start.Add(10 * time.Second), Doc: map[string]any{"email": email, "first_name": fmt.Sprintf("Neu%d", i)}}, hub.Policy{})
		if err != nil {
			t.Fatal(err)
		}
		f.ids, f.exts, f.vers = append(f.ids, b.CustomerID), append(f.exts, ext), append(f.vers, b.Version)
	}
	return f
}

func (f *frontFixture) push(ctx context.Context, p PushPayload) error {
	b, _ := json.Marshal(p)
	return f.h.Push(ctx, asynq.NewTask(TypePush, b))
}

// locksLeft lists the shophub locks still held.
func (f *frontFixture) locksLeft(t *testing.T) []string {
	t.Helper()
	keys, err := f.h.Queue.Redis.Keys(context.Background(), keyPrefix+"lock:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestPushFrontPushesSideBySide: pushes of many customers started at once
// share their first steps (fewer front batches than pushes), and each
// still ends as a push alone would: the shop holds the hub's value, the
// link records the version, and no lock is left behind.
func TestPushFrontPushesSideBySide(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			const n = 24
			f := newFrontFixture(t, st.Store, n)
			// The writes end together, so their records meet in the
			// front as they do under load.
			var arrived gosync.WaitGroup
			arrived.Add(n)
			together := make(chan struct{})
			go func() {
				arrived.Wait()
				close(together)
			}()
			f.shop.inWrite = func(string) {
				arrived.Done()
				select {
				case <-together:
				case <-time.After(5 * time.Second):
				}
			}
			var wg gosync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					errs[i] = f.push(ctx, PushPayload{Instance: "shop", Resource: "customer", CustomerID: f.ids[i], Version: f.vers[i]})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("push %d: %v", i, err)
				}
			}
			if b := f.h.Front.batches.Load(); b >= n {
				t.Errorf("%d front batches for %d pushes started together: nothing shared", b, n)
			}
			if b := f.h.Front.recorded.Load(); b >= n {
				t.Errorf("%d record batches for %d writes ending together: nothing shared", b, n)
			}
			for i, ext := range f.exts {
				if got, want := f.shop.first[ext], fmt.Sprintf("Neu%d", i); got != want {
					t.Errorf("%s holds %q, want %q", ext, got, want)
				}
				l, err := st.Store.Link(ctx, f.ids[i], "shop", "customer")
				if err != nil {
					t.Fatal(err)
				}
				if l.LastPushedVersion != f.vers[i] {
					t.Errorf("%s: last pushed version %d, want %d", ext, l.LastPushedVersion, f.vers[i])
				}
			}
			if left := f.locksLeft(t); len(left) > 0 {
				t.Errorf("locks left after the pushes: %v", left)
			}
		})
	}
}

// TestPushFrontOneCustomerAtATime: pushes of one customer to one target
// never write side by side, whether they meet in one front batch or not
// (the second waits for the first's lock, as alone), and the customer's
// latest version is what the shop ends with.
func TestPushFrontOneCustomerAtATime(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFrontFixture(t, st.Store, 1)
			var mu gosync.Mutex
			inside, most := 0, 0
			f.shop.inWrite = func(string) {
				mu.Lock()
				inside++
				most = max(most, inside)
				mu.Unlock()
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				inside--
				mu.Unlock()
			}
			// A newer version while the pushes run: each push renders
			// the hub as it finds it.
			var wg gosync.WaitGroup
			errs := make([]error, 6)
			for i := range errs {
				wg.Go(func() {
					errs[i] = f.push(ctx, PushPayload{Instance: "shop", Resource: "customer", CustomerID: f.ids[0], Version: f.vers[0], Force: i%2 == 1})
				})
			}
			v3, err := st.Store.MergeCustomer(ctx, hub.Inbound{Instance: "crm", Resource: "customer", ExternalID: "CS0", EventID: "v3",
				SourceAt: time.Now(), Doc: map[string]any{"email": emailOf("S0"), "first_name": "Dritt"}}, hub.Policy{})
			if err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("push %d: %v", i, err)
				}
			}
			// The version after the pushes is pushed too (the fan-out
			// enqueues it; here by hand).
			if err := f.push(ctx, PushPayload{Instance: "shop", Resource: "customer", CustomerID: f.ids[0], Version: v3.Version}); err != nil {
				t.Fatal(err)
			}
			if most > 1 {
				t.Errorf("%d writes of one customer ran at once, want 1", most)
			}
			if got := f.shop.first["S0"]; got != "Dritt" {
				t.Errorf("the shop holds %q, want the latest (Dritt)", got)
			}
			l, err := st.Store.Link(ctx, f.ids[0], "shop", "customer")
			if err != nil {
				t.Fatal(err)
			}
			if l.LastPushedVersion != v3.Version {
				t.Errorf("last pushed version %d, want %d", l.LastPushedVersion, v3.Version)
			}
			if left := f.locksLeft(t); len(left) > 0 {
				t.Errorf("locks left after the pushes: %v", left)
			}
		})
	}
}

// TestPushFrontWaitsForAHeldLock: a customer lock the front cannot take
// (another worker's push) is waited for as a push alone waits, and the
// record lock an ingest holds likewise; once they are free the push goes
// on, and a push of a customer that is gone does nothing and keeps no
// lock.
func TestPushFrontWaitsForAHeldLock(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			f := newFrontFixture(t, st.Store, 2)
			other, ok, err := f.h.Queue.Lock(ctx, pushLockName(PushPayload{Instance: "shop", Resource: "customer", CustomerID: f.ids[0]}), time.Minute, 0)
			if err != nil || !ok {
				t.Fatalf("lock: %v %v", ok, err)
			}
			record, ok, err := f.h.Queue.Lock(ctx, recordLockName("shop", "customer", f.exts[1]), time.Minute, 0)
			if err != nil || !ok {
				t.Fatalf("record lock: %v %v", ok, err)
			}
			time.AfterFunc(300*time.Millisecond, func() {
				other.Release(ctx)
				record.Release(ctx)
			})
			var wg gosync.WaitGroup
			errs := make([]error, 3)
			for i := range 2 {
				wg.Go(func() {
					errs[i] = f.push(ctx, PushPayload{Instance: "shop", Resource: "customer", CustomerID: f.ids[i], Version: f.vers[i]})
				})
			}
			wg.Go(func() {
				errs[2] = f.push(ctx, PushPayload{Instance: "shop", Resource: "customer", CustomerID: 999999, Version: 1})
			})
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("push %d: %v", i, err)
				}
			}
			for i, ext := range f.exts {
				if got, want := f.shop.first[ext], fmt.Sprintf("Neu%d", i); got != want {
					t.Errorf("%s holds %q, want %q", ext, got, want)
				}
			}
			if left := f.locksLeft(t); len(left) > 0 {
				t.Errorf("locks left after the pushes: %v", left)
			}
		})
	}
}

// TestPushFrontGivesUpALeaseNobodyTakes: a push that stops waiting (its
// context ended) before its batch ran leaves no lock behind.
func TestPushFrontGivesUpALeaseNobodyTakes(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	f := NewPushFront(q, nil, 1, 8)
	r := &frontReq{p: PushPayload{Instance: "shop", Resource: "customer", CustomerID: 7}, done: make(chan struct{}), gone: true}
	ctx := context.Background()
	leases, err := q.TryLockMany(ctx, []string{pushLockName(r.p), "record:x", pushLockName(r.p)}, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if leases[0] == nil || leases[1] == nil || leases[2] != nil {
		t.Fatalf("TryLockMany took %v, want the first two (the third names the first again)", leases)
	}
	f.deliver(r, leases[0], nil, leases[1], "x", nil)
	select {
	case <-r.done:
		t.Error("delivered to a push that stopped waiting")
	default:
	}
	keys, err := rdb.Keys(ctx, keyPrefix+"lock:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		t.Errorf("locks left: %v", keys)
	}
}

// A lease kept (Lease.Keep) outlives its ttl until stopped, then expires.
func TestLeaseKeptOutlivesItsTTL(t *testing.T) {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	ctx := context.Background()
	l, ok, err := q.Lock(ctx, "push:shop:customer:7", 300*time.Millisecond, 0)
	if err != nil || !ok {
		t.Fatalf("lock: %v %v", ok, err)
	}
	stop := l.Keep(ctx)
	time.Sleep(time.Second)
	if held, err := q.Held(ctx, "push:shop:customer:7"); err != nil || !held[0] {
		t.Fatalf("kept lease gone after three ttls (%v, %v)", held, err)
	}
	stop()
	time.Sleep(600 * time.Millisecond)
	if held, err := q.Held(ctx, "push:shop:customer:7"); err != nil || held[0] {
		t.Errorf("lease still held after stop and a ttl (%v, %v)", held, err)
	}
	var none *Lease
	none.Keep(ctx)() // no lease: nothing to keep
}
