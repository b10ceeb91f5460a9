package sync

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/hibiken/asynq"
)

// taskInstance names what encoding/json reads as the payload's instance,
// for the payloads shophub writes and for others.
func TestTaskInstanceAsEncodingJSON(t *testing.T) {
	ingest, err := NewIngestTask(IngestPayload{Instance: "shopware-de", Resource: "customer", ExternalID: "7", EventID: "e",
		SourceAt: time.Now(), Body: json.RawMessage(`{"instance":"not this"}`), BodyValid: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	push, _ := json.Marshal(PushPayload{Instance: "shopify", Resource: "customer", CustomerID: 9, Version: 2})
	tests := []struct {
		name string
		task *asynq.Task
		want string
	}{
		{"ingest", ingest, "shopware-de"},
		{"push", asynq.NewTask(TypePush, push), "shopify"},
		{"fanout", NewFanoutTask(7, 3), ""},
		{"escaped", asynq.NewTask(TypePush, []byte(`{"instance":"a\"b","x":1}`)), `a"b`},
		{"not first", asynq.NewTask(TypePush, []byte(`{"version":1,"instance":"odoo"}`)), "odoo"},
		{"other case", asynq.NewTask(TypePush, []byte(`{"Instance":"odoo"}`)), "odoo"},
		{"batch", AggregateIngest("g1", []*asynq.Task{ingest, ingest}), ""},
		{"empty", asynq.NewTask(TypePoll, nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := taskInstance(tt.task); got != tt.want {
				t.Errorf("instance %q, want %q", got, tt.want)
			}
			var p struct {
				Instance string `json:"instance"`
			}
			if json.Unmarshal(tt.task.Payload(), &p) == nil && p.Instance != tt.want {
				t.Fatalf("the case is wrong: encoding/json reads %q", p.Instance)
			}
		})
	}
}
