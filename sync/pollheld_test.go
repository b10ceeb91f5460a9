package sync

import (
	"context"
	"log/slog"
	gosync "sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
	"github.com/shophub/shophub/mappings"
	"github.com/shophub/shophub/sync/redistest"
)

// erpRecord is a vendor holding one customer record, read by Fetch.
type erpRecord struct {
	mu    gosync.Mutex
	first string
	at    time.Time
}

func (e *erpRecord) Type() string                          { return "erp" }
func (e *erpRecord) Capabilities() connectors.Capabilities { return connectors.Capabilities{} }
func (e *erpRecord) Connect(context.Context) error         { return nil }
func (e *erpRecord) Close() error                          { return nil }
func (e *erpRecord) record() *connectors.Record {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &connectors.Record{Resource: connectors.ResourceCustomer, ExternalID: "E1", UpdatedAt: e.at,
		Data: map[string]any{"email": "held@example.com", "first": e.first}}
}
func (e *erpRecord) Fetch(_ context.Context, _, _ string) (*connectors.Record, error) {
	return e.record(), nil
}

// TestListedRecordLockedByAPushIsFetchedAfterIt: a push computed with
// the hub's Anne writes it to the ERP while the hub has moved on to
// Annika (the push will find out it was overtaken). A poll lists the
// record after the write landed, before the push recorded it. Merged
// then, Anne would be weighed against the push before (Anna), count as an
// ERP edit read after that push, newer than Annika by the ERP's stamp, and
// revert her (convergence under -race at load 45). The record's lock,
// held by the push, says so: the record is left out of the page and
// fetched again by an ingest task, which waits for the lock and reads it
// after the push was recorded, as our own write. An ERP user's edit
// (Anja) that the listing saw and the push's write then overwrote is
// recovered from the listed record, as from a webhook's
// (recoverOverwritten): the hub never held Anja.
func TestListedRecordLockedByAPushIsFetchedAfterIt(t *testing.T) {
	for _, tc := range []struct{ name, read, listed, want string }{
		{"our write listed", "", "Anne", "Annika"},
		{"an ERP edit listed, then overwritten", "", "Anja", "Anja"},
		// The push's read before write found Anja, older than Annika
		// (refused): the listing shows that state, not an edit made
		// while the write was on its way.
		{"the state the push read listed", "Anja", "Anja", "Annika"},
	} {
		for _, st := range hubtest.Stores(t) {
			t.Run(tc.name+"/"+st.Name, func(t *testing.T) {
				ctx := context.Background()
				s := st.Store
				rdb, _ := redistest.Client(t)
				m := firstNameMapping(t, "erp")
				erp := &erpRecord{first: "Anna", at: time.Now().Add(-time.Hour)}
				tp := &Touchpoint{Name: "erp", Conn: erp, Mapping: m}
				h := &Handlers{Store: s, Queue: NewQueue(rdb), Log: slog.New(slog.DiscardHandler), MaxRetry: 3,
					Points: &Touchpoints{byName: map[string]*Touchpoint{"erp": tp}, names: []string{"erp"}}}
				doc := func(first string) map[string]any {
					return map[string]any{"email": "held@example.com", "first_name": first}
				}
				shopify := func(first string, at time.Time) hub.Result {
					t.Helper()
					r, err := s.MergeCustomer(ctx, hub.Inbound{Instance: "shopify", Resource: "customer", ExternalID: "S1",
						EventID: first, SourceAt: at, Doc: doc(first)}, hub.Policy{})
					if err != nil {
						t.Fatal(err)
					}
					return r
				}
				a := shopify("Anna", time.Now().Add(-time.Minute))
				if _, err := s.Pushed(ctx, a.CustomerID, "erp", "customer", "E1", "h1", a.Version, doc("Anna")); err != nil {
					t.Fatal(err)
				}
				v2 := shopify("Anne", time.Now().Add(-50*time.Second))
				shopify("Annika", time.Now().Add(-10*time.Second))

				// The push of v2 holds the record and reads it, and its
				// write has landed.
				release, err := h.lockRecord(ctx, "erp", "customer", "E1", 0)
				if err != nil {
					t.Fatal(err)
				}
				if tc.read != "" {
					if _, err := s.MergeCustomer(ctx, hub.Inbound{Instance: "erp", Resource: "customer", ExternalID: "E1",
						SourceAt: time.Now().Add(-20 * time.Second), Doc: doc(tc.read)}, hub.Policy{}); err != nil {
						t.Fatal(err)
					}
				}
				erp.mu.Lock()
				erp.first, erp.at = tc.listed, time.Now()
				erp.mu.Unlock()
				listed := *erp.record()
				listed.ReadAt = time.Now()
				if _, err := h.applyCustomerPage(ctx, tp, "customer", []connectors.Record{listed}); err != nil {
					t.Fatal(err)
				}
				first := func() any {
					_, got, err := s.Customer(ctx, a.CustomerID)
					if err != nil {
						t.Fatal(err)
					}
					return got["first_name"]
				}
				if got := first(); got != "Annika" {
					t.Fatalf("first name %v after the listing: our write, listed before the push recorded it, was merged as an ERP edit", got)
				}
				p := IngestPayload{Instance: "erp", Resource: "customer", ExternalID: "E1", SourceAt: listed.UpdatedAt}
				info, err := asynq.NewInspectorFromRedisClient(rdb).GetTaskInfo(QueueIngest, ingestTaskID(p))
				if err != nil {
					t.Fatalf("no ingest task fetches the record again: %v", err)
				}

				// The push's write lands (over Anja), it records it and lets
				// the record go; the ingest task fetches it now.
				erp.mu.Lock()
				erp.first, erp.at = "Anne", time.Now()
				erp.mu.Unlock()
				if _, err := s.Pushed(ctx, a.CustomerID, "erp", "customer", "E1", "h2", v2.Version, doc("Anne")); err != nil {
					t.Fatal(err)
				}
				release()
				if err := h.Ingest(ctx, asynq.NewTask(info.Type, info.Payload)); err != nil {
					t.Fatal(err)
				}
				if got := first(); got != tc.want {
					t.Fatalf("first name %v after the fetch, want %s", got, tc.want)
				}
			})
		}
	}
}

// firstNameMapping maps a system's customer as email and first name only,
// the smallest record a lock or a stale push can be shown on.
func firstNameMapping(t *testing.T, system string) *mappings.Mapping {
	t.Helper()
	m, err := mappings.Compile(system, []byte(`version: 1
resources:
  customer:
    inbound:
      fields:
        email:
          from: email
          transform: [email]
        first_name:
          from: first
    outbound:
      fields:
        email:
          from: email
        first:
          from: first_name
`), mappings.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
