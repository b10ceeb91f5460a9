package connectors

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"2.0", 2 * time.Second, true},
		{"0.5", 500 * time.Millisecond, true},
		{"Tue, 24 Nov 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Tue, 24 Nov 2026 11:00:00 GMT", 0, true},
		{"", 0, false},
		{"soon", 0, false},
		{"-1", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseRetryAfter(c.in, now)
		if got != c.want || ok != c.ok {
			t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// vendor answers with the given statuses in turn, then 200.
func vendor(t *testing.T, statuses ...int) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if i < len(statuses) {
			if statuses[i] == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "0.05")
			}
			w.WriteHeader(statuses[i])
			_, _ = w.Write([]byte(`{"errors":"vendor says no"}`))
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestHTTPClientRetriesAndErrors(t *testing.T) {
	cases := []struct {
		name      string
		statuses  []int
		calls     int32
		wantErr   bool
		permanent bool
		notFound  bool
		limited   bool
	}{
		{"ok", nil, 1, false, false, false, false},
		{"5xx then ok", []int{502, 503}, 3, false, false, false, false},
		{"short 429 waited out", []int{429}, 2, false, false, false, false},
		{"5xx exhausted", []int{500, 500, 500}, 3, true, false, false, false},
		{"422 is permanent", []int{422}, 1, true, true, false, false},
		{"404 is not found", []int{404}, 1, true, true, true, false},
		{"429 exhausted", []int{429, 429, 429}, 3, true, false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, n := vendor(t, c.statuses...)
			cl := NewHTTPClient(ClientOptions{BaseURL: srv.URL, BaseBackoff: time.Millisecond})
			var out map[string]any
			_, err := cl.Do(context.Background(), "GET", "/x?email=jane@example.com", nil, &out)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if got := n.Load(); got != c.calls {
				t.Errorf("%d calls, want %d", got, c.calls)
			}
			if errors.Is(err, ErrPermanent) != c.permanent || errors.Is(err, ErrNotFound) != c.notFound {
				t.Errorf("err %v: permanent %v notFound %v", err, errors.Is(err, ErrPermanent), errors.Is(err, ErrNotFound))
			}
			if _, ok := RetryAfterOf(err); ok != c.limited {
				t.Errorf("err %v: rate limited %v, want %v", err, ok, c.limited)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "vendor says no") {
					t.Errorf("error %q lacks the vendor's body", err)
				}
				if strings.Contains(err.Error(), "jane") {
					t.Errorf("error %q leaks the query's email", err)
				}
			}
		})
	}
}

// TestHTTPClientNeverRepeatsCreates: a POST whose answer was lost (5xx,
// timeout) may have been committed, so only POSTs marked Idempotent are
// repeated in place; answers the vendor did not act on (429) are repeated
// for every method.
func TestHTTPClientNeverRepeatsCreates(t *testing.T) {
	cases := []struct {
		name       string
		idempotent bool
		statuses   []int
		calls      int32
		wantErr    bool
	}{
		{"5xx on a create goes back to the queue", false, []int{502}, 1, true},
		{"408 on a create goes back to the queue", false, []int{408}, 1, true},
		{"429 on a create is waited out", false, []int{429}, 2, false},
		{"5xx on a search sent as POST is repeated", true, []int{502, 503}, 3, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv, n := vendor(t, c.statuses...)
			cl := NewHTTPClient(ClientOptions{BaseURL: srv.URL, BaseBackoff: time.Millisecond})
			ctx := context.Background()
			if c.idempotent {
				ctx = Idempotent(ctx)
			}
			_, err := cl.Do(ctx, "POST", "/customers", map[string]any{"email": "a@example.com"}, nil)
			if (err != nil) != c.wantErr {
				t.Fatalf("err = %v, want error %v", err, c.wantErr)
			}
			if got := n.Load(); got != c.calls {
				t.Errorf("%d calls, want %d", got, c.calls)
			}
		})
	}

	// A create that commits and then outlives the client's timeout is
	// sent once; a PUT in the same situation is repeated.
	for _, method := range []string{"POST", "PUT"} {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body) // the vendor commits
			if n.Add(1) == 1 {
				select { // and its answer never arrives in time
				case <-r.Context().Done():
				case <-time.After(5 * time.Second):
				}
				return
			}
			_, _ = w.Write([]byte(`{}`))
		}))
		cl := NewHTTPClient(ClientOptions{BaseURL: srv.URL, Timeout: 100 * time.Millisecond, BaseBackoff: time.Millisecond})
		_, err := cl.Do(context.Background(), method, "/customers", map[string]any{}, nil)
		srv.Close()
		want := map[string]int32{"POST": 1, "PUT": 2}[method]
		if got := n.Load(); got != want || (method == "POST") != (err != nil) {
			t.Errorf("%s timing out once: %d calls, err %v; want %d calls", method, got, err, want)
		}
	}

	// A POST to a server that is not listening was never sent: repeated.
	dead := httptest.NewServer(http.NotFoundHandler())
	url := dead.URL
	dead.Close()
	if !notSent(func() error {
		_, err := NewHTTPClient(ClientOptions{BaseURL: url, Retries: -1}).Do(context.Background(), "POST", "/customers", map[string]any{}, nil)
		return err
	}()) {
		t.Error("a refused connection is not recognised as a request never sent")
	}
}

