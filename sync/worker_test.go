package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/shophub/shophub/config"
	"github.com/shophub/shophub/connectors"
)

func TestRetryDelay(t *testing.T) {
	limited := fmt.Errorf("push: %w", &connectors.RateLimitedError{RetryAfter: 42 * time.Second})
	cases := []struct {
		name     string
		n        int
		err      error
		min, max time.Duration
	}{
		{"vendor Retry-After honoured", 0, limited, 42 * time.Second, 43 * time.Second},
		{"busy lock retried soon", 5, errBusy, 500 * time.Millisecond, 500 * time.Millisecond},
		{"first backoff", 0, errors.New("x"), 500 * time.Millisecond, time.Second},
		{"grows", 4, errors.New("x"), 8 * time.Second, 16 * time.Second},
		{"capped at ten minutes", 30, errors.New("x"), 5 * time.Minute, 10 * time.Minute},
	}
	for _, c := range cases {
		for i := 0; i < 20; i++ {
			if d := RetryDelay(c.n, c.err, nil); d < c.min || d > c.max {
				t.Errorf("%s: RetryDelay = %s, want within [%s, %s]", c.name, d, c.min, c.max)
			}
		}
	}
}

func TestIsFailure(t *testing.T) {
	if IsFailure(errBusy) || IsFailure(&connectors.RateLimitedError{RetryAfter: time.Second}) {
		t.Error("waiting for a lock or a rate limit must not use up retries")
	}
	if !IsFailure(errors.New("vendor down")) {
		t.Error("a real error must count")
	}
}

// TestConflictAttemptsAreTasksOfTheirOwn: a push that found the target
// changed under it (connectors.ErrChanged) enqueues its next attempt while
// it still runs, so each attempt needs its own task id; the count is what
// makes the write unconditional after maxConflicts.
func TestConflictAttemptsAreTasksOfTheirOwn(t *testing.T) {
	p := PushPayload{Instance: "magento", Resource: "customer", CustomerID: 7, Version: 3}
	seen := map[string]int{}
	for n := 0; n <= maxConflicts; n++ {
		q := p
		q.Conflicts = n
		id := pushTaskID(q)
		if prev, dup := seen[id]; dup {
			t.Errorf("attempt %d has the task id of attempt %d: %s", n, prev, id)
		}
		seen[id] = n
	}
	if pushTaskID(p) != "push:magento:customer:7:3" {
		t.Errorf("a first attempt's id changed: %s", pushTaskID(p))
	}
}

func TestTaskIDsCollapseDuplicates(t *testing.T) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	a := ingestTaskID(IngestPayload{Instance: "shopify", EventID: "w1", ExternalID: "1", SourceAt: at})
	b := ingestTaskID(IngestPayload{Instance: "shopify", EventID: "w1", ExternalID: "1", SourceAt: at.Add(time.Hour)})
	other := ingestTaskID(IngestPayload{Instance: "shopware", EventID: "w1", ExternalID: "1", SourceAt: at})
	polled1 := ingestTaskID(IngestPayload{Instance: "shopify", ExternalID: "1", SourceAt: at})
	polled2 := ingestTaskID(IngestPayload{Instance: "shopify", ExternalID: "1", SourceAt: at.Add(time.Second)})
	if a != b {
		t.Error("re-deliveries of one event must share a task id")
	}
	if a == other {
		t.Error("equal event ids of two instances must not collapse")
	}
	if polled1 == polled2 {
		t.Error("two versions of a polled record must not collapse")
	}
	push := func(v int64, force bool) string {
		return pushTaskID(PushPayload{Instance: "shopware", Resource: "customer", CustomerID: 7, Version: v, Force: force})
	}
	if push(3, false) != push(3, false) || push(3, false) == push(4, false) || push(3, false) == push(3, true) {
		t.Error("push ids: same version collapses, newer version and forced pushes do not")
	}
}

// An ingest payload's body is decoded with the payload in one pass; the
// body as the vendor sent it (a quarantine keeps it) is still there, and a
// body that is no JSON object stays raw.
func TestDecodeIngest(t *testing.T) {
	body := `{"id":12345678901234567890,"email":"a@example.com","tags":"x"}`
	tk, err := NewIngestTask(IngestPayload{Instance: "shopify", Resource: "customer", ExternalID: "1", EventID: "e",
		SourceAt: time.Unix(1700000000, 0).UTC(), Body: json.RawMessage(body), RequestID: "r"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	p, err := decodeIngest(tk.Payload())
	if err != nil {
		t.Fatal(err)
	}
	if !p.hasBody() || p.body["email"] != "a@example.com" || p.Instance != "shopify" || p.EventID != "e" ||
		p.Delivery == "" || p.RequestID != "r" || !p.SourceAt.Equal(time.Unix(1700000000, 0)) {
		t.Fatalf("decoded %+v", p)
	}
	if p.fullBody(); string(p.Body) != body {
		t.Errorf("body as sent: %s, want %s", p.Body, body)
	}
	for _, odd := range []string{`[1,2]`, `"text"`} {
		raw, _ := json.Marshal(map[string]any{"instance": "shopify", "resource": "customer", "external_id": "1",
			"source_at": time.Now(), "body": json.RawMessage(odd)})
		p, err := decodeIngest(raw)
		if err != nil || string(p.Body) != odd || p.body != nil || !p.hasBody() {
			t.Errorf("body %s: %+v, %v", odd, p, err)
		}
	}
	idOnly, _ := NewIngestTask(IngestPayload{Instance: "shopware", Resource: "customer", ExternalID: "7", EventID: "w"}, 3)
	if p, err := decodeIngest(idOnly.Payload()); err != nil || p.hasBody() {
		t.Errorf("an id-only event has a body: %+v %v", p, err)
	}
}

// TestWaitingIsNotLoggedAsAFailure: a task that waits for a busy lock or
// a vendor's rate limit logs at debug; a failure at warn or above (error
// once it is a dead letter: no retry count in this context).
func TestWaitingIsNotLoggedAsAFailure(t *testing.T) {
	limited := fmt.Errorf("push: %w", &connectors.RateLimitedError{RetryAfter: time.Second})
	for _, tc := range []struct {
		name    string
		err     error
		failure bool
	}{
		{"busy lock", fmt.Errorf("push: %w", errBusy), false},
		{"rate limited", limited, false},
		{"vendor 500", errors.New("shopware: 500"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []slog.Level
			log := slog.New(levelRecorder{&got})
			cfg := serverConfig(config.Worker{}, log, nil, 1, nil, false)
			cfg.ErrorHandler.HandleError(context.Background(), asynq.NewTask(TypePush, nil), tc.err)
			if len(got) != 1 || (got[0] >= slog.LevelWarn) != tc.failure || !tc.failure && got[0] != slog.LevelDebug {
				t.Fatalf("logged at %v, want one line (a failure: %v)", got, tc.failure)
			}
		})
	}
}

// levelRecorder is a slog handler that keeps the level of each record.
type levelRecorder struct{ levels *[]slog.Level }

func (r levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r levelRecorder) Handle(_ context.Context, rec slog.Record) error {
	*r.levels = append(*r.levels, rec.Level)
	return nil
}
func (r levelRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r levelRecorder) WithGroup(string) slog.Handler      { return r }
