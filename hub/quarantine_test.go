package hub_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shophub/shophub/hub"
	"github.com/shophub/shophub/hub/hubtest"
)

// A record waiting in quarantine is stored once, however many deliveries
// of it fail at once (a webhook, its redelivery and a poll listing it),
// and keeps the newest reason; once replayed, its next failure is a new
// row. Checked, then inserted, two failures at once both stored it.
func TestQuarantineKeepsAWaitingRecordOnce(t *testing.T) {
	t.Parallel()
	for _, st := range hubtest.Stores(t) {
		t.Run(st.Name, func(t *testing.T) {
			s := st.Store
			ctx := context.Background()
			body := []byte(`{"id":"sw-1","birthday":"not a date"}`)
			quarantine := func(ext string, payload []byte, reason string) {
				t.Helper()
				q := hub.Quarantined{Instance: "shopware", Resource: "customer", ExternalID: ext, Payload: payload, Reason: reason}
				if err := s.Quarantine(ctx, &q); err != nil {
					t.Error(err)
				}
			}
			waiting := func() []hub.Quarantined {
				t.Helper()
				qs, err := s.PendingQuarantine(ctx, "shopware", 0, 100)
				if err != nil {
					t.Fatal(err)
				}
				return qs
			}

			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() { quarantine("sw-1", body, fmt.Sprint("birthday ", i)) })
			}
			wg.Wait()
			quarantine("sw-1", body, "birthday: not a date")
			quarantine("sw-1", []byte(`{"id":"sw-1","birthday":"later, not a date either"}`), "birthday")
			quarantine("sw-2", body, "birthday")
			qs := waiting()
			if len(qs) != 3 {
				t.Fatalf("%d waiting, want 3 (sw-1 twice with two payloads, sw-2): %+v", len(qs), qs)
			}
			if qs[0].ExternalID != "sw-1" || qs[0].Reason != "birthday: not a date" {
				t.Errorf("first waiting %s with reason %q, want sw-1 with the newest reason", qs[0].ExternalID, qs[0].Reason)
			}

			if err := s.QuarantineReplayed(ctx, qs[0].ID); err != nil {
				t.Fatal(err)
			}
			quarantine("sw-1", body, "birthday")
			if qs := waiting(); len(qs) != 3 || qs[2].ID == qs[0].ID || qs[2].ExternalID != "sw-1" {
				t.Errorf("after the replay and a new failure: %+v, want it waiting as a new row", qs)
			}
		})
	}
}
