package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// chaosProxy stands between the emulators and shophub's webhook endpoint
// and does to deliveries what networks and vendor retry queues do: it
// accepts each delivery at once, then forwards it after a random delay,
// sometimes twice, so deliveries arrive late, duplicated and out of order.
// A forward that shophub refuses (5xx while busy) is retried, as the
// vendor would: nothing is lost, only late.
//
// Decisions come from the seed and the delivery's place in its
// instance's sequence, so a seed replays the same chaos for the same
// schedule.
type chaosProxy struct {
	seed     uint64
	maxDelay time.Duration
	dupRate  float64
	srv      *httptest.Server
	hc       *http.Client

	mu      sync.Mutex
	targets map[string]string
	counts  map[string]uint64
	pending sync.WaitGroup
	inFly   atomic.Int64
	ctx     context.Context
	cancel  context.CancelFunc

	// stats: deliveries received, forwards made, duplicates sent.
	received, forwarded, duplicated atomic.Int64
}

func newChaosProxy(seed uint64, maxDelay time.Duration, dupRate float64) *chaosProxy {
	ctx, cancel := context.WithCancel(context.Background())
	p := &chaosProxy{seed: seed, maxDelay: maxDelay, dupRate: dupRate, counts: map[string]uint64{}, targets: map[string]string{},
		hc: &http.Client{Timeout: 10 * time.Second}, ctx: ctx, cancel: cancel}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	return p
}

// via returns the proxy URL that forwards to target; the instance name
// keys the decisions.
func (p *chaosProxy) via(instance, target string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.targets[instance] = target
	return p.srv.URL + "/" + instance
}

func (p *chaosProxy) serve(w http.ResponseWriter, r *http.Request) {
	instance, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	target, ok := p.targets[instance]
	n := p.counts[instance]
	p.counts[instance]++
	p.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if rest != "" {
		target += "/" + rest
	}
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	p.received.Add(1)
	h := fnv.New64a()
	h.Write([]byte(instance))
	rng := rand.New(rand.NewPCG(p.seed, h.Sum64()^n))
	copies := 1
	if rng.Float64() < p.dupRate {
		copies = 2
	}
	for i := 0; i < copies; i++ {
		delay := time.Duration(rng.Int64N(int64(p.maxDelay) + 1))
		if i > 0 {
			p.duplicated.Add(1)
		}
		p.pending.Add(1)
		p.inFly.Add(1)
		go p.forward(target, r.Header.Clone(), body, delay)
	}
	w.WriteHeader(http.StatusOK)
}

func (p *chaosProxy) forward(url string, h http.Header, body []byte, delay time.Duration) {
	defer p.pending.Done()
	defer p.inFly.Add(-1)
	select {
	case <-time.After(delay):
	case <-p.ctx.Done():
		return
	}
	for attempt := 0; attempt < 20; attempt++ {
		req, err := http.NewRequestWithContext(p.ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header = h.Clone()
		resp, err := p.hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
				p.forwarded.Add(1)
				return
			}
		}
		select {
		case <-time.After(200 * time.Millisecond):
		case <-p.ctx.Done():
			return
		}
	}
}

// later runs fn after d unless the proxy is closed first; until then the
// proxy is not idle.
func (p *chaosProxy) later(d time.Duration, fn func(ctx context.Context)) {
	p.pending.Add(1)
	p.inFly.Add(1)
	go func() {
		defer p.pending.Done()
		defer p.inFly.Add(-1)
		select {
		case <-time.After(d):
			fn(p.ctx)
		case <-p.ctx.Done():
		}
	}()
}

// idle reports whether no delivery (nor anything run later) waits.
func (p *chaosProxy) idle() bool { return p.inFly.Load() == 0 }

func (p *chaosProxy) close() {
	p.cancel()
	p.srv.Close()
	p.pending.Wait()
}

// slowVendor is a reverse proxy in front of a vendor API that answers
// every call after a random latency up to max: polls list late (a record
// changes between the listing and its ingest) and pushes land late (an
// admin edits while a push is on its way).
type slowVendor struct {
	srv *httptest.Server
	n   atomic.Uint64

	mu  sync.Mutex
	log []vendorCall
}

// vendorCall is one call shophub made, with when it left shophub, when it
// was sent on to the vendor (reached it) and when the vendor answered; a
// write keeps the start of its body.
type vendorCall struct {
	method, path     string
	body             string
	left, sent, done time.Time
}

// inFlight finds an Odoo write of shophub's to partner extID that set val
// and had left shophub before t and reached the vendor after it. An edit
// of that field made at t is then overwritten by that write: Odoo has no
// conditional write, and the writer's re-read right before it
// (connectors.ErrChanged) saw the record before the edit.
func (v *slowVendor) inFlight(extID string, t time.Time, val string) (vendorCall, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, c := range v.log {
		if c.method == http.MethodGet || !c.left.Before(t) || !c.sent.After(t) {
			continue
		}
		var w struct {
			IDs  []json.Number  `json:"ids"`
			Vals map[string]any `json:"vals"`
		}
		if json.Unmarshal([]byte(c.body), &w) != nil || len(w.IDs) != 1 || w.IDs[0].String() != extID {
			continue
		}
		if _, ok := w.Vals[val]; ok {
			return c, true
		}
	}
	return vendorCall{}, false
}

// around lists the calls that were under way within d of t.
func (v *slowVendor) around(t time.Time, d time.Duration) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, c := range v.log {
		if c.done.After(t.Add(-d)) && c.sent.Before(t.Add(d)) {
			out = append(out, fmt.Sprintf("%s %s sent %+.3fs answered %+.3fs", c.method, c.path, c.sent.Sub(t).Seconds(), c.done.Sub(t).Seconds()))
		}
	}
	return out
}

func newSlowVendor(seed uint64, target string, maxLatency time.Duration) *slowVendor {
	u, err := url.Parse(target)
	if err != nil {
		panic(err)
	}
	v := &slowVendor{}
	rp := httputil.NewSingleHostReverseProxy(u)
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		left := time.Now()
		var body string
		if r.Method != http.MethodGet && r.Body != nil {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			body = string(b[:min(len(b), 4096)])
		}
		rng := rand.New(rand.NewPCG(seed, v.n.Add(1)))
		select {
		case <-time.After(time.Duration(rng.Int64N(int64(maxLatency) + 1))):
		case <-r.Context().Done():
			return
		}
		c := vendorCall{method: r.Method, path: r.URL.Path, body: body, left: left, sent: time.Now()}
		rp.ServeHTTP(w, r)
		c.done = time.Now()
		v.mu.Lock()
		v.log = append(v.log, c)
		v.mu.Unlock()
	}))
	return v
}

func (v *slowVendor) URL() string { return v.srv.URL }
func (v *slowVendor) close()      { v.srv.Close() }
