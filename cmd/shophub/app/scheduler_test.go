package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
)

// Two worker processes share Redis and the database; each schedules polls
// every second. Polls must happen once per interval, not once per process.
func TestScheduledPollsRunOnceAcrossWorkers(t *testing.T) {
	e := newEnv(t, envOptions{tune: func(c *config.Config) {
		onlyShopify(c)
		c.Connectors[0].PollInterval = config.Duration(time.Second)
		// One resource, so one request is one poll (orders poll apart).
		c.Connectors[0].Resources = []string{"customer"}
	}})
	second, err := app.New(context.Background(), app.Options{Config: e.cfg, Log: testLogger(), Work: true, Redis: e.rdb})
	if err != nil {
		t.Fatal(err)
	}
	if err := second.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Shutdown(context.Background()) })

	time.Sleep(1500 * time.Millisecond) // let both schedulers settle
	before := e.shopify.Requests()
	const window = 5 * time.Second
	time.Sleep(window)
	polls := e.shopify.Requests() - before // an empty shop: one request per poll
	t.Logf("%d polls in %s with two workers and a 1s interval", polls, window)
	if polls > int64(window/time.Second)+1 {
		t.Errorf("%d polls in %s: the two workers both polled", polls, window)
	}
	if polls < int64(window/time.Second)-2 {
		t.Errorf("only %d polls in %s at a 1s interval", polls, window)
	}
}
