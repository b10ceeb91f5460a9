package sync

import (
	"context"
	"errors"
	"io"
	"log/slog"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/internal/trace"
	"github.com/shophub/shophub/sync/redistest"
)

// chainLister lists pages "" → "p1" → "p2" …, the last one done.
type chainLister struct{ pages int }

func (l chainLister) List(_ context.Context, _ string, cursor string) (connectors.Page, error) {
	n := 0
	if cursor != "" {
		n = int(cursor[1] - '0')
	}
	next := "p" + string(rune('0'+n+1))
	return connectors.Page{Records: []connectors.Record{{ExternalID: cursor + "/r"}}, Next: next, Done: n+1 == l.pages}, nil
}

// TestPollMergesPagesTogetherStoringCursorsInOrder: a poll merging two
// pages at once stores each page's cursor only when it and every page
// before it are applied, so a page that finishes first waits for the one
// before, and a failed page leaves the cursor before it: a retry lists it
// again and nothing is skipped.
func TestPollMergesPagesTogetherStoringCursorsInOrder(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fail       string // the page (by its cursor) whose merge fails
		wantCursor string
		wantDone   bool
	}{
		{"all pages", "", "p4", true},
		{"second page fails after the first finished", "p1", "p1", false},
		{"first page fails after the second finished", "", "", false},
	} {
		for _, st := range hubtest.Stores(t) {
			t.Run(tc.name+"/"+st.Name, func(t *testing.T) {
				ctx := context.Background()
				rdb, _ := redistest.Client(t)
				h := &Handlers{Store: st.Store, Queue: NewQueue(rdb), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
				lease, ok, err := h.Queue.Lock(ctx, "poll:test", time.Minute, 0)
				if err != nil || !ok {
					t.Fatalf("lock: %v %v", ok, err)
				}
				failFirst := tc.name == "first page fails after the second finished"
				var running, most atomic.Int32
				firstStarted, secondStarted, secondDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
				var first, started, once gosync.Once
				var mu gosync.Mutex
				var seen []string // stored cursor whenever a page starts merging
				run := pollRun{h: h, l: chainLister{pages: 4}, p: PollPayload{Instance: "shop", Resource: "customer"},
					lease: lease, deadline: time.Now().Add(time.Minute), merging: 2,
					apply: func(ctx context.Context, recs []connectors.Record) error {
						n := running.Add(1)
						defer running.Add(-1)
						for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
						}
						cur, err := h.Store.Cursor(ctx, "shop", "customer")
						if err != nil {
							return err
						}
						from := recs[0].ExternalID[:len(recs[0].ExternalID)-2]
						mu.Lock()
						seen = append(seen, from+"@"+cur.Value)
						mu.Unlock()
						switch from {
						case "":
							first.Do(func() { close(firstStarted) })
							// The first page finishes only after the second
							// started (or, unless that one waits for it, ended).
							wait := secondDone
							if tc.fail == "p1" {
								wait = secondStarted
							}
							select {
							case <-wait:
							case <-time.After(10 * time.Second):
								return errors.New("second page never merged beside the first")
							}
							if failFirst {
								return errors.New("first page refused")
							}
						case "p1":
							started.Do(func() { close(secondStarted) })
							defer once.Do(func() { close(secondDone) })
							<-firstStarted // both merge at once
							if tc.fail == "p1" {
								// Fails only once the first page is stored.
								for {
									cur, _ := h.Store.Cursor(ctx, "shop", "customer")
									if cur.Value == "p1" {
										break
									}
									time.Sleep(5 * time.Millisecond)
								}
								return errors.New("second page refused")
							}
						}
						return nil
					}}
				moved, err := run.from(ctx, "")
				if moved != nil {
					t.Fatalf("cursor moved to %+v", *moved)
				}
				if (err != nil) != (tc.wantCursor != "p4") {
					t.Fatalf("err = %v", err)
				}
				cur, cerr := h.Store.Cursor(ctx, "shop", "customer")
				if cerr != nil {
					t.Fatal(cerr)
				}
				if cur.Value != tc.wantCursor || cur.Done != tc.wantDone {
					t.Errorf("stored cursor %q (done %v), want %q (done %v); merges started at %v", cur.Value, cur.Done, tc.wantCursor, tc.wantDone, seen)
				}
				if most.Load() != 2 {
					t.Errorf("at most %d pages merged at once, want 2 (merges started at %v)", most.Load(), seen)
				}
				for _, s := range seen {
					// A page starts merging while at most the one page
					// before it is unstored (the window of two).
					if s == "p2@" || s == "p3@" || s == "p3@p1" {
						t.Errorf("a page merged too far ahead of the stored cursor: %s (all: %v)", s, seen)
					}
				}
			})
		}
	}
}

