package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestConnectorNewScaffold: `shophub connector new acme` writes a folder
// that builds and vets inside an integrator's module (shophub through a
// replace), and whose conformance test fails naming what to implement —
// never a stub that passes.
func TestConnectorNewScaffold(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	gomod := "module example.com/acme-shophub\n\ngo 1.26.8\n\nrequire github.com/shophub/shophub v0.0.0\n\nreplace github.com/shophub/shophub => " + root + "\n"
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "connector", "new", "acme", "--dir", mod)
	if err != nil {
		t.Fatalf("connector new: %v\n%s", err, out)
	}
	if !strings.Contains(out, "example.com/acme-shophub/acme") {
		t.Errorf("output does not name the package to import: %s", out)
	}
	for _, f := range []string{"connector.go", "client.go", "webhook.go", "poll.go", "push.go", "mapping.yaml", "testdata/customer.json", "acmetest/emulator.go", "connector_test.go"} {
		if _, err := os.Stat(filepath.Join(mod, "acme", f)); err != nil {
			t.Errorf("not written: %v", err)
		}
	}
	gocmd := func(args ...string) (string, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		// The replace brings shophub's requirements, checked against
		// shophub's go.sum. The module cache holds those shophub builds
		// with, but not always the go.mod files of their own requirements
		// that an unpruned dependency (yaml.v3: gopkg.in/check.v1) makes the
		// integrator's module read: those come from the module proxy, as
		// for any integrator.
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		b, err := cmd.CombinedOutput()
		return string(b), err
	}
	if out, err := gocmd("vet", "./..."); err != nil {
		t.Fatalf("go vet of the scaffold: %v\n%s", err, out)
	}
	out, err = gocmd("test", "-count=1", "./...")
	if err == nil {
		t.Fatalf("the scaffold's conformance test passes before anything is implemented:\n%s", out)
	}
	for _, want := range []string{
		"TODO implement DecodeWebhook in webhook.go",
		"TODO implement List in poll.go",
		"TODO implement Fetch in push.go",
		"TODO implement Upsert in push.go",
		"--- FAIL: TestConformance",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("kit output does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "--- FAIL: TestRefusedSettings") {
		t.Errorf("settings validation is generated complete and must pass:\n%s", out)
	}

	// Names and places that cannot work are refused.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"connector", "new", "Acme-Shop", "--dir", mod}, "lower-case"},
		{[]string{"connector", "new", "acme", "--dir", mod}, "already exists"},
		{[]string{"connector", "new", "shopify", "--dir", mod}, "already registered"},
		{[]string{"connector", "new", "other", "--dir", t.TempDir()}, "not inside a Go module"},
	} {
		if out, err := run(t, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: got %v (%s), want %q", tt.args, err, out, tt.want)
		}
	}
}
