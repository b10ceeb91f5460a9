package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	gosync "sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/sync/redistest"
)

// Pushes added while an enqueue of their queue is under way go together in
// the next one; each is flushed exactly once, and add returns only once its
// push is queued. A push to a quiet queue goes at once, alone.
func TestPushGroupsCommitTogether(t *testing.T) {
	var g groups[PushPayload]
	var mu gosync.Mutex
	flushed := map[uint64]int{}
	var sizes []int
	flush := func(_ context.Context, items []PushPayload) error {
		time.Sleep(20 * time.Millisecond) // a slow Redis
		mu.Lock()
		defer mu.Unlock()
		sizes = append(sizes, len(items))
		for _, p := range items {
			flushed[p.CustomerID]++
		}
		return nil
	}
	ctx := context.Background()
	start := time.Now()
	if err := g.add(ctx, "q", pushPacing, PushPayload{CustomerID: 1000}, flush); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 20*time.Millisecond+pushPacing.linger/2 {
		t.Errorf("a push to a quiet queue waited %v (flush takes 20 ms)", d)
	}
	time.Sleep(2 * pushPacing.busyWithin) // quiet again

	const n = 60
	var wg gosync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.add(ctx, "q", pushPacing, PushPayload{CustomerID: uint64(i)}, flush); err != nil {
				t.Error(err)
			}
			mu.Lock()
			defer mu.Unlock()
			if flushed[uint64(i)] != 1 {
				t.Errorf("push %d returned before it was queued (flushed %d times)", i, flushed[uint64(i)])
			}
		}()
		if i%10 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	wg.Wait()
	for i := range n {
		if flushed[uint64(i)] != 1 {
			t.Errorf("push %d flushed %d times", i, flushed[uint64(i)])
		}
	}
	t.Logf("group sizes %v", sizes)
	if len(sizes) > 1+n/4 {
		t.Errorf("%d enqueues for %d pushes arriving together: not grouped", len(sizes)-1, n)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if q := g.queues["q"]; q.inflight != nil || q.next != nil {
		t.Errorf("groups left behind: %+v", q)
	}
}

// A failed flush fails every push of its group, and the queue goes on.
func TestPushGroupsFailTogether(t *testing.T) {
	var g groups[PushPayload]
	ctx := context.Background()
	boom := fmt.Errorf("redis down")
	var wg gosync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = g.add(ctx, "q", pushPacing, PushPayload{CustomerID: uint64(i)}, func(context.Context, []PushPayload) error {
				time.Sleep(5 * time.Millisecond)
				return boom
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != boom {
			t.Errorf("push %d: %v, want the flush's error", i, err)
		}
	}
	if err := g.add(ctx, "q", pushPacing, PushPayload{CustomerID: 9}, func(context.Context, []PushPayload) error { return nil }); err != nil {
		t.Errorf("after a failed group: %v", err)
	}
}

// A batch task's pushes each bring the target up to the hub; one that
// fails (its instance is gone from the configuration) goes back to its
// queue as its own push task, under its own id, to fail there with its own
// retries and end as a dead letter, instead of failing or dropping the
// batch.
func TestPushBatchRunsEachPush(t *testing.T) {
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			ctx := context.Background()
			shop := &lockShop{first: map[string]string{}}
			h := lockHandlers(t, st.Store, shop, config.OnDeleteUnlink)
			var items []PushPayload
			var ids []uint64
			for i, first := range []string{"Ada", "Bea", "Cleo"} {
				r, err := st.Store.MergeCustomer(ctx, hub.Inbound{Instance: "crm", Resource: "customer", ExternalID: fmt.Sprint("c", i), EventID: first,
					SourceAt: time.Now().Add(-time.Minute), Doc: map[string]any{"email": first + "@example.com", "first_name": first}}, hub.Policy{})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, r.CustomerID)
				items = append(items, PushPayload{Instance: "shop", Resource: "customer", CustomerID: r.CustomerID, Version: r.Version})
			}
			gone := PushPayload{Instance: "gone", Resource: "customer", CustomerID: ids[0], Version: 1}
			items = append(items, gone)
			task := newPushBatch(PushQueue("shop"), items)
			if task.Type() != TypePushBatch {
				t.Fatalf("type %s", task.Type())
			}
			if err := h.PushBatch(ctx, task); err != nil {
				t.Fatal(err)
			}
			for i, id := range ids {
				l, err := st.Store.Link(ctx, id, "shop", "customer")
				if err != nil {
					t.Fatalf("customer %d has no link at shop: %v", i, err)
				}
				if got, want := shop.first[l.ExternalID], []string{"Ada", "Bea", "Cleo"}[i]; got != want {
					t.Errorf("shop record %s holds %q, want %q", l.ExternalID, got, want)
				}
			}
			insp := asynq.NewInspectorFromRedisClient(h.Queue.Redis)
			info, err := insp.GetTaskInfo(PushQueue("gone"), pushTaskID(gone))
			if err != nil {
				t.Fatalf("the failed push was not queued again on its own: %v", err)
			}
			var back PushPayload
			if info.Type != TypePush || json.Unmarshal(info.Payload, &back) != nil || back != gone {
				t.Errorf("queued again as %s %s", info.Type, info.Payload)
			}
			if len(locks(t, h)) != 0 {
				t.Errorf("locks left: %v", locks(t, h))
			}
		})
	}
}

