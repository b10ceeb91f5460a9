// Command shophub here is shophub with one connector more: the shipped
// connectors (through cli) and the custom shop (blank import). Build it
// with `go build -o shophub .` and run it as the stock binary.
package main

import (
	"github.com/shophub/shophub/cmd/shophub/cli"

	_ "example.com/customshop-shophub/customshop"
)

func main() { cli.Main() }
