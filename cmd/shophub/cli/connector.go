package cli

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/shophub/shophub/connectors"
)

//go:embed scaffold/*.tmpl
var scaffold embed.FS

func connectorCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "connector",
		Short: "Tools for writing connectors (see connectors/GUIDE.md)",
	}
	cmd.AddCommand(connectorNewCmd())
	return cmd
}

type scaffoldOptions struct {
	Name, Pkg, Title, Import string
	Webhooks, Poll, Push     bool
}

var moduleLineRe = regexp.MustCompile(`(?m)^module\s+(\S+)`)

var connectorNameRe = regexp.MustCompile(`^[a-z][a-z0-9]{1,30}$`)

func connectorNewCmd() *cobra.Command {
	var o scaffoldOptions
	var dir string
	cmd := &cobra.Command{
		Use:   "new NAME",
		Short: "Write a new connector's folder: connector, mapping, emulator skeleton and the conformance kit's test",
		Long: `Writes DIR/NAME/ with the connector (connector.go, client.go and
webhook.go, poll.go, push.go for the capabilities asked for; all three
without flags), its default mapping, a sample record, an emulator skeleton
(NAMEtest/) and a test running shophub's conformance kit against it.

The test fails until the connector and the emulator are written: each
failure names the method, its file and what it must do. DIR must be inside
a Go module that requires github.com/shophub/shophub.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			if !o.Webhooks && !o.Poll && !o.Push {
				o.Webhooks, o.Poll, o.Push = true, true, true
			}
			target, err := writeScaffold(dir, &o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), `wrote %s
next:
  go test ./%s/...     # the conformance kit: fails, naming what to implement
  then blank-import %s in your main package (see connectors/GUIDE.md)
`, target, filepath.ToSlash(mustRel(target)), o.Import)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Webhooks, "webhooks", false, "the vendor sends webhooks (webhook.go)")
	cmd.Flags().BoolVar(&o.Poll, "poll", false, "records are listed by change time (poll.go)")
	cmd.Flags().BoolVar(&o.Push, "push", false, "shophub writes records to the vendor (push.go)")
	cmd.Flags().StringVar(&dir, "dir", ".", "folder to create the connector's folder in")
	return cmd
}

func mustRel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}

// writeScaffold writes dir/NAME and returns its path.
func writeScaffold(dir string, o *scaffoldOptions) (string, error) {
	if !connectorNameRe.MatchString(o.Name) {
		return "", fmt.Errorf("connector name %q: want 2–31 lower-case letters and digits, starting with a letter (it is the type operators write)", o.Name)
	}
	if _, taken := connectors.Lookup(o.Name); taken {
		return "", fmt.Errorf("connector type %q is already registered in this shophub", o.Name)
	}
	o.Pkg = o.Name
	o.Title = strings.ToUpper(o.Name[:1]) + o.Name[1:]
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	target := filepath.Join(abs, o.Name)
	if _, err := os.Stat(target); err == nil {
		return "", fmt.Errorf("%s already exists", target)
	}
	modDir, modPath, err := findModule(abs)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(modDir, target)
	if err != nil {
		return "", err
	}
	o.Import = modPath + "/" + filepath.ToSlash(rel)
	files := map[string]string{
		"connector.go":             "connector.go.tmpl",
		"client.go":                "client.go.tmpl",
		"mapping.yaml":             "mapping.yaml.tmpl",
		"testdata/customer.json":   "customer.json.tmpl",
		"connector_test.go":        "connector_test.go.tmpl",
		o.Pkg + "test/emulator.go": "emulator.go.tmpl",
	}
	if o.Webhooks {
		files["webhook.go"] = "webhook.go.tmpl"
	}
	if o.Poll {
		files["poll.go"] = "poll.go.tmpl"
	}
	if o.Push {
		files["push.go"] = "push.go.tmpl"
	}
	for out, tmpl := range files {
		src, err := scaffold.ReadFile("scaffold/" + tmpl)
		if err != nil {
			return "", err
		}
		t, err := template.New(tmpl).Parse(string(src))
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, o); err != nil {
			return "", err
		}
		b := buf.Bytes()
		if strings.HasSuffix(out, ".go") {
			if b, err = format.Source(b); err != nil {
				return "", fmt.Errorf("scaffold %s: %w", out, err)
			}
		}
		p := filepath.Join(target, filepath.FromSlash(out))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return "", err
		}
	}
	return target, nil
}

// findModule walks up from dir to the go.mod and returns its folder and
// module path.
func findModule(dir string) (string, string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			m := moduleLineRe.FindSubmatch(b)
			if m == nil {
				return "", "", fmt.Errorf("%s: no module line", filepath.Join(d, "go.mod"))
			}
			return d, strings.Trim(string(m[1]), `"`), nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return "", "", err
		}
		if filepath.Dir(d) == d {
			return "", "", fmt.Errorf("%s is not inside a Go module: run go mod init (and go get github.com/shophub/shophub) first", dir)
		}
	}
}
