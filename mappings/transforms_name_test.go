package mappings

import "testing"

// A one-field name keeps the hub's split while it equals the hub's
// rendering; only a real change is split again, particles going with the
// last name.
func TestNamePart(t *testing.T) {
	m := mustCompile(t, `version: 1
resources:
  customer:
    inbound:
      fields:
        first_name: {from: name, transform: [{name_part: first}]}
        last_name: {from: name, transform: [{name_part: last}]}
`, Options{})
	if !m.UsesPrevious("customer") {
		t.Fatal("name_part does not make the mapping ask for the hub's doc")
	}
	hub := Doc{"first_name": "María José", "last_name": "García López"}
	tests := []struct {
		name        string
		prev        Doc
		first, last string
	}{
		{"María José García López", hub, "María José", "García López"},
		{"  María José   García López ", hub, "María José", "García López"},
		{"María José García López", nil, "María José García", "López"},
		{"María José García Pérez", hub, "María José García", "Pérez"},
		{"Hans von der Heide", nil, "Hans", "von der Heide"},
		{"Ludwig van Beethoven", Doc{"first_name": "L."}, "Ludwig", "van Beethoven"},
		{"Madonna", nil, "", "Madonna"},
	}
	for _, tc := range tests {
		doc, err := m.InboundWith("customer", map[string]any{"name": tc.name}, tc.prev)
		if err != nil {
			t.Fatal(err)
		}
		if doc["first_name"] != tc.first || doc["last_name"] != tc.last {
			t.Errorf("%q (hub %v) = %q / %q, want %q / %q", tc.name, tc.prev, doc["first_name"], doc["last_name"], tc.first, tc.last)
		}
	}
	if mustCompile(t, fieldsYAML("out: v"), Options{}).UsesPrevious("thing") {
		t.Error("a mapping without name_part asks for the hub's doc")
	}
}
