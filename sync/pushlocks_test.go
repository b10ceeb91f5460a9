package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// lockShop is a shop that makes its records' ids (Fetch, Upsert); lockNamer
// lets the pipeline name them (connectors.Namer). Their hooks run inside
// the writes, to see which locks a push holds there.
type lockShop struct {
	mu          gosync.Mutex
	first       map[string]string
	n           int
	onWrite     func(ext string) // in every write, ext "" for a create
	afterCreate func(ext string)
	createErr   error
}

func (s *lockShop) Type() string { return "shop" }
func (s *lockShop) Capabilities() connectors.Capabilities {
	return connectors.Capabilities{Patch: true}
}
func (s *lockShop) Connect(context.Context) error                { return nil }
func (s *lockShop) Close() error                                 { return nil }
func (s *lockShop) Delete(context.Context, string, string) error { return nil }
func (s *lockShop) rec(ext string) *connectors.Record {
	return &connectors.Record{Resource: "customer", ExternalID: ext, UpdatedAt: time.Now(),
		Data: map[string]any{"email": "p@example.com", "first": s.first[ext]}}
}
func (s *lockShop) Fetch(_ context.Context, _, ext string) (*connectors.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.first[ext]; !ok {
		return nil, connectors.ErrNotFound
	}
	return s.rec(ext), nil
}
func (s *lockShop) write(ext string, payload map[string]any) (*connectors.Record, error) {
	if s.onWrite != nil {
		s.onWrite(ext)
	}
	s.mu.Lock()
	if ext == "" {
		if s.createErr != nil {
			s.mu.Unlock()
			return nil, s.createErr
		}
		s.n++
		ext = fmt.Sprintf("N%d", s.n)
	} else if _, ok := s.first[ext]; !ok {
		s.mu.Unlock()
		return nil, connectors.ErrNotFound
	}
	v, _ := payload["first"].(string)
	s.first[ext] = v
	r := s.rec(ext)
	s.mu.Unlock()
	if s.afterCreate != nil {
		s.afterCreate(ext)
	}
	return r, nil
}
func (s *lockShop) Upsert(_ context.Context, _, ext string, p map[string]any) (*connectors.Record, error) {
	return s.write(ext, p)
}

type lockNamer struct{ *lockShop }

func (s lockNamer) NewExternalID(string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return fmt.Sprintf("U%d", s.n)
}
func (s lockNamer) CreateAs(_ context.Context, _, id string, p map[string]any) (*connectors.Record, error) {
	if s.onWrite != nil {
		s.onWrite(id)
	}
	s.mu.Lock()
	if s.createErr != nil {
		s.mu.Unlock()
		return nil, s.createErr
	}
	s.first[id], _ = p["first"].(string)
	r := s.rec(id)
	s.mu.Unlock()
	return r, nil
}