func TestHTTPClientReauthorizesOnceOn401(t *testing.T) {
	srv, n := vendor(t, 401, 401, 401)
	refreshed := 0
	cl := NewHTTPClient(ClientOptions{BaseURL: srv.URL, Reauthorize: func(context.Context) error { refreshed++; return nil }})
	_, err := cl.Do(context.Background(), "GET", "/x", nil, nil)
	if err == nil || refreshed != 1 || n.Load() != 2 {
		t.Errorf("err %v, refreshed %d times, %d calls; want an error after one refresh and two calls", err, refreshed, n.Load())
	}
}

func TestHTTPClientHonoursContext(t *testing.T) {
	srv, _ := vendor(t, 500, 500, 500)
	cl := NewHTTPClient(ClientOptions{BaseURL: srv.URL, BaseBackoff: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := cl.Do(ctx, "GET", "/x", nil, nil)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err %v after %s: backoff must end with the context", err, time.Since(start))
	}
}

func TestInstanceLimiter(t *testing.T) {
	shared := LocalLimiter{}
	if got := InstanceLimiter(Instance{RateLimit: 5, Limiter: shared}, 2, 40); got != shared {
		t.Errorf("shared limiter not used: %#v", got)
	}
	for _, tc := range []struct {
		name        string
		inst        Instance
		rate, burst float64
	}{
		{"vendor defaults", Instance{}, 2, 40},
		{"configured", Instance{RateLimit: 7, RateBurst: 3}, 7, 3},
		{"configured rate, default burst", Instance{RateLimit: 7}, 7, 40},
	} {
		l, ok := InstanceLimiter(tc.inst, 2, 40).(LocalLimiter)
		if !ok || float64(l.L.Limit()) != tc.rate || float64(l.L.Burst()) != tc.burst {
			t.Errorf("%s: got %#v, want %v/s burst %v", tc.name, l.L, tc.rate, tc.burst)
		}
	}
	if got := InstanceLimiter(Instance{RateLimit: -1}, 2, 40); got != nil {
		t.Errorf("negative rate: got %#v, want no pacing", got)
	}
	if got := InstanceLimiter(Instance{}, 0, 1); got != nil {
		t.Errorf("no rate and no default: got %#v, want no pacing", got)
	}
}

type countingLimiter struct{ units atomic.Int64 }

func (l *countingLimiter) Wait(_ context.Context, cost int) error {
	l.units.Add(int64(cost))
	return nil
}

// TestWithPaid: a request whose units the caller waited for already is
// sent without waiting again, a repeat of it after a failure waits, and
// an unmarked request always waits.
func TestWithPaid(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/flaky" && calls.Add(1) == 1 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	cases := []struct {
		name, path string
		paid       bool
		want       int64
	}{
		{"unmarked", "/ok", false, 2},
		{"paid", "/ok", true, 0},
		{"paid, repeated after a 429", "/flaky", true, 2},
	}
	for _, c := range cases {
		lim := &countingLimiter{}
		cl := NewHTTPClient(ClientOptions{BaseURL: srv.URL, BaseBackoff: time.Millisecond, Limiter: lim,
			Cost: func(string) int { return 2 }})
		ctx := context.Background()
		if c.paid {
			ctx = WithPaid(ctx)
		}
		if _, err := cl.DoRequest(ctx, http.MethodPut, c.path, nil, nil); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := lim.units.Load(); got != c.want {
			t.Errorf("%s: waited for %d units, want %d", c.name, got, c.want)
		}
	}
}
