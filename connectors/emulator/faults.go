// Package emulator holds what every vendor emulator offers its tests:
// injected faults (throttling with a wait, failures with a status) and a
// request counter, and the local server with its request log. An emulator
// embeds Server (or Faults alone) and answers a Fault in its vendor's own
// error shape.
package emulator

import (
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
	requests   atomic.Int64
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
