package console_test

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub/hubtest"
	shsync "github.com/shophub/shophub/sync"
	"github.com/shophub/shophub/sync/redistest"
)

// The health page shows a connector's bulk push queue (a scoring run's
// pushes) beside its live push lag: a first run's flood waiting there is
// visible, and is not counted as live pushes waiting.
func TestHealthShowsBulkPushBacklog(t *testing.T) {
	rdb, _ := redistest.Client(t)
	srv := serveOn(t, hubtest.SQLite(t), rdb)
	c := login(t, srv)
	q := asynq.NewClientFromRedisClient(rdb)
	push := func(id uint64, bulk bool) {
		t.Helper()
		task := shsync.NewPushTask(shsync.PushPayload{Instance: "shopify", Resource: connectors.ResourceCustomer, CustomerID: id,
			Version: 1, Force: true, Knowledge: "s1", Bulk: bulk}, 3)
		if _, err := q.Enqueue(task); err != nil {
			t.Fatal(err)
		}
	}
	push(1, false)
	for id := uint64(2); id < 5; id++ {
		push(id, true)
	}
	code, _, page := do(t, c, http.MethodGet, srv.URL+"/ui/health", nil, "")
	if code != http.StatusOK {
		t.Fatalf("health: %d %.300s", code, page)
	}
	card := regexp.MustCompile(`(?s)<section class="card connector" id="connector-shopify">.*?</section>`).FindString(page)
	other := regexp.MustCompile(`(?s)<section class="card connector" id="connector-shopware">.*?</section>`).FindString(page)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`<dt>Push lag</dt><dd>\S+ \(1 waiting\)</dd>`),
		regexp.MustCompile(`<dt>Bulk pushes</dt><dd[^>]*>3 waiting, oldest \S+</dd>`),
	} {
		if !want.MatchString(card) {
			t.Errorf("shopify card lacks %s:\n%s", want, card)
		}
	}
	if !regexp.MustCompile(`<dt>Bulk pushes</dt><dd[^>]*>none</dd>`).MatchString(other) {
		t.Errorf("shopware card (no bulk queue):\n%s", other)
	}
}
