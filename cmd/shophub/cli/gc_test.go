package cli

import (
	"os"
	"runtime/debug"
	"testing"
)

// Without GOGC the binary runs the collector at defaultGCPercent; with it,
// the operator's value stands.
func TestGCDefaults(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	for _, tc := range []struct {
		name string
		gogc string
		set  bool
		want int
	}{
		{"unset", "", false, defaultGCPercent},
		{"set by the operator", "150", true, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			if tc.set {
				t.Setenv("GOGC", tc.gogc)
			} else {
				unsetEnv(t, "GOGC")
			}
			gcDefaults()
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Errorf("GC percent %d, want %d", got, tc.want)
			}
		})
	}
}

// unsetEnv removes key for the test; t.Setenv first records the value to
// restore.
func unsetEnv(t *testing.T, key string) {
	t.Helper()
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}
