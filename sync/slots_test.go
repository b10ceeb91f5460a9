package sync

import (
	"context"
	"errors"
	"testing"

	"github.com/shophub/shophub/config"
)

// A touchpoint's push slots bound what one process runs against it; a
// push finding them all taken steps aside with a busy error, which is
// retried soon and uses up no retries.
func TestPushSlots(t *testing.T) {
	tp := &Touchpoint{Name: "slow", slots: make(chan struct{}, 2)}
	ctx := context.Background()
	r1, err := tp.slot(ctx, slotWait)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := tp.slot(ctx, slotWait)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.slot(ctx, slotWait)
	if !errors.Is(err, errBusy) || IsFailure(err) || RetryDelay(3, err, nil) > slotWait*10 {
		t.Fatalf("third push with two slots: %v (failure %v)", err, IsFailure(err))
	}
	r1()
	r3, err := tp.slot(ctx, slotWait)
	if err != nil {
		t.Fatalf("a released slot is free again: %v", err)
	}
	r2()
	r3()
	if len(tp.slots) != 0 {
		t.Errorf("%d slots still taken after all releases", len(tp.slots))
	}
	if _, err := (&Touchpoint{}).slot(ctx, slotWait); err != nil {
		t.Errorf("a touchpoint without slots is unbounded: %v", err)
	}
}

func TestPushSlotsFromConfig(t *testing.T) {
	cases := []struct {
		name        string
		maxInFlight int
		concurrency int
		want        int
	}{
		{"configured", 3, 100, 3},
		{"a quarter of the worker", 0, 100, 25},
		{"at least one", 0, 2, 1},
		{"worker defaults not applied yet", 0, 0, config.DefaultConcurrency / 4},
	}
	for _, c := range cases {
		got := config.Connector{MaxInFlight: c.maxInFlight}.PushSlots(config.Worker{Concurrency: c.concurrency})
		if got != c.want {
			t.Errorf("%s: %d slots, want %d", c.name, got, c.want)
		}
	}
}
