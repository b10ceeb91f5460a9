package connectors

import (
	"context"
	"errors"
	"testing"
)

type constructSettings struct{ URL string }

type constructConn struct{ url string }

func (c *constructConn) Type() string                      { return "construct" }
func (c *constructConn) Capabilities() Capabilities        { return Capabilities{} }
func (c *constructConn) Connect(ctx context.Context) error { return nil }
func (c *constructConn) Close() error                      { return nil }

func TestConstructor(t *testing.T) {
	refused := errors.New("refused")
	newFn := Constructor("construct", func(inst Instance, s constructSettings) (*constructConn, error) {
		if s.URL == "" {
			return nil, refused
		}
		return &constructConn{url: s.URL}, nil
	})
	c, err := newFn(Instance{}, &constructSettings{URL: "https://x.example"})
	if err != nil || c.(*constructConn).url != "https://x.example" {
		t.Fatalf("got %v, %v", c, err)
	}
	if c, err := newFn(Instance{}, &constructSettings{}); !errors.Is(err, refused) || c != nil {
		t.Errorf("refused settings: got %#v, %v; want a nil Connector and the error", c, err)
	}
	_, err = newFn(Instance{}, constructSettings{})
	if err == nil || err.Error() != "construct: settings of type connectors.constructSettings, want *connectors.constructSettings" {
		t.Errorf("wrong settings type: %v", err)
	}
}
