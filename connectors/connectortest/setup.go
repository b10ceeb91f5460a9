package connectortest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Start serves an emulator for one test and returns its base URL.
func Start(t *testing.T, emu interface {
	Start() string
	Close()
}) string {
	t.Helper()
	url := emu.Start()
	t.Cleanup(emu.Close)
	return url
}

// Connect builds a connector through the registry, as the pipeline does,
// connects it, and closes it when the test ends.
func Connect(t *testing.T, inst connectors.Instance, settings map[string]any) connectors.Connector {
	t.Helper()
	c, err := connectors.New(inst, settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Emulator is what every vendor emulator offers the kit: customers seeded
// and read back as the vendor holds them, and throttling.
type Emulator interface {
	Seed(n int) []string
	Customer(id string) (map[string]any, bool)
	Count() int
	Throttle(n int, retryAfter time.Duration)
}

// WithEmulator returns env with Seed, Stored, Count and Throttle taken from
// emu where env leaves them nil.
func (env Env) WithEmulator(emu Emulator) Env {
	if env.Seed == nil {
		env.Seed = func(t *testing.T, n int) []string { return emu.Seed(n) }
	}
	if env.Stored == nil {
		env.Stored = func(t *testing.T, id string) (map[string]any, bool) { return emu.Customer(id) }
	}
	if env.Count == nil {
		env.Count = func(t *testing.T) int { return emu.Count() }
	}
	if env.Throttle == nil {
		env.Throttle = func(t *testing.T, n int, d time.Duration) { emu.Throttle(n, d) }
	}
	return env
}

// Refused is a configuration a connector must refuse before connecting.
type Refused struct {
	// Name names the subtest (default: Want).
	Name string
	// Type is the connector type when it differs from CheckRefused's.
	Type     string
	Settings map[string]any
	// Want is part of the error the connector must give.
	Want string
}

// CheckRefused checks that building a connector of typ refuses each
// configuration with an error naming what is wrong.
func CheckRefused(t *testing.T, typ string, cases []Refused) {
	t.Helper()
	for _, tt := range cases {
		name, ctyp := tt.Name, tt.Type
		if name == "" {
			name = tt.Want
		}
		if ctyp == "" {
			ctyp = typ
		}
		t.Run(name, func(t *testing.T) {
			_, err := connectors.New(connectors.Instance{Name: "refused", Type: ctyp}, tt.Settings)
			if err == nil || !strings.Contains(err.Error(), tt.Want) {
				t.Errorf("got %v, want an error containing %q", err, tt.Want)
			}
		})
	}
}

// Fixture reads testdata/name, a vendor-shaped record of the connector
// under test.
func Fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FixtureJSON decodes testdata/name as one JSON object.
func FixtureJSON(t *testing.T, name string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(Fixture(t, name), &m); err != nil {
		t.Fatalf("testdata/%s: %v", name, err)
	}
	return m
}
