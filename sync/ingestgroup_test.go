package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sort"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
)

// An ingest task is enqueued alone while the ingest queue is short, and
// grouped for aggregation only behind a backlog; the backlog is read from
// asynq's own pending list (the first enqueue shows that pendingKey names
// it).
func TestIngestGroupedOnlyBehindABacklog(t *testing.T) {
	h, _, rdb := counterHandlers(t)
	ctx := context.Background()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	enqueue := func(event string) {
		t.Helper()
		p := IngestPayload{Instance: "v", Resource: "customer", ExternalID: event, EventID: event, SourceAt: time.Now()}
		tk, err := NewIngestTask(p, 3)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Queue.EnqueueIngest(ctx, tk, p); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("quiet")
	if n, err := rdb.LLen(ctx, pendingKey(QueueIngest)).Result(); err != nil || n != 1 {
		t.Fatalf("asynq's pending list of the ingest queue holds %d (%v), want the one task", n, err)
	}
	// A backlog (ids only; nothing dequeues here).
	ids := make([]any, ingestBacklog)
	for i := range ids {
		ids[i] = fmt.Sprint("backlog", i)
	}
	if err := rdb.LPush(ctx, pendingKey(QueueIngest), ids...).Err(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(backlogEvery + 10*time.Millisecond)
	enqueue("busy")
	groups, err := insp.Groups(QueueIngest)
	if err != nil {
		t.Fatal(err)
	}
	if len(groups) != 1 || groups[0].Size != 1 {
		t.Fatalf("behind a backlog of %d: groups %+v, want the one task in one", ingestBacklog+1, groups)
	}
}

// recordHash is hash/fnv's FNV-1a over the parts joined by NULs, so one
// record's events keep meeting in one group.
func TestRecordHashIsFNV1a(t *testing.T) {
	for _, parts := range [][]string{
		{"shopify", "customer", "1000001"},
		{"", "", ""},
		{"a", "", "b"},
		{"shopware", "order", "018f0c0d\x00ü"},
	} {
		h := fnv.New32a()
		h.Write([]byte(strings.Join(parts, "\x00")))
		if got, want := recordHash(parts...), h.Sum32(); got != want {
			t.Errorf("%q: %d, want %d", parts, got, want)
		}
	}
	if groupNames[0] != "g0" || groupNames[ingestGroups-1] != fmt.Sprint("g", ingestGroups-1) {
		t.Errorf("group names %q", groupNames)
	}
}

// An aggregated task runs each ingest it carries; an ingest that fails is
// queued again as its own task (its own id, retries and backoff), and the
// batch succeeds.
func TestIngestBatchRunsEachAndRequeuesFailures(t *testing.T) {
	h, conn, rdb := counterHandlers(t)
	ctx := context.Background()
	batch := func(events ...string) *asynq.Task {
		var tasks []*asynq.Task
		for _, e := range events {
			tasks = append(tasks, eventIngestTask(t, e))
		}
		return AggregateIngest("g0", tasks)
	}
	if err := h.IngestBatch(ctx, batch("e1", "e2", "e3")); err != nil {
		t.Fatal(err)
	}
	if n := conn.fetches.Load(); n != 3 {
		t.Fatalf("%d fetches for three id-only events, want 3", n)
	}
	conn.fail.Store(true)
	if err := h.IngestBatch(ctx, batch("e4", "e5")); err != nil {
		t.Fatalf("a batch whose ingests failed and were queued again: %v", err)
	}
	var ids []string
	for _, ti := range requeuedIngests(t, rdb) {
		ids = append(ids, ti.ID)
	}
	sort.Strings(ids)
	if fmt.Sprint(ids) != "[ingest:v:e4 ingest:v:e5]" {
		t.Fatalf("queued again: %v, want the two failed ingests under their own ids", ids)
	}
}

// Grouped ingest tasks reach the handler through asynq's aggregation on a
// worker's servers, every one of them.
func TestGroupedIngestsAreAggregatedAndRun(t *testing.T) {
	h, conn, rdb := counterHandlers(t)
	ctx := context.Background()
	const n = 7
	for i := range n {
		tk := eventIngestTask(t, fmt.Sprint("g", i))
		if _, err := h.Queue.EnqueueNew(ctx, tk, asynq.Group("g1")); err != nil {
			t.Fatal(err)
		}
	}
	srv := NewServers(rdb, config.Worker{Concurrency: 6, TaskCheckInterval: config.Duration(20 * time.Millisecond),
		ShutdownTimeout: config.Duration(time.Second)}, slog.New(slog.DiscardHandler), nil, nil)
	mux := asynq.NewServeMux()
	h.Register(mux)
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	for deadline := time.Now().Add(10 * time.Second); conn.fetches.Load() < n; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d grouped ingests ran", conn.fetches.Load(), n)
		}
	}
}

