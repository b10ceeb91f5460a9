package magento

import "github.com/shophub/shophub/connectors"

// genderVocabulary is Magento's customer gender attribute: 1 Male,
// 2 Female, 3 Not Specified (0 where never set), for mappings'
// {gender: magento}.
var genderVocabulary = connectors.Vocabulary{
	Field: "gender", Name: "magento", Doc: "Magento customer gender: 1 Male, 2 Female, 3 Not Specified",
	Write: map[string]any{"male": 1.0, "female": 2.0, "diverse": 3.0, "unknown": 3.0},
	Read:  map[string]string{"3": "unknown", "0": "unknown"},
}
