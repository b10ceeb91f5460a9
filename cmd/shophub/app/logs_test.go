package app_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shophub/shophub/cmd/shophub/app"
)

// lockedBuffer is a log sink shared by the app's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// lines decodes the JSON log lines written so far.
func (l *lockedBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(l.b.Bytes()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line is not JSON: %s", sc.Bytes())
		}
		out = append(out, m)
	}
	return out
}

// One webhook's path through the logs: the receiver's line and the ingest
// task's line share the request id (taken from a proxy's X-Request-ID),
// the ingest line names its task id, and the push it caused names its own
// task and the same customer.
func TestLogsCorrelateRequestsAndTasks(t *testing.T) {
	t.Parallel()
	var buf lockedBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnv(t, envOptions{log: log})

	rec := app.DemoCustomer(4711)
	rec["id"], rec["updated_at"] = 4711, time.Now().Format(time.RFC3339)
	rec["default_address"] = rec["addresses"].([]any)[0] // as Shopify's payload has it
	email := rec["email"].(string)
	h, body := e.shopify.SignedDelivery("customers/create", rec)
	req, _ := http.NewRequest(http.MethodPost, e.app.URL()+"/webhooks/shopify", bytes.NewReader(body))
	req.Header = h
	req.Header.Set("X-Request-ID", "edge-4711")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Request-ID") != "edge-4711" {
		t.Fatalf("webhook: %d, X-Request-ID %q", resp.StatusCode, resp.Header.Get("X-Request-ID"))
	}

	var accepted, changed, pushed map[string]any
	eventually(t, 20*time.Second, "no push of the customer logged", func() bool {
		accepted, changed, pushed = nil, nil, nil
		for _, l := range buf.lines(t) {
			switch l["msg"] {
			case "webhook accepted":
				if l["request_id"] == "edge-4711" {
					accepted = l
				}
			case "customer changed":
				if l["request_id"] == "edge-4711" {
					changed = l
				}
			case "pushed":
				if changed != nil && l["customer_id"] == changed["customer_id"] {
					pushed = l
				}
			}
		}
		return pushed != nil
	})
	if accepted == nil || accepted["connector"] != "shopify" {
		t.Errorf("receiver line: %v", accepted)
	}
	if changed["task"] != "customer:ingest" || changed["task_id"] == "" || changed["task_id"] == nil {
		t.Errorf("ingest line lacks its task: %v", changed)
	}
	if pushed["task"] != "customer:push" || pushed["task_id"] == nil || pushed["task_id"] == changed["task_id"] {
		t.Errorf("push line lacks its own task id: %v", pushed)
	}
	for _, l := range buf.lines(t) {
		if raw, _ := json.Marshal(l); strings.Contains(string(raw), email) {
			t.Errorf("a log line holds the customer's email unmasked: %s", raw)
		}
	}
}
