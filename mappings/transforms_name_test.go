package mappings

import (
	"strings"
	"testing"
)

// nameMapping splits a one-field name as Odoo's mapping does.
const nameMapping = `version: 1
resources:
  customer:
    inbound:
      fields:
        first_name: {from: name, transform: [{name_part: first}]}
        last_name: {from: name, transform: [{name_part: last}]}
`

// A one-field name keeps the hub's split while it equals the hub's
// rendering; only a real change is split again, particles going with the
// last name.
func TestNamePart(t *testing.T) {
	m := mustCompile(t, nameMapping, Options{})
	if !m.UsesPrevious("customer") {
		t.Fatal("name_part does not make the mapping ask for the hub's doc")
	}
	hub := Doc{"first_name": "María José", "last_name": "García López"}
	// Pushed to Odoo as "Ada Frida Brandt"; both halves changed in the hub
	// before Odoo's record is read back (convergence seed 19).
	pushed := Doc{"first_name": "Ada", "last_name": "Frida Brandt"}
	moved := Doc{"first_name": "Clara", "last_name": "Dietz Ebert"}
	tests := []struct {
		name        string
		prev        Doc
		first, last string
		pushed      Doc // last pushed to the record (nil: unknown)
	}{
		// Our own write read back: the pushed split, not a fresh one
		// ("Ada Frida" / "Brandt" would assert two edits nobody made).
		{"Ada Frida Brandt", moved, "Ada", "Frida Brandt", pushed},
		{"Ada Frida Brandt", moved, "Ada Frida", "Brandt", nil},
		// The hub's own rendering comes first.
		{"Clara Dietz Ebert", moved, "Clara", "Dietz Ebert", pushed},
		// A real change in Odoo after our push keeps the pushed half.
		{"Ada Cordes", moved, "Ada", "Cordes", pushed},
		{"Elif Frida Brandt", moved, "Elif", "Frida Brandt", pushed},
		{"María José García López", hub, "María José", "García López", nil},
		{"  María José   García López ", hub, "María José", "García López", nil},
		{"María José García López", nil, "María José García", "López", nil},
		// A real change keeps the half that is still the hub's.
		{"María José García Pérez", hub, "María José", "García Pérez", nil},
		{"Ana García López", hub, "Ana", "García López", nil},
		// Our push of "Elif" / "Brandt Haask" read back after the hub's
		// first name changed: still Elif / Brandt Haask, not Elif Brandt /
		// Haask (which would assert two edits nobody made).
		{"Elif Brandt Haask", Doc{"first_name": "Ada", "last_name": "Brandt Haask"}, "Elif", "Brandt Haask", nil},
		{"Elif Brandt Haask", Doc{"first_name": "Elif", "last_name": "Cordes"}, "Elif", "Brandt Haask", nil},
		{"Hans von der Heide", nil, "Hans", "von der Heide", nil},
		{"Ludwig van Beethoven", Doc{"first_name": "L."}, "Ludwig", "van Beethoven", nil},
		{"Madonna", nil, "", "Madonna", nil},
	}
	for _, tc := range tests {
		doc, err := m.InboundWith("customer", map[string]any{"name": tc.name}, tc.prev, tc.pushed)
		if err != nil {
			t.Fatal(err)
		}
		if doc["first_name"] != tc.first || doc["last_name"] != tc.last {
			t.Errorf("%q (hub %v, pushed %v) = %q / %q, want %q / %q", tc.name, tc.prev, tc.pushed, doc["first_name"], doc["last_name"], tc.first, tc.last)
		}
	}
	if mustCompile(t, fieldsYAML("out: v"), Options{}).UsesPrevious("thing") {
		t.Error("a mapping without name_part asks for the hub's doc")
	}
}

// The echo loop of issue 13 (seed 4, "Elifd Brandt Brandt Brandt …"):
// the read-back of a push to Odoo is mapped against the hub's doc, which
// another system changed since the push. A re-split of the pushed name
// then differs from what was pushed, counts as an Odoo edit, and the next
// push renders the hub's halves into a longer name. The read-back must
// be the pushed split, and the name must never grow.
func TestNamePartNoEchoLoop(t *testing.T) {
	m := mustCompile(t, nameMapping, Options{})
	hub := Doc{"first_name": "Elifd", "last_name": "Brandt Haask"}
	for round := 0; round < 6; round++ {
		pushed := Doc{"first_name": hub["first_name"], "last_name": hub["last_name"]}
		name := JoinName(pushed["first_name"].(string), pushed["last_name"].(string))
		if n := len(strings.Fields(name)); n > 3 {
			t.Fatalf("round %d: the pushed name grew to %q", round, name)
		}
		// Before Odoo's record is read back, Shopify's values land: an
		// edit of the first name, then the echo of the last name it holds.
		if round == 0 {
			hub["first_name"] = "Ada"
		}
		hub["last_name"] = "Brandt Haask"
		doc, err := m.InboundWith("customer", map[string]any{"name": name}, hub)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"first_name", "last_name"} {
			if doc[k] != pushed[k] { // not the echo of the push: an Odoo edit, and newer
				t.Errorf("round %d: %q read back against %v gives %s %q, pushed %q", round, name, hub, k, doc[k], pushed[k])
				hub[k] = doc[k]
			}
		}
	}
	if hub["first_name"] != "Ada" || hub["last_name"] != "Brandt Haask" {
		t.Errorf("hub ends as %v, want Ada / Brandt Haask", hub)
	}
}