// The metrics label of a batch is its target's name, read from its first
// push.
func TestPushBatchInstance(t *testing.T) {
	task := newPushBatch(PushQueue("shopware"), []PushPayload{{Instance: "shopware", CustomerID: 1}, {Instance: "shopware", CustomerID: 2}})
	if got := taskInstance(task); got != "shopware" {
		t.Errorf("taskInstance = %q", got)
	}
}

// An erasure takes the person's pushes out of a queued batch and queues
// the others' again, as one batch (privacy.go, purgeBatch).
func TestErasurePurgesPushesOfABatch(t *testing.T) {
	rdb, _ := redistest.Client(t)
	h := &Handlers{Queue: NewQueue(rdb), Log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	erased := PushPayload{Instance: "shop", Resource: "customer", CustomerID: 7, Version: 2}
	other := PushPayload{Instance: "shop", Resource: "customer", CustomerID: 8, Version: 5}
	info, err := h.Queue.Client.Enqueue(newPushBatch(PushQueue("shop"), []PushPayload{erased, other}), asynq.ProcessIn(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspectorFromRedisClient(rdb)
	hit, err := h.purgeBatch(ctx, insp, info, &hub.Identity{CustomerID: 7}, "")
	if err != nil || !hit {
		t.Fatalf("purge: hit %v, %v", hit, err)
	}
	rest, err := insp.GetTaskInfo(PushQueue("shop"), "purged:"+info.ID)
	if err != nil {
		t.Fatalf("the other customer's push was not queued again: %v", err)
	}
	items, err := splitBatch(rest.Payload)
	if err != nil || rest.Type != TypePushBatch || len(items) != 1 {
		t.Fatalf("rest: %s, %d items, %v", rest.Type, len(items), err)
	}
	var p PushPayload
	if json.Unmarshal(items[0], &p) != nil || p != other {
		t.Errorf("rest holds %s, want customer 8's push", items[0])
	}
}

// A dead-lettered batch is listed under its target.
func TestDeadLetterOfAPushBatch(t *testing.T) {
	task := newPushBatch(PushQueue("shopware"), []PushPayload{{Instance: "shopware", Resource: "customer", CustomerID: 1}, {Instance: "shopware", Resource: "customer", CustomerID: 2}})
	dl := deadLetterOf(&asynq.TaskInfo{ID: "x", Queue: PushQueue("shopware"), Type: task.Type(), Payload: task.Payload()})
	if dl.Connector != "shopware" || dl.Resource != "customer" || dl.CustomerID != 0 {
		t.Errorf("dead letter %+v, want connector shopware, resource customer, no one customer", dl)
	}
}

// A group's pushes of one customer go as one: the newest version, forced
// if any was.
func TestCollapseKeepsOnePushPerCustomer(t *testing.T) {
	got := collapse([]PushPayload{
		{Instance: "s", Resource: "customer", CustomerID: 1, Version: 3},
		{Instance: "s", Resource: "customer", CustomerID: 2, Version: 1},
		{Instance: "s", Resource: "customer", CustomerID: 1, Version: 5},
		{Instance: "s", Resource: "customer", CustomerID: 1, Version: 4, Force: true},
	})
	want := []PushPayload{
		{Instance: "s", Resource: "customer", CustomerID: 1, Version: 5, Force: true},
		{Instance: "s", Resource: "customer", CustomerID: 2, Version: 1},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("collapse = %v, want %v", got, want)
	}
}
