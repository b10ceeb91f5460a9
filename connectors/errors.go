package connectors

import (
	"errors"
	"fmt"
	"time"
)

var (
	// ErrBadSignature: the webhook is not authentic (answer 401).
	ErrBadSignature = errors.New("bad webhook signature")
	// ErrMalformed: the webhook body or headers cannot be parsed (answer 400).
	ErrMalformed = errors.New("malformed webhook")
	// ErrNotFound: the vendor has no such record.
	ErrNotFound = errors.New("not found")
	// ErrPermanent marks an error a retry cannot fix (validation, 4xx).
	ErrPermanent = errors.New("permanent vendor error")
	// ErrNotRepresentable: the target cannot hold the record yet, because
	// data it requires is missing in the hub (Shopware creates no customer
	// without an address). That is no failure and no retry helps: the
	// pipeline records the record as waiting and pushes it again once the
	// hub's record changes. A Writer may return it together with a record
	// when it wrote everything but the part it cannot hold yet.
	ErrNotRepresentable = errors.New("not representable at the target yet")
	// ErrChanged: the record changed at the vendor since the pipeline read
	// it (an Updater's current record), so the write, computed from that
	// read, could overwrite an edit nobody has merged yet. Nothing was
	// written; the pipeline reads the record again, merges it and retries
	// soon. Writers of vendors without a conditional write re-read right
	// before writing to tell (Magento); one with a conditional write maps
	// its refusal (412, a version mismatch) to it.
	ErrChanged = errors.New("record changed at the vendor since it was read")
)

// NotRepresentable returns an error wrapping ErrNotRepresentable that says
// what the target is missing.
func NotRepresentable(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotRepresentable, fmt.Sprintf(format, args...))
}

// HTTPError carries the vendor's status and body so operators see what the
// vendor said, not only that it failed.
type HTTPError struct {
	Method string
	URL    string
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	body := e.Body
	if len(body) > 512 {
		body = body[:512] + "…"
	}
	return fmt.Sprintf("%s %s: vendor answered %d: %s", e.Method, e.URL, e.Status, body)
}

// Is lets errors.Is(err, ErrNotFound) and errors.Is(err, ErrPermanent) work on
// vendor answers without every caller switching on status codes.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrNotFound:
		return e.Status == 404
	case ErrPermanent:
		return e.Status >= 400 && e.Status < 500 && e.Status != 401 && e.Status != 408 && e.Status != 409 && e.Status != 423 && e.Status != 429
	}
	return false
}

// RateLimitedError tells the pipeline to retry this connector's task no
// sooner than RetryAfter.
type RateLimitedError struct {
	RetryAfter time.Duration
	Err        error
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.RetryAfter, e.Err)
}

func (e *RateLimitedError) Unwrap() error { return e.Err }

// Permanent wraps err so that errors.Is(err, ErrPermanent) holds.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", ErrPermanent, err)
}
