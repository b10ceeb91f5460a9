package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	gosync "sync"
	"time"
)

// One sick vendor stops nobody: a connector connects lazily, when a task
// first needs it or when RunConnect gets to it, never while the process
// starts. An instance whose Connect fails is marked down and retried with
// backoff; its tasks wait (without using up their retries) while every
// other instance works, and webhooks keep being accepted because verifying
// and decoding them needs no connection.

// Backoff between connect attempts of a down instance.
const (
	connectBackoffMin = time.Second
	connectBackoffMax = time.Minute
)

// link is a touchpoint's connection state. The mutex orders Connect's
// writes before every use of the connector that Ready lets through.
type link struct {
	mu        gosync.Mutex
	lazy      bool // false: Build was told not to connect; Ready always passes
	connected bool
	err       error
	failures  int
	since     time.Time     // of the current state
	next      time.Time     // earliest next attempt while down
	attempt   chan struct{} // closed when the running attempt ends; nil when none runs
	timeout   time.Duration
	onChange  func(Health)
}

func newLink(lazy bool, timeout time.Duration) *link {
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &link{lazy: lazy, timeout: timeout}
}

// Health is one instance's connection state as status, /readyz and metrics
// show it.
type Health struct {
	Instance string `json:"instance"`
	// State is "up", "down" or "pending" (not tried yet).
	State string `json:"state"`
	// Error is the last connect error while down. It may carry the
	// vendor's answer: shown to operators (status, logs), not on /readyz.
	Error    string    `json:"error,omitempty"`
	Failures int       `json:"failures,omitempty"`
	Since    time.Time `json:"since,omitzero"`
	NextTry  time.Time `json:"next_try,omitzero"`
}

// Health states.
const (
	StateUp      = "up"
	StateDown    = "down"
	StatePending = "pending"
)

// errUnavailable marks a task that waits for its instance to connect. It is
// not a failure (retries are not used up) and is retried when the next
// connect attempt is due.
type unavailableError struct {
	instance string
	retryIn  time.Duration
	err      error
}

func (e *unavailableError) Error() string {
	return fmt.Sprintf("connector instance %s is not connected (next attempt in %s): %v", e.instance, e.retryIn.Round(time.Second), e.err)
}

func (e *unavailableError) Unwrap() error { return e.err }

// unavailableDelay is when a task waiting for a down instance runs again.
func unavailableDelay(err error) (time.Duration, bool) {
	var u *unavailableError
	if !errors.As(err, &u) {
		return 0, false
	}
	return min(max(u.retryIn, connectBackoffMin), connectBackoffMax), true
}

// Ready connects the touchpoint's connector if it is not connected yet and
// no attempt is due later. While the instance is down it returns an error
// that retries the task when the next attempt is due.
func (tp *Touchpoint) Ready(ctx context.Context) error {
	l := tp.link
	if l == nil {
		return nil
	}
	for {
		l.mu.Lock()
		if !l.lazy || l.connected {
			l.mu.Unlock()
			return nil
		}
		if ch := l.attempt; ch != nil {
			l.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if wait := time.Until(l.next); l.err != nil && wait > 0 {
			err := &unavailableError{instance: tp.Name, retryIn: wait, err: l.err}
			l.mu.Unlock()
			return err
		}
		l.mu.Unlock()
		// The attempt belongs to the instance, not to the task that
		// started it: a task giving up must not cancel it for the others.
		tp.connect(context.WithoutCancel(ctx))
	}
}

// connect makes one attempt unless one runs already or the instance is up.
func (tp *Touchpoint) connect(ctx context.Context) {
	l := tp.link
	l.mu.Lock()
	if l.connected || l.attempt != nil {
		l.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	l.attempt = ch
	l.mu.Unlock()

	actx, cancel := context.WithTimeout(ctx, l.timeout)
	err := tp.Conn.Connect(actx)
	cancel()

	l.mu.Lock()
	now := time.Now()
	wasDown := l.err != nil
	if err == nil {
		l.connected, l.err, l.failures, l.since, l.next = true, nil, 0, now, time.Time{}
	} else {
		if !wasDown {
			l.since = now
		}
		l.err = err
		l.failures++
		l.next = now.Add(connectBackoff(l.failures))
	}
	l.attempt = nil
	h := l.health(tp.Name)
	notify := l.onChange
	close(ch)
	l.mu.Unlock()
	if notify != nil {
		notify(h)
	}
}

func connectBackoff(failures int) time.Duration {
	d := connectBackoffMin << min(failures-1, 10)
	return min(d, connectBackoffMax)
}

func (l *link) health(name string) Health {
	h := Health{Instance: name, State: StatePending}
	switch {
	case !l.lazy || l.connected:
		h.State, h.Since = StateUp, l.since
	case l.err != nil:
		h.State, h.Error, h.Failures, h.Since, h.NextTry = StateDown, l.err.Error(), l.failures, l.since, l.next
	}
	return h
}

// Health reports the touchpoint's connection state.
func (tp *Touchpoint) Health() Health {
	if tp.link == nil {
		return Health{Instance: tp.Name, State: StateUp}
	}
	tp.link.mu.Lock()
	defer tp.link.mu.Unlock()
	return tp.link.health(tp.Name)
}

// down reports an instance whose last connect attempt failed.
func (tp *Touchpoint) down() bool { return tp.Health().State == StateDown }

// Health reports every instance's connection state, in name order.
func (t *Touchpoints) Health() []Health {
	out := make([]Health, 0, len(t.names))
	for _, tp := range t.All() {
		out = append(out, tp.Health())
	}
	return out
}

// OnHealthChange sets a function called after every connect attempt with
// the instance's new state (the app publishes it for status and metrics).
// Set it before RunConnect.
func (t *Touchpoints) OnHealthChange(f func(Health)) {
	for _, tp := range t.byName {
		if tp.link != nil {
			tp.link.mu.Lock()
			tp.link.onChange = f
			tp.link.mu.Unlock()
		}
	}
}

// RunConnect connects every instance in the background at once, then
// retries the instances that are down when their backoff ends, until ctx
// ends. Each attempt is logged when the state changes.
func (t *Touchpoints) RunConnect(ctx context.Context, log *slog.Logger) {
	var wg gosync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, tp := range t.All() {
			if tp.link == nil || !tp.link.due() {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				before := tp.Health()
				tp.connect(ctx)
				after := tp.Health()
				switch {
				case after.State == StateUp && before.State != StateUp:
					log.Info("connector connected", "connector", tp.Name, "after_failures", before.Failures)
				case after.State == StateDown && (before.State != StateDown || after.Failures%10 == 0):
					log.Warn("connector cannot connect; its tasks wait, other connectors work", "connector", tp.Name,
						"err", after.Error, "failures", after.Failures, "next_try", after.NextTry.Sub(time.Now()).Round(time.Second))
				}
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// due reports that a connect attempt should start now.
func (l *link) due() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lazy && !l.connected && l.attempt == nil && !time.Now().Before(l.next)
}

// RetryNow makes a down instance's next connect attempt due at once (its
// credentials just arrived: an app registration was confirmed).
func (tp *Touchpoint) RetryNow() {
	if tp.link == nil {
		return
	}
	tp.link.mu.Lock()
	tp.link.next = time.Time{}
	tp.link.mu.Unlock()
}
