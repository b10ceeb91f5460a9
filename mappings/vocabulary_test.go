package mappings

import (
	"context"
	"strings"
	"testing"

	"github.com/shophub/shophub/connectors"
)

// A connector of the tests registers vendor vocabularies the way Magento's
// and Shopware's connectors do, so the gender transform is tested without
// vendor knowledge in this package.
func init() {
	connectors.Register(connectors.Registration{
		Type:        "mappings-vocabulary-test",
		NewSettings: func() any { return &struct{}{} },
		New:         func(connectors.Instance, any) (connectors.Connector, error) { return vocabConnector{}, nil },
		Vocabularies: []connectors.Vocabulary{
			{Field: "gender", Name: "testnumbers", Write: map[string]any{"male": 1.0, "female": 2.0, "diverse": 3.0, "unknown": 3.0},
				Read: map[string]string{"3": "unknown", "0": "unknown"}},
			{Field: "gender", Name: "testkeys", Write: map[string]any{"male": "mr", "female": "mrs", "diverse": "not_specified", "unknown": "not_specified"},
				Read: map[string]string{"not_specified": "unknown"}},
			{Field: "gender", Name: "testupper", Write: map[string]any{"male": "MR", "female": "MRS", "diverse": "", "unknown": ""}},
		},
	})
}

type vocabConnector struct{}

func (vocabConnector) Type() string                          { return "mappings-vocabulary-test" }
func (vocabConnector) Capabilities() connectors.Capabilities { return connectors.Capabilities{} }
func (vocabConnector) Connect(context.Context) error         { return nil }
func (vocabConnector) Close() error                          { return nil }

// Vocabularies are registered by connectors, so the schema cannot list
// them: an unknown one is refused when the mapping compiles, naming the
// ones there are.
func TestUnknownGenderVocabulary(t *testing.T) {
	_, err := Compile("m.yaml", []byte(fieldsYAML("a: {from: x, transform: [{gender: sap}]}")), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown vocabulary "sap"`) || !strings.Contains(err.Error(), "testnumbers") {
		t.Errorf("got %v, want unknown vocabulary naming the registered ones", err)
	}
}