// An ingest of a batch that fails for good (asynq.SkipRetry) is queued
// again as its own task, not dropped: failing once more there, asynq
// archives it as a dead letter with its reason.
func TestIngestBatchRequeuesLastingFailures(t *testing.T) {
	h, _, rdb := counterHandlers(t)
	ctx := context.Background()
	gone, err := NewIngestTask(IngestPayload{Instance: "removed-from-config", Resource: connectors.ResourceCustomer,
		ExternalID: "7", EventID: "g1", SourceAt: time.Now(), Body: json.RawMessage(`{"id":7}`)}, 3)
	if err != nil {
		t.Fatal(err)
	}
	garbage := asynq.NewTask(TypeIngest, []byte(`{"instance":`))
	if err := h.IngestBatch(ctx, AggregateIngest("g0", []*asynq.Task{gone, garbage, eventIngestTask(t, "ok1")})); err != nil {
		t.Fatal(err)
	}
	var payloads []string
	for _, ti := range requeuedIngests(t, rdb) {
		payloads = append(payloads, string(ti.Payload))
		if err := h.ingestTask(ctx, ti.Payload); !errors.Is(err, asynq.SkipRetry) {
			t.Errorf("the requeued task %s fails with %v, want a SkipRetry (archived as a dead letter)", ti.ID, err)
		}
	}
	sort.Strings(payloads)
	want := []string{string(gone.Payload()), string(garbage.Payload())}
	sort.Strings(want)
	if fmt.Sprint(payloads) != fmt.Sprint(want) {
		t.Fatalf("queued again: %q, want the unconfigured instance's ingest and the undecodable payload", payloads)
	}
}

// requeuedIngests lists the ingest tasks a batch queued again (scheduled,
// each on its own).
func requeuedIngests(t *testing.T, rdb redis.UniversalClient) []*asynq.TaskInfo {
	t.Helper()
	got, err := asynq.NewInspectorFromRedisClient(rdb).ListScheduledTasks(QueueIngest)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range got {
		if ti.Type != TypeIngest {
			t.Errorf("requeued task of type %s", ti.Type)
		}
	}
	return got
}

