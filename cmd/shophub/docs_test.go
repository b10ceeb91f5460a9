package main

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/shophub/shophub/cmd/shophub/cli"
)

var update = flag.Bool("update", false, "rewrite generated docs")

// TestConnectorDocs keeps connectors/README.md equal to what the registry
// says, so connector docs never drift from their code.
func TestConnectorDocs(t *testing.T) {
	var buf bytes.Buffer
	if err := cli.ConnectorDocs(&buf); err != nil {
		t.Fatal(err)
	}
	const path = "../../connectors/README.md"
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./cmd/shophub/ -run ConnectorDocs -update)", err)
	}
	if !bytes.Equal(got, buf.Bytes()) {
		t.Errorf("connectors/README.md is stale: run go test ./cmd/shophub/ -run ConnectorDocs -update")
	}
}
