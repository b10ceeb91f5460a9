// Command shophub is the one binary; its commands live in package cli so a
// custom binary with extra connectors is a main like this one plus blank
// imports (see connectors/GUIDE.md).
package main

import "github.com/shophub/shophub/cmd/shophub/cli"

func main() { cli.Main() }
