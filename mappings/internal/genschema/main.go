// Command genschema writes mapping.schema.json from mappings.Schema();
// run by `go generate ./mappings/`.
package main

import (
	"log"
	"os"

	"github.com/shophub/shophub/mappings"
)

func main() {
	if err := os.WriteFile("mapping.schema.json", mappings.Schema(), 0o644); err != nil {
		log.Fatal(err)
	}
}
