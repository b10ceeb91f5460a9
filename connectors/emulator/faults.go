// Package emulator holds what every vendor emulator offers its tests:
// injected faults (throttling with a wait, failures with a status) and a
// request counter, and the local server with its request log. An emulator
// embeds Server (or Faults alone) and answers a Fault in its vendor's own
// error shape.
package emulator

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Faults is embedded by emulators; its methods become theirs.
type Faults struct {
	mu         sync.Mutex
	throttleN  int
	retryAfter time.Duration
	failN      int
	failStatus int
	// lost answers: requests matching lostMatch are carried out, and their
	// answer is held until the client gives up.
	lostN     int
	lostMatch func(*http.Request) bool
	requests  atomic.Int64
	writes    atomic.Int64
}

// LoseAnswers makes the next n requests that match carry out their work
// (a create commits) but never answer in time: the answer is held until the
// client gives up waiting, as when a vendor's proxy times out a slow
// request the backend still finishes. A client that repeats the request
// then sees the vendor's state after the first one.
func (f *Faults) LoseAnswers(n int, match func(*http.Request) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lostN, f.lostMatch = n, match
}

// loseAnswer consumes one lost-answer fault if r matches.
func (f *Faults) loseAnswer(r *http.Request) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lostN == 0 || f.lostMatch == nil || !f.lostMatch(r) {
		return false
	}
	f.lostN--
	return true
}

// maxHeldAnswer bounds how long a lost answer is held when the client
// never hangs up.
const maxHeldAnswer = 30 * time.Second

// withLostAnswers wraps an emulator's handler with the LoseAnswers fault.
func (f *Faults) withLostAnswers(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !f.loseAnswer(r) {
			h.ServeHTTP(w, r)
			return
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		// Read to the end, so the server notices the client hanging up and
		// cancels the request's context.
		_, _ = io.Copy(io.Discard, r.Body)
		t := time.NewTimer(maxHeldAnswer)
		defer t.Stop()
		select {
		case <-r.Context().Done():
		case <-t.C:
		}
		w.WriteHeader(http.StatusGatewayTimeout)
	})
}

// Throttle makes the next n API requests answer 429 with retryAfter.
func (f *Faults) Throttle(n int, retryAfter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttleN, f.retryAfter = n, retryAfter
}

// FailNext makes the next n API requests answer status.
func (f *Faults) FailNext(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failN, f.failStatus = n, status
}

// Requests counts API requests received.
func (f *Faults) Requests() int64 { return f.requests.Load() }

// CountWrite counts one request that asks to change data (its vendor's
// writes, not searches or token requests sent with POST), answered or not.
func (f *Faults) CountWrite() { f.writes.Add(1) }

// Writes counts the write requests received: what a test measures when it
// asks how many writes one edit costs a vendor.
func (f *Faults) Writes() int64 { return f.writes.Load() }

// Fault is what Take decided for one request.
type Fault struct {
	// Throttled: answer 429 with RetryAfter.
	Throttled  bool
	RetryAfter time.Duration
	// Status is an injected failure to answer, 0 for none.
	Status int
}

// Take counts one request and consumes one injected fault, throttling
// before failures.
func (f *Faults) Take() Fault {
	f.CountRequest()
	return f.Next()
}

// CountRequest counts one request without consuming a fault, for emulators
// that count requests their vendor refuses before faults would apply.
func (f *Faults) CountRequest() { f.requests.Add(1) }

// Next consumes one injected fault without counting a request (see
// CountRequest), throttling before failures.
func (f *Faults) Next() Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.throttleN > 0:
		f.throttleN--
		return Fault{Throttled: true, RetryAfter: f.retryAfter}
	case f.failN > 0:
		f.failN--
		return Fault{Status: f.failStatus}
	}
	return Fault{}
}

// Seconds formats a wait as Retry-After seconds ("1.5").
func Seconds(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
