package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/hub"
	shsync "github.com/shophub/shophub/sync"
)

// An erasure deletes the queued tasks that carry the person's records. An
// aggregated ingest batch (webhooks grouped behind a backlog) carries
// others' records too, accepted from their vendors: those stay queued, as
// a batch in the same state — waiting, or dead-lettered — and only the
// person's record goes. The whole batch was deleted before.
func TestErasureKeepsOthersQueuedInABatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: func(c *config.Config) { c.Server.AdminToken = hsAdminToken }})
	ctx := context.Background()
	email := "weg@example.com"
	_, cust := e.shopifyCustomerInHub(t, map[string]any{"email": email, "first_name": "Wera", "last_name": "Weg"})
	batch := func(n int) *asynq.Task {
		var tasks []*asynq.Task
		for i, rec := range []map[string]any{
			shopifyRecord(990001+10*n, email, "Wera", time.Now()),
			shopifyRecord(990002+10*n, fmt.Sprintf("bystander%d@example.com", n), "Bernd", time.Now()),
		} {
			raw, _ := json.Marshal(rec)
			task, err := shsync.NewIngestTask(shsync.IngestPayload{Instance: "shopify", Resource: "customer",
				ExternalID: fmt.Sprint(rec["id"]), EventID: fmt.Sprint("batch-ev-", n, i), SourceAt: time.Now(), Body: raw}, 3)
			if err != nil {
				t.Fatal(err)
			}
			tasks = append(tasks, task)
		}
		return shsync.AggregateIngest("g1", tasks)
	}
	insp := asynq.NewInspectorFromRedisClient(e.rdb)
	waiting, err := e.app.Queue.Client.Enqueue(batch(0), asynq.ProcessIn(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dead, err := e.app.Queue.Client.Enqueue(batch(1), asynq.ProcessIn(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := insp.ArchiveTask(dead.Queue, dead.ID); err != nil {
		t.Fatal(err)
	}

	if _, err := e.app.Handlers.EraseCustomer(ctx, cust.ID, hub.EraseRequest{Source: "api"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		was   *asynq.TaskInfo
		state asynq.TaskState
		other string
	}{{waiting, asynq.TaskStatePending, "bystander0@example.com"}, {dead, asynq.TaskStateArchived, "bystander1@example.com"}} {
		if _, err := insp.GetTaskInfo(c.was.Queue, c.was.ID); err == nil {
			t.Errorf("batch %s still queued whole: it holds the erased person's record", c.was.ID)
		}
		rest, err := insp.GetTaskInfo(c.was.Queue, "purged:"+c.was.ID)
		if err != nil {
			t.Errorf("the rest of batch %s is gone (%v): %s's accepted record is lost", c.was.ID, err, c.other)
			continue
		}
		if c.state == asynq.TaskStateArchived && rest.State != c.state {
			t.Errorf("the rest of a dead-lettered batch is %v, want dead-lettered still", rest.State)
		}
		if got := string(rest.Payload); !strings.Contains(got, c.other) || strings.Contains(got, email) {
			t.Errorf("the rest of batch %s holds %q, want %s's record and not the erased person's", c.was.ID, got, c.other)
		}
	}
}

// A late webhook of an erased person's record that fails mapping (here a
// name longer than the hub holds) is dropped, not quarantined: a
// quarantined payload would keep their data until the retention purge.
func TestLateRecordOfAnErasedPersonIsNotQuarantined(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: func(c *config.Config) { c.Server.AdminToken = hsAdminToken }})
	email := "spaet@example.com"
	id, cust := e.shopifyCustomerInHub(t, map[string]any{"email": email, "first_name": "Sina", "last_name": "Spaet"})
	code, resp := adminCall(t, http.MethodDelete, fmt.Sprintf("%s/api/customers/%d", e.app.URL(), cust.ID))
	if code != http.StatusAccepted {
		t.Fatalf("DELETE: %d %v", code, resp)
	}
	e.quiet(t)
	if c, _ := e.hubCustomer(t, email); c != nil {
		t.Fatal("not erased")
	}
	n, _ := strconv.Atoi(id)
	rec := shopifyRecord(n, email, strings.Repeat("S", 256), time.Now().Add(-time.Minute))
	h, b := e.shopify.SignedDelivery("customers/update", rec)
	if code, body := postWebhook(t, e.app.URL()+"/webhooks/shopify", h, b); code != http.StatusOK {
		t.Fatalf("webhook: %d %s", code, body)
	}
	e.quiet(t)
	rows, err := e.app.Store.PendingQuarantine(context.Background(), "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range rows {
		if strings.Contains(string(q.Payload), email) {
			t.Errorf("erased person's record quarantined after the erasure: %s/%s reason %q payload holds %s", q.Instance, q.ExternalID, q.Reason, email)
		}
	}
}

// shopifyCustomerInHub creates a Shopify customer and waits until the hub
// holds it and everything is quiet: its Shopify id and hub customer.
func (e *env) shopifyCustomerInHub(t *testing.T, fields map[string]any) (string, *hub.Customer) {
	t.Helper()
	id := e.shopify.CreateCustomer(fields)
	email, _ := fields["email"].(string)
	var cust *hub.Customer
	eventually(t, 20*time.Second, "customer never reached the hub", func() bool {
		cust, _ = e.hubCustomer(t, email)
		return cust != nil
	})
	e.quiet(t)
	return id, cust
}