func lockHandlers(t *testing.T, st *hub.Store, conn connectors.Connector, policy string) *Handlers {
	rdb, _ := redistest.Client(t)
	q := NewQueue(rdb)
	tp := &Touchpoint{Name: "shop", Conn: conn, Mapping: firstNameMapping(t, "shop"), Config: config.Connector{OnDelete: policy}}
	h := &Handlers{Store: st, Queue: q, Log: slog.New(slog.DiscardHandler), MaxRetry: 3,
		Points: &Touchpoints{byName: map[string]*Touchpoint{"shop": tp}, names: []string{"shop"}},
		Front:  NewPushFront(q, st, 2, 64)}
	runCtx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { h.Front.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for h.Front.running.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	return h
}

func lockPush(ctx context.Context, h *Handlers, id uint64, v int64) error {
	b, _ := json.Marshal(PushPayload{Instance: "shop", Resource: "customer", CustomerID: id, Version: v})
	return h.Push(ctx, asynq.NewTask(TypePush, b))
}

func locks(t *testing.T, h *Handlers) []string {
	keys, err := h.Queue.Redis.Keys(context.Background(), keyPrefix+"lock:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// lockCustomer merges a customer from a CRM (no link to shop).
func lockCustomer(t *testing.T, st *hub.Store, first string) hub.Result {
	r, err := st.MergeCustomer(context.Background(), hub.Inbound{Instance: "crm", Resource: "customer", ExternalID: "c1", EventID: first,
		SourceAt: time.Now().Add(-time.Minute), Doc: map[string]any{"email": "p@example.com", "first_name": first}}, hub.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A record created anew after the vendor lost the linked one (on_delete:
// recreate) is locked from its write (or, named by us, its name) until its
// push is recorded, as a first create is, and becomes the new link. The
// lost record's lock once made the push skip the new one's.
func TestPushLocksARecreatedRecord(t *testing.T) {
	for _, namer := range []bool{false, true} {
		t.Run(fmt.Sprint("namer=", namer), func(t *testing.T) {
			for _, st := range hubtest.Stores(t) {
				t.Run(st.Name, func(t *testing.T) {
					ctx := context.Background()
					shop := &lockShop{first: map[string]string{}}
					var conn connectors.Connector = shop
					if namer {
						conn = lockNamer{shop}
					}
					h := lockHandlers(t, st.Store, conn, config.OnDeleteRecreate)
					c := lockCustomer(t, st.Store, "Ada"+fmt.Sprint(namer))
					// linked to S0, which the shop deleted
					if _, err := st.Store.Pushed(ctx, c.CustomerID, "shop", "customer", "S0", "h", 0, map[string]any{"first_name": "x"}); err != nil {
						t.Fatal(err)
					}
					w := newLockWatch(h)
					shop.afterCreate = w.watch // non-namer: from the write's return
					if namer {
						shop.onWrite = func(ext string) {
							if ext != "" && ext != "S0" {
								w.watch(ext)
								time.Sleep(5 * time.Millisecond)
							}
						}
					}
					if err := lockPush(ctx, h, c.CustomerID, c.Version); err != nil {
						t.Fatal(err)
					}
					sawHeld := w.done()
					l, err := st.Store.Link(ctx, c.CustomerID, "shop", "customer")
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("new link %s; record lock seen held between write and record: %v; locks left %v", l.ExternalID, sawHeld, locks(t, h))
					if !sawHeld {
						t.Errorf("recreated record %s was written and recorded without its record lock", l.ExternalID)
					}
					if len(locks(t, h)) != 0 {
						t.Errorf("locks left: %v", locks(t, h))
					}
				})
			}
		})
	}
}

// A named create holds the new record's lock during the write, and leaves
// no lock behind whether the create succeeds, fails or cannot be held.
func TestPushNamedCreateLeavesNoLock(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
	}{{"ok", nil}, {"fail", errors.New("boom")}, {"notrep", connectors.NotRepresentable("no address")}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range hubtest.Stores(t) {
				t.Run(st.Name, func(t *testing.T) {
					ctx := context.Background()
					shop := &lockShop{first: map[string]string{}, createErr: tc.err}
					h := lockHandlers(t, st.Store, lockNamer{shop}, "")
					c := lockCustomer(t, st.Store, "Bo"+tc.name)
					var heldInCreate bool
					shop.onWrite = func(ext string) {
						held, _ := h.Queue.Held(ctx, recordLockName("shop", "customer", ext))
						heldInCreate = held[0]
					}
					err := lockPush(ctx, h, c.CustomerID, c.Version)
					t.Logf("push err=%v heldInCreate=%v locks left=%v", err, heldInCreate, locks(t, h))
					if !heldInCreate || len(locks(t, h)) != 0 {
						t.Errorf("lease handling wrong")
					}
				})
			}
		})
	}
}

// A first create by a writer that names its records is locked from the
// write's return until the push is recorded (and the watcher used above
// does see such a lock).
func TestPushLocksACreatedRecordAfterItsWrite(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			shop := &lockShop{first: map[string]string{}}
			h := lockHandlers(t, st.Store, shop, config.OnDeleteRecreate)
			c := lockCustomer(t, st.Store, "Cy")
			w := newLockWatch(h)
			shop.afterCreate = w.watch
			if err := lockPush(ctx, h, c.CustomerID, c.Version); err != nil {
				t.Fatal(err)
			}
			sawHeld := w.done()
			t.Logf("first create: lock seen held=%v", sawHeld)
			if !sawHeld {
				t.Errorf("control: not seen")
			}
		})
	}
}

// deactShop holds S0 deactivated, as OXID's OXACTIVE=0: Fetch says
// Deleted, with the person's data still in it.
type deactShop struct{ *lockShop }

func (s deactShop) Fetch(_ context.Context, _, ext string) (*connectors.Record, error) {
	if ext == "S0" {
		return &connectors.Record{Resource: "customer", ExternalID: "S0", Deleted: true, UpdatedAt: time.Now(),
			Data: map[string]any{"email": "p@example.com", "first": "StillHere"}}, nil
	}
	return s.lockShop.Fetch(context.Background(), "", ext)
}

