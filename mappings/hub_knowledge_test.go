package mappings

import "testing"

func TestOutboundReadsHubKnowledge(t *testing.T) {
	src := []byte(`version: 1
resources:
  customer:
    inbound:
      fields:
        email: email
    outbound:
      fields:
        email: email
        props.shops:
          from: _hub.shops
          transform: [{join: ", "}]
        props.open:
          from: _hub.open_tickets
          when: "source._hub.open_tickets > 0"
  other:
    outbound:
      fields:
        email: email
`)
	m, err := Compile("hub.yaml", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !m.ReadsHub("customer") || m.ReadsHub("other") || m.ReadsHub("missing") {
		t.Errorf("ReadsHub: customer=%v other=%v", m.ReadsHub("customer"), m.ReadsHub("other"))
	}
	out, err := m.Outbound("customer", Doc{"email": "a@b.de", HubKey: map[string]any{"shops": []any{"x", "y"}, "open_tickets": 2}})
	if err != nil {
		t.Fatal(err)
	}
	props, _ := out["props"].(map[string]any)
	if props["shops"] != "x, y" || props["open"] != 2 {
		t.Errorf("outbound = %v", out)
	}
	out, err = m.Outbound("customer", Doc{"email": "a@b.de", HubKey: map[string]any{"open_tickets": 0}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out["props"]; ok {
		t.Errorf("no shops and no open tickets still rendered props: %v", out)
	}
}

// A ticket mapping accepts canonical ticket fields only.
func TestTicketFieldsChecked(t *testing.T) {
	ok := []byte("version: 1\nresources:\n  ticket:\n    inbound:\n      fields:\n        status: status\n        threads: threads\n")
	if _, err := Compile("t.yaml", ok, Options{}); err != nil {
		t.Fatal(err)
	}
	bad := []byte("version: 1\nresources:\n  ticket:\n    inbound:\n      fields:\n        first_name: firstName\n")
	if _, err := Compile("t.yaml", bad, Options{}); err == nil {
		t.Fatal("first_name accepted as a ticket field")
	}
}

func TestNormalizeTicket(t *testing.T) {
	got, err := NormalizeTicket(Doc{"status": "Closed", "threads": float64(3), "customer_email": " A@B.de ", "closed_at": "2025-01-02T03:04:05+01:00", "tags": []any{"b", "a", "b"}, "number": float64(12)})
	if err != nil {
		t.Fatal(err)
	}
	if got["status"] != "closed" || got["threads"] != 3 || got["customer_email"] != "a@b.de" || got["closed_at"] != "2025-01-02T02:04:05Z" || got["number"] != "12" {
		t.Errorf("NormalizeTicket = %v", got)
	}
	for _, bad := range []Doc{{"status": "open"}, {"channel": "fax"}, {"threads": -1}, {"opened_at": "yesterday"}, {"first_name": "x"}} {
		if _, err := NormalizeTicket(bad); err == nil {
			t.Errorf("NormalizeTicket(%v) accepted", bad)
		}
	}
}
