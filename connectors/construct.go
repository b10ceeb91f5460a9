package connectors

import "fmt"

// Constructor adapts a connector's typed constructor to Registration.New:
// the registry decodes config into the pointer NewSettings returned and
// hands it back as any; Constructor checks that it is a *S and passes the
// settings on by value.
func Constructor[S any, C Connector](typ string, newConnector func(Instance, S) (C, error)) func(Instance, any) (Connector, error) {
	return func(inst Instance, settings any) (Connector, error) {
		s, ok := settings.(*S)
		if !ok {
			return nil, fmt.Errorf("%s: settings of type %T, want %T", typ, settings, s)
		}
		c, err := newConnector(inst, *s)
		if err != nil {
			// A typed nil would make a non-nil Connector.
			return nil, err
		}
		return c, nil
	}
}