// A push that reads a deactivated record writes nothing into it and
// records a deletion that leaves the record to the erasure (on_delete:
// propagate): it still holds the person's data. Recorded as gone, it got no
// erasure step, while the same deactivation found by a fetch got one.
func TestPushFindingADeactivatedRecordLeavesItToTheErasure(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			shop := &lockShop{first: map[string]string{}}
			h := lockHandlers(t, st.Store, deactShop{shop}, config.OnDeletePropagate)
			tp, _ := h.Points.Get("shop")
			tp.Config.Erasure = config.ErasureAnonymize
			c := lockCustomer(t, st.Store, "Di")
			if _, err := st.Store.Pushed(ctx, c.CustomerID, "shop", "customer", "S0", "h", 0, map[string]any{"first_name": "x"}); err != nil {
				t.Fatal(err)
			}
			if err := lockPush(ctx, h, c.CustomerID, c.Version); err != nil {
				t.Fatal(err)
			}
			var steps []hub.PrivacyStep
			if err := st.Store.DB().Where("instance = ?", "shop").Find(&steps).Error; err != nil {
				t.Fatal(err)
			}
			for _, s := range steps {
				t.Logf("step for shop: action=%s status=%s ext=%q", s.Action, s.Status, s.ExternalID)
				if s.Action == hub.ActionNone {
					t.Errorf("deactivated record S0 (still holding the person's data) gets no erasure step")
				}
			}
			if len(steps) == 0 {
				t.Errorf("no step")
			}
		})
	}
}

type findShop struct{ *lockShop }

func (s findShop) FindBy(_ context.Context, _, _, _ string) (*connectors.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.first["F1"]; !ok {
		return nil, connectors.ErrNotFound
	}
	return s.rec("F1"), nil
}

// A record found by email is written under its lock, as a linked one is:
// the lock taken only after the write left its echo the window a named
// create no longer has.
func TestPushLocksARecordFoundByEmail(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			shop := &lockShop{first: map[string]string{"F1": "Old"}}
			h := lockHandlers(t, st.Store, findShop{shop}, "")
			c := lockCustomer(t, st.Store, "Ed")
			var heldInWrite, wrote bool
			shop.onWrite = func(ext string) {
				held, _ := h.Queue.Held(ctx, recordLockName("shop", "customer", ext))
				heldInWrite, wrote = held[0], true
			}
			if err := lockPush(ctx, h, c.CustomerID, c.Version); err != nil {
				t.Fatal(err)
			}
			t.Logf("wrote found F1=%v, its record lock held during the write=%v", wrote, heldInWrite)
			if wrote && !heldInWrite {
				t.Errorf("found record written without its record lock")
			}
		})
	}
}

// A push holds the record's lock for as long as it runs: a write slower
// than the lock's ttl had it expire, and a fetching ingest or a poll could
// read the write before the push recorded it. Renewed every third of the
// ttl, the lock has more than two thirds of it left after one third.
func TestPushKeepsItsRecordLock(t *testing.T) {
	t.Parallel()
	st := hubtest.Stores(t)[0].Store
	ctx := context.Background()
	f := newFrontFixture(t, st, 1)
	wait := recordLockTTL/3 + time.Second
	var left time.Duration
	f.shop.inWrite = func(ext string) {
		time.Sleep(wait)
		left, _ = f.h.Queue.Redis.PTTL(ctx, lockKey(recordLockName("shop", "customer", ext))).Result()
	}
	if err := f.push(ctx, PushPayload{Instance: "shop", Resource: "customer", CustomerID: f.ids[0], Version: f.vers[0]}); err != nil {
		t.Fatal(err)
	}
	if left < recordLockTTL*2/3 {
		t.Errorf("after %v in the write the record lock has %v left of %v: not renewed", wait, left, recordLockTTL)
	}
}

// lockWatch polls the shop's record locks a test names (watch) until done,
// and says whether it saw one held.
type lockWatch struct {
	h    *Handlers
	seen atomic.Bool
	stop chan struct{}
	wg   gosync.WaitGroup
}

func newLockWatch(h *Handlers) *lockWatch { return &lockWatch{h: h, stop: make(chan struct{})} }

func (w *lockWatch) watch(ext string) {
	w.wg.Go(func() {
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			if held, _ := w.h.Queue.Held(context.Background(), recordLockName("shop", "customer", ext)); len(held) == 1 && held[0] {
				w.seen.Store(true)
			}
			time.Sleep(100 * time.Microsecond)
		}
	})
}

func (w *lockWatch) done() bool {
	close(w.stop)
	w.wg.Wait()
	return w.seen.Load()
}
