package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
	"github.com/shophub/shophub/config"
)

// Two worker processes share Redis and the database; each schedules polls
// (and reconciliation sweeps) every second. Each must happen once per
// interval, not once per process.
func TestScheduledPollsRunOnceAcrossWorkers(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*config.Connector)
	}{
		{"poll", func(c *config.Connector) { c.PollInterval = config.Duration(time.Second) }},
		{"reconcile", func(c *config.Connector) { c.Reconcile = config.Duration(time.Second) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, envOptions{tune: func(c *config.Config) {
				onlyShopify(c)
				c.Connectors[0].PollInterval = 0
				tc.set(&c.Connectors[0])
				// One resource, so one request is one poll or sweep (orders
				// list apart).
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
			runs := e.shopify.Requests() - before // an empty shop: one request per run
			t.Logf("%d %ss in %s with two workers and a 1s interval", runs, tc.name, window)
			if runs > int64(window/time.Second)+1 {
				t.Errorf("%d %ss in %s: the two workers both ran them", runs, tc.name, window)
			}
			if runs < int64(window/time.Second)-2 {
				t.Errorf("only %d %ss in %s at a 1s interval", runs, tc.name, window)
			}
		})
	}
}