// recordingLister is chainLister that notes the stored cursor whenever it
// lists a page.
type recordingLister struct {
	chainLister
	h     *Handlers
	mu    gosync.Mutex
	times map[string][]string // page (by its cursor) → the stored cursor at each listing
}

func (l *recordingLister) List(ctx context.Context, res string, cursor string) (connectors.Page, error) {
	cur, err := l.h.Store.Cursor(ctx, "ahead", "customer")
	if err != nil {
		return connectors.Page{}, err
	}
	l.mu.Lock()
	l.times[cursor] = append(l.times[cursor], cur.Value)
	l.mu.Unlock()
	return l.chainLister.List(ctx, res, cursor)
}

// TestPollListsAheadStoringCursorsInOrder: with two pages merging and one
// listed ahead of them, pages finish out of order and one fails once;
// cursors are stored strictly in listing order, the failed page's cursor
// is never passed (nor any after it) until a retry applies it, and every
// page is applied: nothing is skipped.
func TestPollListsAheadStoringCursorsInOrder(t *testing.T) {
	stores := hubtest.Stores(t)
	st := stores[len(stores)-1] // MariaDB where the test has one: pages merge at once there
	t.Logf("store: %s", st.Name)
	ctx := context.Background()
	rdb, _ := redistest.Client(t)
	h := &Handlers{Store: st.Store, Queue: NewQueue(rdb), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	var mu gosync.Mutex
	var stored []string
	defer trace.Set(func(e trace.Event) {
		if e.Step == trace.PageStored && e.Instance == "ahead" {
			mu.Lock()
			stored = append(stored, e.Key)
			mu.Unlock()
		}
	})()
	l := &recordingLister{chainLister: chainLister{pages: 8}, h: h, times: map[string][]string{}}
	applied := map[string]int{}
	failed := false
	run := func() error {
		lease, ok, err := h.Queue.Lock(ctx, "poll:ahead", time.Minute, 0)
		if err != nil || !ok {
			t.Fatalf("lock: %v %v", ok, err)
		}
		defer lease.Release(ctx)
		cur, err := h.Store.Cursor(ctx, "ahead", "customer")
		if err != nil {
			t.Fatal(err)
		}
		r := pollRun{h: h, l: l, p: PollPayload{Instance: "ahead", Resource: "customer"}, lease: lease,
			deadline: time.Now().Add(time.Minute), merging: 2, ahead: 1,
			apply: func(ctx context.Context, recs []connectors.Record) error {
				from := recs[0].ExternalID[:len(recs[0].ExternalID)-2]
				// Even pages take longer: the odd one after each finishes first.
				if from == "" || from[1]%2 == 0 {
					time.Sleep(30 * time.Millisecond)
				}
				mu.Lock()
				defer mu.Unlock()
				if from == "p5" && !failed {
					failed = true
					return errors.New("page p5 refused once")
				}
				applied[from]++
				return nil
			}}
		moved, err := r.from(ctx, cur.Value)
		if moved != nil {
			t.Fatalf("cursor moved to %+v", *moved)
		}
		return err
	}
	if err := run(); err == nil {
		t.Fatal("the failing page did not fail the poll")
	}
	cur, _ := h.Store.Cursor(ctx, "ahead", "customer")
	if cur.Value != "p5" || cur.Done {
		t.Fatalf("after the failure the stored cursor is %q (done %v), want p5: the failed page is listed again", cur.Value, cur.Done)
	}
	if err := run(); err != nil {
		t.Fatalf("retry: %v", err)
	}
	cur, _ = h.Store.Cursor(ctx, "ahead", "customer")
	if cur.Value != "p8" || !cur.Done {
		t.Fatalf("stored cursor %q (done %v), want p8 done", cur.Value, cur.Done)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("cursors stored (-want +got):\n%s", diff)
	}
	for _, from := range []string{"", "p1", "p2", "p3", "p4", "p5", "p6", "p7"} {
		if applied[from] == 0 {
			t.Errorf("page %q never applied (applied: %v)", from, applied)
		}
	}
	// Listed ahead: some page was listed while the two before it were
	// both unstored (merging), which a window of two never does.
	ahead := false
	for from, at := range l.times {
		if from == "" || from == "p1" {
			continue
		}
		n := int(from[1] - '0')
		for _, c := range at {
			if c == "" && n >= 2 || c != "" && n-int(c[1]-'0') >= 2 {
				ahead = true
			}
		}
	}
	if !ahead {
		t.Errorf("no page was listed ahead of the two merging: %v", l.times)
	}
}
