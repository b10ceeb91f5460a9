package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
	shsync "github.com/shophub/shophub/sync"
)

const opsToken = "ops-token"

func withToken(c *config.Config) { c.Server.AdminToken = opsToken }

func (e *env) admin(t *testing.T, method, path string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, e.app.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+opsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (e *env) deadLetters(t *testing.T, connector string) []shsync.DeadLetter {
	t.Helper()
	code, b := e.admin(t, http.MethodGet, "/api/deadletters?connector="+url.QueryEscape(connector))
	if code != http.StatusOK {
		t.Fatalf("GET /api/deadletters: %d %s", code, b)
	}
	var body struct {
		DeadLetters []shsync.DeadLetter `json:"dead_letters"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		t.Fatal(err)
	}
	return body.DeadLetters
}

// A push the target refuses for good (422) skips its retries into the dead
// letters, with the vendor's status and body; once the cause is fixed, a
// replay through the API delivers it.
func TestDeadLetterListAndReplay(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: withToken})
	e.shopware.FailNext(1000, http.StatusUnprocessableEntity)
	c := app.DemoCustomer(1)
	email := c["email"].(string)
	e.shopify.CreateCustomer(c)

	var dls []shsync.DeadLetter
	eventually(t, 20*time.Second, "push to shopware never became a dead letter", func() bool {
		dls = e.deadLetters(t, "shopware")
		return len(dls) == 1
	})
	dl := dls[0]
	cust, _ := e.hubCustomer(t, email)
	if dl.Type != shsync.TypePush || dl.Queue != shsync.PushQueue("shopware") || cust == nil || dl.CustomerID != cust.ID ||
		!strings.Contains(dl.LastError, "422") || dl.LastFailedAt.IsZero() || dl.Attempts != 1 {
		t.Errorf("dead letter %+v (customer %v)", dl, cust)
	}
	if other := e.deadLetters(t, "shopify"); len(other) != 0 {
		t.Errorf("connector filter: shopify has %v", other)
	}
	if code, _ := e.admin(t, http.MethodPost, "/api/deadletters/nope~x/replay"); code != http.StatusNotFound {
		t.Errorf("replay of an unknown id: %d, want 404", code)
	}

	e.shopware.FailNext(0, 0)
	if code, b := e.admin(t, http.MethodPost, "/api/deadletters/"+url.PathEscape(dl.ID)+"/replay"); code != http.StatusAccepted {
		t.Fatalf("replay: %d %s", code, b)
	}
	eventually(t, 20*time.Second, "replayed push never reached shopware", func() bool {
		return e.linkOf(t, cust.ID, "shopware") != ""
	})
	if left := e.deadLetters(t, ""); len(left) != 0 {
		t.Errorf("dead letters after replay: %v", left)
	}
}

func TestReplayAllOfOneConnector(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: withToken})
	e.shopware.FailNext(1000, http.StatusUnprocessableEntity)
	for i := range 2 {
		e.shopify.CreateCustomer(app.DemoCustomer(i))
	}
	eventually(t, 20*time.Second, "pushes never became dead letters", func() bool { return len(e.deadLetters(t, "shopware")) == 2 })
	e.shopware.FailNext(0, 0)
	if code, b := e.admin(t, http.MethodPost, "/api/deadletters/replay"); code != http.StatusBadRequest {
		t.Errorf("replay without a connector: %d %s, want 400", code, b)
	}
	code, b := e.admin(t, http.MethodPost, "/api/deadletters/replay?connector=shopware")
	if code != http.StatusAccepted || !strings.Contains(string(b), `"replayed":2`) {
		t.Fatalf("replay shopware: %d %s", code, b)
	}
	e.quiet(t)
	if left := e.deadLetters(t, ""); len(left) != 0 {
		t.Errorf("dead letters after replay: %v", left)
	}
}

// /metrics counts webhooks by connector, task runs, vendor responses and
// queue sizes; the queue dashboard wants the admin token.
func TestMetricsAndDashboard(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{tune: withToken})
	c := app.DemoCustomer(3)
	e.shopify.CreateCustomer(c)
	eventually(t, 20*time.Second, "customer never reached shopware", func() bool {
		cust, _ := e.hubCustomer(t, c["email"].(string))
		return cust != nil && e.linkOf(t, cust.ID, "shopware") != ""
	})
	e.quiet(t)
	resp, err := http.Get(e.app.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`shophub_webhooks_received_total{connector="shopify"}`,
		`shophub_task_duration_seconds_count{connector="shopify",type="customer:ingest"}`,
		`shophub_task_duration_seconds_count{connector="shopware",type="customer:push"}`,
		`shophub_vendor_responses_total{connector="shopware"`,
		`shophub_queue_tasks{queue="push:shopware",state="pending"} 0`,
		`shophub_dead_letters{queue="ingest"} 0`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	resp, err = http.Get(e.app.URL() + "/ui/queues")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("/ui/queues without token: %d", resp.StatusCode)
	}
	if code, _ := e.admin(t, http.MethodGet, "/ui/queues"); code != http.StatusOK {
		t.Errorf("/ui/queues with token: %d", code)
	}
}
