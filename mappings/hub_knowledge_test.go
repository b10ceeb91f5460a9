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

// A rule the instance's settings switch off reads no hub knowledge: a
// conjunction with a settings-only term false under the settings. A term
// reading the record, an `or`, or a settings term that holds leaves the
// rule reading it.
func TestReadsHubHonoursSettings(t *testing.T) {
	rule := func(when string) []byte {
		return []byte("version: 1\nresources:\n  customer:\n    outbound:\n      fields:\n        email: email\n        props.segment:\n          from: _hub.segment\n          when: " + when + "\n")
	}
	for _, tt := range []struct {
		name     string
		when     string
		settings map[string]any
		want     bool
	}{
		{"on by default", `"settings.insights != false"`, nil, true},
		{"switched off", `"settings.insights != false"`, map[string]any{"insights": false}, false},
		{"off, with a record term", `"settings.insights != false && value != ''"`, map[string]any{"insights": false}, false},
		{"off, the record term first", `"value != '' and settings.insights == true"`, nil, false},
		{"on, with a record term", `"settings.insights != false && value != ''"`, map[string]any{"insights": true}, true},
		{"or: the record may still decide", `"settings.insights == true || value != ''"`, nil, true},
		{"record only", `"value != ''"`, map[string]any{"insights": false}, true},
		{"constant only: no setting", `"1 == 2 && value != ''"`, nil, true},
		{"a setting compared", `"settings.mode == 'full'"`, map[string]any{"mode": "lite"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile("hub.yaml", rule(tt.when), Options{Settings: tt.settings})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.ReadsHub("customer"); got != tt.want {
				t.Errorf("ReadsHub = %v, want %v", got, tt.want)
			}
		})
	}
	// A list item switched off reads nothing; the others still may.
	src := []byte(`version: 1
resources:
  customer:
    outbound:
      fields:
        tags:
          list:
            - from: tags
            - from: _hub.segment
              when: "settings.tags != false && value != ''"
        skipped:
          from: _hub.rfm
          when: "settings.rfm == true"
`)
	for _, tt := range []struct {
		settings map[string]any
		want     bool
	}{{nil, true}, {map[string]any{"tags": false}, false}, {map[string]any{"tags": false, "rfm": true}, true}} {
		m, err := Compile("list.yaml", src, Options{Settings: tt.settings})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.ReadsHub("customer"); got != tt.want {
			t.Errorf("settings %v: ReadsHub = %v, want %v", tt.settings, got, tt.want)
		}
	}
}

func TestReadsHubKey(t *testing.T) {
	cases := []struct {
		name, outbound string
		shops, any     bool
	}{
		{"a path under the key", "properties: {from: _hub.shops, transform: [join]}", true, true},
		{"another key", "segment: {from: _hub.segment}", false, true},
		{"a key that starts like it", "x: {from: _hub.shopsx}", false, true},
		{"all knowledge", "x: {from: _hub}", true, true},
		{"an expression naming it", "x: {expr: \"join(_hub.shops, ', ')\"}", true, true},
		{"no knowledge", "firstName: first_name", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        email: email\n    outbound:\n      fields:\n        " + c.outbound + "\n"
			m, err := Compile("test.yaml", []byte(src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := m.ReadsHubKey("customer", "shops"); got != c.shops {
				t.Errorf("ReadsHubKey(shops) = %v, want %v", got, c.shops)
			}
			if got := m.ReadsHub("customer"); got != c.any {
				t.Errorf("ReadsHub = %v, want %v", got, c.any)
			}
		})
	}
}
