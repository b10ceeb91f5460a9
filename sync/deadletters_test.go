package sync

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
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

// A task failing with a vendor body in its error lands in the dead letters
// with that body masked at the source (asynq's stored last error, which
// the queue dashboard shows too), and its payload shows in the dashboard
// without the vendor record or the person's contact data.
func TestDeadLettersAndDashboardAreRedacted(t *testing.T) {
	rdb, _ := redistest.Client(t)
	body := `{"id":207119551,"email":"ann.quist@example.com","first_name":"Annabel","phone":"+49 170 1234567"}`
	vendorErr := `shopify: status 422: {"errors":{"email":["has already been taken"]},"customer":` + body + `}`
	srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{Concurrency: 1, Queues: map[string]int{QueueIngest: 1},
		Logger: asynqLogger{slog.New(slog.NewTextHandler(io.Discard, nil))}, LogLevel: asynq.FatalLevel})
	mux := asynq.NewServeMux()
	mux.Use(RedactErrors)
	mux.HandleFunc(TypeIngest, func(context.Context, *asynq.Task) error {
		return fmt.Errorf("ingest: %s: %w", vendorErr, asynq.SkipRetry)
	})
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	task, err := NewIngestTask(IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "207119551", EventID: "e1",
		SourceAt: time.Now(), Body: json.RawMessage(body)}, 3)
	if err != nil {
		t.Fatal(err)
	}
	info, err := asynq.NewClientFromRedisClient(rdb).Enqueue(task)
	if err != nil {
		t.Fatal(err)
	}
	dl := NewDeadLetters(rdb)
	var got *asynq.TaskInfo
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if got, err = dl.Inspector.GetTaskInfo(QueueIngest, info.ID); err == nil && got.State == asynq.TaskStateArchived {
			break
		}
	}
	if got == nil || got.State != asynq.TaskStateArchived {
		t.Fatalf("task not archived: %+v", got)
	}
	list, err := dl.List("shopify")
	if err != nil || len(list) != 1 {
		t.Fatalf("dead letters %v, %v", list, err)
	}
	shown := map[string]string{
		"stored last error":  got.LastErr,
		"dead letter error":  list[0].LastError,
		"dashboard payload":  RedactPayload(got.Type, got.Payload),
		"dashboard last err": RedactResult("", []byte(got.LastErr)),
	}
	for what, s := range shown {
		for _, secret := range []string{"ann.quist@example.com", "Annabel", "1234567"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s shows %q: %s", what, secret, s)
			}
		}
	}
	if !strings.Contains(list[0].LastError, "has already been taken") || !strings.Contains(list[0].LastError, "status 422") {
		t.Errorf("dead letter lost the vendor's message: %s", list[0].LastError)
	}
	if p := shown["dashboard payload"]; !strings.Contains(p, `"external_id":"207119551"`) || !strings.Contains(p, "not shown") {
		t.Errorf("dashboard payload lost its ids or kept the body: %s", p)
	}
}
