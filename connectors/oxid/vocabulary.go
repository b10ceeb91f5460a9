package oxid

import "github.com/shophub/shophub/connectors"

// genderVocabulary is OXID's oxsal salutations (MR, MRS; empty for
// anything else), for mappings' {gender: oxid}.
var genderVocabulary = connectors.Vocabulary{
	Field: "gender", Name: "oxid", Doc: "OXID oxuser.oxsal salutations",
	Write: map[string]any{"male": "MR", "female": "MRS", "diverse": "", "unknown": ""},
}
