package mappings

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// Every complete mapping file shown in README.md compiles.
func TestReadmeExamplesCompile(t *testing.T) {
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(string(src), -1)
	n := 0
	for _, b := range blocks {
		if !strings.HasPrefix(b[1], "version: 1") {
			continue
		}
		n++
		if _, err := Compile("README.md", []byte(b[1]), Options{DefaultRegion: "DE"}); err != nil {
			t.Errorf("%v\n%s", err, b[1])
		}
	}
	if n < 3 {
		t.Errorf("found %d complete examples", n)
	}
}

func TestReadmeLookupExample(t *testing.T) {
	m := mustCompile(t, `version: 1
tables:
  customer_groups: {1: retail, 2: wholesale, 3: staff}
resources:
  customer:
    inbound:
      fields:
        tags:
          list:
            - {from: group_id, transform: [{lookup: customer_groups}]}
    outbound:
      fields:
        group_id:
          from: tags.0
          transform: [{lookup: {table: customer_groups, reverse: true, default: 1}}]
`, Options{})
	doc, err := m.Inbound("customer", map[string]any{"group_id": 2.0})
	if err != nil {
		t.Fatal(err)
	}
	out, err := m.Outbound("customer", doc)
	if err != nil || out["group_id"] != "2" {
		t.Errorf("round trip: %v %v (doc %v)", out, err, doc)
	}
}
