package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shophub/shophub/config"
	"gopkg.in/yaml.v3"
)

// composeFile is the part of docker-compose.yml these tests read.
type composeFile struct {
	Services map[string]struct {
		Image           string            `yaml:"image"`
		Build           any               `yaml:"build"`
		Command         []string          `yaml:"command"`
		Environment     map[string]string `yaml:"environment"`
		StopGracePeriod string            `yaml:"stop_grace_period"`
		DependsOn       map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Deploy struct {
			Replicas int `yaml:"replicas"`
		} `yaml:"deploy"`
	} `yaml:"services"`
}

// shophubServices are the compose services running the shophub image.
var shophubServices = []string{"check", "migrate", "serve", "worker"}

func readCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("../../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// composeRef matches compose's ${NAME}, ${NAME:-default} and ${NAME:?msg}.
var composeRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(?:[:?-][^}]*)?\}`)

// The containers get every variable the example config reads, its
// commented connectors' included, so a value in .env reaches shophub
// instead of the example's silent default.
func TestComposePassesEveryConfigVariable(t *testing.T) {
	f := readCompose(t)
	data, err := os.ReadFile("../../config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var vars []string
	for _, m := range composeRef.FindAllStringSubmatch(string(data), -1) {
		if m[1] != "NAME" && !slices.Contains(vars, m[1]) { // NAME: the header's syntax example
			vars = append(vars, m[1])
		}
	}
	if len(vars) < 20 {
		t.Fatalf("found only %v in example.yaml", vars)
	}
	// Set by compose itself rather than taken from .env.
	composed := map[string]bool{"SHOPHUB_MYSQL_DSN": true, "SHOPHUB_DB_MAX_OPEN_CONNS": true, "SHOPHUB_DB_MAX_IDLE_CONNS": true, "SHOPHUB_ADMIN_LISTEN": true}
	for _, name := range shophubServices {
		svc, ok := f.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		for _, v := range vars {
			val, ok := svc.Environment[v]
			switch {
			case !ok:
				t.Errorf("service %s does not pass %s", name, v)
			case !composed[v] && !strings.Contains(val, "${"+v):
				t.Errorf("service %s: %s = %q, want it taken from .env (${%s...})", name, v, val, v)
			}
		}
	}

	// .env.example names every variable compose takes from .env.
	compose, _ := os.ReadFile("../../docker-compose.yml")
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range composeRef.FindAllStringSubmatch(string(compose), -1) {
		if !regexp.MustCompile(`(?m)^#? ?` + m[1] + `=`).Match(example) {
			t.Errorf(".env.example does not mention %s", m[1])
		}
	}
	readme, _ := os.ReadFile("../../README.md")
	if !strings.Contains(string(readme), ".env.example") {
		t.Errorf("README.md does not mention .env.example")
	}
}

func TestComposeRunsProductionShaped(t *testing.T) {
	f := readCompose(t)
	cfg, err := config.Load("../../config/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	drain := time.Duration(cfg.Worker.ShutdownTimeout)

	images := map[string]bool{}
	built := 0
	for _, name := range shophubServices {
		svc := f.Services[name]
		images[svc.Image] = true
		if svc.Build != nil {
			built++
		}
		grace, err := time.ParseDuration(svc.StopGracePeriod)
		if err != nil || grace <= drain {
			t.Errorf("service %s: stop_grace_period %q, want more than the worker drain %s", name, svc.StopGracePeriod, drain)
		}
	}
	if len(images) != 1 || images[""] || built != 1 {
		t.Errorf("shophub services use images %v, %d of them built; want one image built once", images, built)
	}

	// The strict check gates the migration, which gates everything else.
	if c := f.Services["check"].Command; !slices.Contains(c, "check") || !slices.Contains(c, "--strict") {
		t.Errorf("check service runs %q, want check --strict", c)
	}
	if d := f.Services["migrate"].DependsOn["check"].Condition; d != "service_completed_successfully" {
		t.Errorf("migrate depends on check with %q", d)
	}
	for _, name := range []string{"serve", "worker"} {
		if d := f.Services[name].DependsOn["migrate"].Condition; d != "service_completed_successfully" {
			t.Errorf("%s depends on migrate with %q", name, d)
		}
	}

	// The pools, as the example config reads them from each service's
	// environment, stay under MySQL's default max_connections.
	pool := func(name string) int {
		env := f.Services[name].Environment
		data, _ := os.ReadFile("../../config/example.yaml")
		c, err := config.Parse("example.yaml", data, func(k string) (string, bool) { v, ok := env[k]; return v, ok && !strings.Contains(v, "${") })
		if err != nil {
			t.Fatalf("example.yaml with %s's environment: %v", name, err)
		}
		return c.Database.MaxOpenConns
	}
	replicas := max(1, f.Services["worker"].Deploy.Replicas)
	total := pool("serve") + replicas*pool("worker")
	if total >= 151 {
		t.Errorf("serve %d + %d workers x %d = %d connections, want under MySQL's default max_connections 151", pool("serve"), replicas, pool("worker"), total)
	}
	t.Logf("MySQL connections at most: serve %d + %d x worker %d = %d", pool("serve"), replicas, pool("worker"), total)
}

func TestIgnoreFiles(t *testing.T) {
	for file, want := range map[string][]string{
		"../../.dockerignore": {".env", "shophub.yaml", ".git", ".shophub/"},
		"../../.gitignore":    {".env", "/shophub.yaml"},
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for _, w := range want {
			if !slices.Contains(lines, w) {
				t.Errorf("%s lacks %q", file, w)
			}
		}
	}
}
