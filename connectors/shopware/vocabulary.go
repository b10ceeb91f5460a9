package shopware

import "github.com/shophub/shophub/connectors"

// genderVocabulary is Shopware 6's salutation keys (mr, mrs,
// not_specified), for mappings' {gender: shopware}.
var genderVocabulary = connectors.Vocabulary{
	Field: "gender", Name: "shopware", Doc: "Shopware 6 salutation keys",
	Write: map[string]any{"male": "mr", "female": "mrs", "diverse": "not_specified", "unknown": "not_specified"},
	Read:  map[string]string{"not_specified": "unknown"},
}
