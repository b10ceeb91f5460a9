package connectors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTokenSource(t *testing.T) {
	ctx := context.Background()
	var fetches atomic.Int32
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	ts := NewTokenSource(func(context.Context) (string, time.Duration, error) {
		n := fetches.Add(1)
		time.Sleep(5 * time.Millisecond) // let concurrent callers pile up
		return fmt.Sprint("tok", n), 10 * time.Minute, nil
	}, nil)
	ts.SetClock(func() time.Time { clock.Lock(); defer clock.Unlock(); return now })

	// Concurrent callers share one fetch.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := ts.Token(ctx); err != nil || tok != "tok1" {
				t.Errorf("Token = %q, %v", tok, err)
			}
		}()
	}
	wg.Wait()
	if fetches.Load() != 1 {
		t.Fatalf("%d fetches for 20 concurrent callers, want 1", fetches.Load())
	}
	// A 401 with a token already replaced by someone else fetches nothing.
	uctx := WithUsedToken(ctx)
	uctx.Value(usedTokenKey{}).(*usedToken).tok = "tok0"
	if err := ts.Reauthorize(uctx); err != nil || fetches.Load() != 1 {
		t.Errorf("reauthorize of a stale token: %v, %d fetches", err, fetches.Load())
	}
	// A 401 with the current token replaces it.
	uctx.Value(usedTokenKey{}).(*usedToken).tok = "tok1"
	if err := ts.Reauthorize(uctx); err != nil || fetches.Load() != 2 {
		t.Errorf("reauthorize of the current token: %v, %d fetches", err, fetches.Load())
	}
	// Renewed before expiry (margin: min(30s, ttl/4)).
	clock.Lock()
	now = now.Add(10*time.Minute - 20*time.Second)
	clock.Unlock()
	if tok, _ := ts.Token(ctx); tok != "tok3" {
		t.Errorf("token near expiry = %q, want a renewed tok3", tok)
	}
}

func TestTokenSourceStopsAfterARefusedLogin(t *testing.T) {
	var fetches atomic.Int32
	refused := errors.New("login refused")
	ts := NewTokenSource(func(context.Context) (string, time.Duration, error) {
		fetches.Add(1)
		return "", 0, Permanent(refused)
	}, nil)
	for i := 0; i < 5; i++ {
		if _, err := ts.Token(context.Background()); !errors.Is(err, refused) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if fetches.Load() != 1 {
		t.Errorf("%d logins after a refusal, want 1", fetches.Load())
	}
}
