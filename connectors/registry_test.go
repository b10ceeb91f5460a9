package connectors

import (
	"context"
	"strings"
	"testing"
)

type fakeSettings struct {
	URL   string `yaml:"url"`
	Token string `yaml:"token" secret:"true"`
}

type fake struct{}

func (fake) Type() string                  { return "fake-registry-test" }
func (fake) Capabilities() Capabilities    { return Capabilities{Resources: []string{ResourceCustomer}} }
func (fake) Connect(context.Context) error { return nil }
func (fake) Close() error                  { return nil }

func TestRegistry(t *testing.T) {
	reg := Registration{
		Type:        "fake-registry-test",
		NewSettings: func() any { return &fakeSettings{URL: "http://default"} },
		New:         func(Instance, any) (Connector, error) { return fake{}, nil },
	}
	Register(reg)
	mustPanic(t, "duplicate", func() { Register(reg) })
	mustPanic(t, "empty name", func() { Register(Registration{NewSettings: reg.NewSettings, New: reg.New}) })

	s, err := DecodeSettings("fake-registry-test", map[string]any{"token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	if fs := s.(*fakeSettings); fs.URL != "http://default" || fs.Token != "t" {
		t.Errorf("settings %+v: defaults must survive, given keys win", fs)
	}
	if _, err := DecodeSettings("fake-registry-test", map[string]any{"tokn": "t"}); err == nil || !strings.Contains(err.Error(), "tokn") {
		t.Errorf("unknown settings key: %v", err)
	}
	if _, err := New(Instance{Type: "nope"}, nil); err == nil || !strings.Contains(err.Error(), "fake-registry-test") {
		t.Errorf("unknown type must list known types: %v", err)
	}
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s: Register did not panic", what)
		}
	}()
	f()
}
