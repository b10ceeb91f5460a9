package app_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain lets more end-to-end tests run at once than the default
// -test.parallel (GOMAXPROCS, 2 on CI): most of their time is spent
// waiting on poll intervals, webhooks and retry backoff, not on the CPU.
// Tests whose assertions count events in a short time window (scheduled
// polls) or race edits against pushes on purpose (convergence) stay
// serial and run before the parallel ones, alone in this package. An explicit -parallel on the command line wins.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		_ = flag.Set("test.parallel", "4")
	}
	os.Exit(m.Run())
}

// heavySlots lets at most two of the tests that drive thousands of pushes
// or webhooks run at once (as when -test.parallel was GOMAXPROCS): beside
// each other and the waiting tests they starved the machine's two cores,
// and their pacing and recovery assertions measured the starvation.
var heavySlots = make(chan struct{}, 2)

// heavy marks a parallel test as one of those; call it after t.Parallel.
func heavy(t *testing.T) {
	heavySlots <- struct{}{}
	t.Cleanup(func() { <-heavySlots })
}
