package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
)

// TestStartDemo runs what `shophub dev` runs: seeded Shopify customers
// arrive in Shopware within seconds.
func TestStartDemo(t *testing.T) {
	d, err := app.StartDemo(context.Background(), app.DemoOptions{Dir: t.TempDir(), Seed: 3, Log: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	eventually(t, 20*time.Second, "demo customers never reached Shopware", func() bool { return d.Shopware.Count() == 3 })
	if len(d.SeededIDs) != 3 {
		t.Errorf("seeded ids %v", d.SeededIDs)
	}
}
