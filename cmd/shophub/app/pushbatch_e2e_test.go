package app_test

import (
	"fmt"
	gosync "sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// TestEditsAtOnceReachShopwareInBatches: a dozen Shopify customers edited
// within one moment reach Shopware through batched pushes (sync
// pushbatch.go), and afterwards Shopify, the hub and Shopware hold the
// same names for each. Each push of a batch counts as a push in the
// metrics the console reads.
func TestEditsAtOnceReachShopwareInBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	const n = 12
	shopifyIDs := make([]string, n)
	shopwareIDs := make([]string, n)
	for i := range n {
		shopifyIDs[i] = e.shopify.CreateCustomer(map[string]any{"email": fmt.Sprintf("stapel%d@example.com", i),
			"first_name": "Erst", "last_name": fmt.Sprint("Stapel", i),
			"addresses": []any{map[string]any{"address1": "Hafenstraße 1", "city": "Kiel", "zip": "24103", "country_code": "DE", "default": true}}})
	}
	for i := range n {
		_, shopwareIDs[i] = e.atShopware(t, fmt.Sprintf("stapel%d@example.com", i))
	}
	e.quiet(t)
	before := pushRuns(t, e, "customer:push-batch")

	for i := range n {
		if err := e.shopify.UpdateCustomer(shopifyIDs[i], map[string]any{"first_name": fmt.Sprint("Neu", i)}); err != nil {
			t.Fatal(err)
		}
	}
	var last string
	eventually(t, 30*time.Second, "the edits never all reached Shopware", func() bool {
		for i := range n {
			sw, _ := e.shopware.Customer(shopwareIDs[i])
			_, hub := e.hubCustomer(t, fmt.Sprintf("stapel%d@example.com", i))
			if want := fmt.Sprint("Neu", i); sw["firstName"] != want || hub["first_name"] != want {
				last = fmt.Sprintf("customer %d: shopware %v, hub %v", i, sw["firstName"], hub["first_name"])
				return false
			}
		}
		return true
	})
	if t.Failed() {
		t.Logf("last seen: %s", last)
	}
	e.quiet(t)
	for i := range n {
		sf, _ := e.shopify.Customer(shopifyIDs[i])
		sw, _ := e.shopware.Customer(shopwareIDs[i])
		if want := fmt.Sprint("Neu", i); sf["first_name"] != want || sw["firstName"] != want || sw["lastName"] != fmt.Sprint("Stapel", i) {
			t.Errorf("customer %d: Shopify %v, Shopware %v %v after quiet", i, sf["first_name"], sw["firstName"], sw["lastName"])
		}
	}
	batches := pushRuns(t, e, "customer:push-batch") - before
	t.Logf("push batches run: %d", batches)
	if batches == 0 {
		t.Errorf("%d edits at once went to Shopware without one push batch", n)
	}
	if pushes := pushRuns(t, e, "customer:push"); pushes < 2*n {
		t.Errorf("%d push runs counted for %d customers created and edited: batched pushes are not counted", pushes, n)
	}
}

// pushRuns is how many runs of task type typ to Shopware the app's
// metrics counted.
func pushRuns(t *testing.T, e *env, typ string) uint64 { return taskRuns(t, e, typ, "shopware") }

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// TestWebhooksAtOnceMergedFromOneTask: Shopify webhooks arriving together
// are queued by the receiver as one ingest task (sync.Queue.
// EnqueueReceived), and afterwards Shopify, the hub and Shopware hold the
// same names for every customer: none of a group's webhooks is lost or
// merged out of order.
func TestWebhooksAtOnceMergedFromOneTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	const n = 16
	shopifyIDs := make([]string, n)
	shopwareIDs := make([]string, n)
	for i := range n {
		shopifyIDs[i] = e.shopify.CreateCustomer(map[string]any{"email": fmt.Sprintf("zugleich%d@example.com", i),
			"first_name": "Erst", "last_name": fmt.Sprint("Zugleich", i),
			"addresses": []any{map[string]any{"address1": "Hafenstraße 1", "city": "Kiel", "zip": "24103", "country_code": "DE", "default": true}}})
	}
	for i := range n {
		_, shopwareIDs[i] = e.atShopware(t, fmt.Sprintf("zugleich%d@example.com", i))
	}
	e.quiet(t)
	before := taskRuns(t, e, "customer:ingest-batch", "")

	// Rounds of edits made at once until the receiver has grouped some:
	// whether webhooks meet depends on the scheduler, and a round where
	// none did still has to converge.
	round := 0
	for ; round < 5 && taskRuns(t, e, "customer:ingest-batch", "") == before; round++ {
		var wg gosync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := e.shopify.UpdateCustomer(shopifyIDs[i], map[string]any{"first_name": fmt.Sprint("R", round, "-", i)}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		e.quiet(t)
	}
	if taskRuns(t, e, "customer:ingest-batch", "") == before {
		t.Fatalf("%d rounds of %d webhooks at once: the receiver never queued them as one task", round, n)
	}
	for i := range n {
		want := fmt.Sprint("R", round-1, "-", i)
		sf, _ := e.shopify.Customer(shopifyIDs[i])
		sw, _ := e.shopware.Customer(shopwareIDs[i])
		_, hub := e.hubCustomer(t, fmt.Sprintf("zugleich%d@example.com", i))
		if sf["first_name"] != want || hub["first_name"] != want || sw["firstName"] != want {
			t.Errorf("customer %d after %d rounds: Shopify %v, hub %v, Shopware %v; want %s everywhere",
				i, round, sf["first_name"], hub["first_name"], sw["firstName"], want)
		}
	}
}

// taskRuns is how many runs of task type typ for connector the app's
// metrics counted ("" for a task of many connectors').
func taskRuns(t *testing.T, e *env, typ, connector string) uint64 {
	t.Helper()
	mfs, err := e.app.Metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, mf := range mfs {
		if mf.GetName() != "shophub_task_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label(m, "type") == typ && label(m, "connector") == connector {
				n += m.GetHistogram().GetSampleCount()
			}
		}
	}
	return n
}