// Webhooks that meet at the receiver are queued as batch tasks, each
// exactly once; a quiet one goes alone under its task id, so its
// re-delivery while queued is answered as a duplicate.
func TestReceivedWebhooksQueuedTogether(t *testing.T) {
	h, _, rdb := counterHandlers(t)
	ctx := context.Background()
	insp := asynq.NewInspectorFromRedisClient(rdb)
	task := func(event string) (*asynq.Task, IngestPayload) {
		p := IngestPayload{Instance: "v", Resource: "customer", ExternalID: event, EventID: event, SourceAt: time.Now()}
		tk, err := NewIngestTask(p, 3)
		if err != nil {
			t.Fatal(err)
		}
		return tk, p
	}
	tk, p := task("quiet")
	for i, want := range []bool{false, true} {
		if dup, err := h.Queue.EnqueueReceived(ctx, tk, p); err != nil || dup != want {
			t.Fatalf("quiet webhook, delivery %d: duplicate %v (%v), want %v", i+1, dup, err, want)
		}
	}
	time.Sleep(2 * receivedPacing.busyWithin)

	const n = 200
	var wg gosync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, p := task(fmt.Sprint("e", i))
			if _, err := h.Queue.EnqueueReceived(ctx, tk, p); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	pending, err := insp.ListPendingTasks(QueueIngest, asynq.PageSize(n+1))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	batches := 0
	for _, ti := range pending {
		items := [][]byte{ti.Payload}
		if ti.Type == TypeIngestBatch {
			batches++
			if items, err = splitBatch(ti.Payload); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range items {
			p, err := decodeIngest(b)
			if err != nil {
				t.Fatal(err)
			}
			seen[p.EventID]++
		}
	}
	for i := range n {
		if c := seen[fmt.Sprint("e", i)]; c != 1 {
			t.Errorf("webhook e%d queued %d times", i, c)
		}
	}
	t.Logf("%d webhooks at once: %d tasks, %d of them batches", n, len(pending)-1, batches)
	if batches == 0 || len(pending)-1 > n/2 {
		t.Errorf("%d webhooks at once went as %d tasks (%d batches): not grouped", n, len(pending)-1, batches)
	}
}

// A sender whose webhooks come one after the other never meets another at
// the receiver, and never waits for one.
func TestGroupsOneAfterTheOtherNeverWait(t *testing.T) {
	var g groups[int]
	pace := pacing{busyWithin: time.Hour, linger: 10 * time.Second, met: true}
	flushes := 0
	flush := func(_ context.Context, items []int) error { flushes++; return nil }
	for i := range 20 {
		start := time.Now()
		if err := g.add(context.Background(), "q", pace, i, flush); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d >= pace.linger {
			t.Fatalf("item %d of a serial sender waited %v: lingered with nobody to meet", i, d)
		}
	}
	if flushes != 20 {
		t.Errorf("%d flushes for 20 items sent one after the other", flushes)
	}
}

// Senders that each wait for their answer before sending again have all
// joined a group a gap after the last of them did: it goes then, not a
// whole linger later.
func TestGroupsWaitOnlyWhileItemsJoin(t *testing.T) {
	var g groups[int]
	pace := pacing{busyWithin: time.Hour, linger: 10 * time.Second, met: true, gap: time.Millisecond}
	var mu gosync.Mutex
	var sizes []int
	flush := func(_ context.Context, items []int) error {
		time.Sleep(time.Millisecond) // a Redis round trip
		mu.Lock()
		sizes = append(sizes, len(items))
		mu.Unlock()
		return nil
	}
	const senders, each = 20, 10
	var wg gosync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				start := time.Now()
				if err := g.add(context.Background(), "q", pace, s*each+i, flush); err != nil {
					t.Error(err)
				}
				if d := time.Since(start); d >= pace.linger {
					t.Errorf("sender %d waited %v: the group lingered after everyone had joined", s, d)
					return
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range sizes {
		total += n
	}
	t.Logf("%d items from %d senders in %d groups", total, senders, len(sizes))
	if total != senders*each || len(sizes) >= total {
		t.Errorf("%d items in %d groups, want %d in fewer", total, len(sizes), senders*each)
	}
}

// A group that holds pacing.most items goes at once, not a linger later:
// under a flood its senders would only wait.
func TestGroupsGoWhenFull(t *testing.T) {
	var g groups[int]
	pace := pacing{busyWithin: time.Hour, linger: 10 * time.Second, most: 4}
	var mu gosync.Mutex
	var sizes []int
	flush := func(_ context.Context, items []int) error {
		mu.Lock()
		sizes = append(sizes, len(items))
		mu.Unlock()
		return nil
	}
	ctx := context.Background()
	if err := g.add(ctx, "q", pace, 0, flush); err != nil { // quiet: alone, and the queue is busy from now on
		t.Fatal(err)
	}
	var wg gosync.WaitGroup
	for i := 1; i <= pace.most; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			if err := g.add(ctx, "q", pace, i, flush); err != nil {
				t.Error(err)
			}
			if d := time.Since(start); d >= pace.linger {
				t.Errorf("item %d waited %v in a full group", i, d)
			}
		}()
	}
	wg.Wait()
	if len(sizes) != 2 || sizes[1] != pace.most {
		t.Errorf("group sizes %v, want [1 %d]", sizes, pace.most)
	}
}
