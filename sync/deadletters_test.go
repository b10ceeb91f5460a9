package sync

import (
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/sync/redistest"
)

// Dead letters are counted and listed per connector: push queues by their
// instance, shared queues by each task's payload.
func TestDeadLetterCountsAndList(t *testing.T) {
	rdb, _ := redistest.Client(t)
	cl := asynq.NewClientFromRedisClient(rdb)
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var tasks []*asynq.Task
	for i := range 3 {
		tasks = append(tasks, NewPushTask(PushPayload{Instance: "shopware", Resource: "customer", CustomerID: uint64(i + 1), Version: 1}, 3))
	}
	tasks = append(tasks, NewPushTask(PushPayload{Instance: "helpscout", Resource: "customer", CustomerID: 1, Version: 1}, 3))
	for _, in := range []string{"shopify", "shopify", "magento"} {
		it, err := NewIngestTask(IngestPayload{Instance: in, Resource: "customer", ExternalID: "1", EventID: in + time.Now().String(), SourceAt: at}, 3)
		if err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, it)
	}
	for _, task := range tasks {
		if _, err := cl.Enqueue(task); err != nil {
			t.Fatal(err)
		}
	}
	dl := NewDeadLetters(rdb)
	for _, q := range []string{QueueIngest, PushQueue("shopware"), PushQueue("helpscout")} {
		if _, err := dl.Inspector.ArchiveAllPendingTasks(q); err != nil {
			t.Fatal(err)
		}
	}

	counts, err := dl.Counts()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"shopware": 3, "helpscout": 1, "shopify": 2, "magento": 1}
	if len(counts) != len(want) {
		t.Errorf("counts %v, want %v", counts, want)
	}
	for k, v := range want {
		if counts[k] != v {
			t.Errorf("%s: %d dead letters, want %d", k, counts[k], v)
		}
	}
	for connector, n := range want {
		list, err := dl.List(connector)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != n {
			t.Errorf("List(%s): %d, want %d", connector, len(list), n)
		}
		for _, d := range list {
			if d.Connector != connector {
				t.Errorf("List(%s) holds %s's %s", connector, d.Connector, d.ID)
			}
		}
	}
	if all, err := dl.List(""); err != nil || len(all) != len(tasks) {
		t.Errorf("List(\"\"): %d (%v), want %d", len(all), err, len(tasks))
	}
}
