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
		_ = flag.Set("test.parallel", "6")
	}
	os.Exit(m.Run())
}
