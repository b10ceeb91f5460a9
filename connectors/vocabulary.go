package connectors

import (
	"fmt"
	"sort"
)

// Vocabulary is a vendor's words for the values of a canonical enumerated
// field (today gender): how each canonical value is written at the vendor
// and which vendor words read as which value. A connector registers its
// vocabularies with its Registration, so vendor codes live in the
// vendor's folder; a mapping names one by Name ({gender: magento}), and
// the transform without an argument reads the words of every registered
// vocabulary.
type Vocabulary struct {
	// Field is the canonical field, e.g. "gender".
	Field string
	// Name is what mappings write, e.g. "magento"; unique per field.
	Name string
	// Write maps every canonical value to the vendor's word or code.
	Write map[string]any
	// Read maps vendor words to canonical values; they are compared
	// trimmed, lower-cased and without a trailing dot. Words of Write that
	// stand for one canonical value only read back without being listed.
	Read map[string]string
	// Doc says in a few words where the vocabulary comes from.
	Doc string
}

var vocabularies = map[[2]string]Vocabulary{} // guarded by registryMu

// registerVocabularies adds r's vocabularies; callers hold registryMu.
func registerVocabularies(r Registration) {
	for _, v := range r.Vocabularies {
		if v.Field == "" || v.Name == "" {
			panic("connectors: Register " + r.Type + " with a vocabulary without field or name")
		}
		key := [2]string{v.Field, v.Name}
		if _, dup := vocabularies[key]; dup {
			panic(fmt.Sprintf("connectors: duplicate %s vocabulary %q (registered by %s)", v.Field, v.Name, r.Type))
		}
		vocabularies[key] = v
	}
}

// LookupVocabulary returns the registered vocabulary of a canonical field
// by name.
func LookupVocabulary(field, name string) (Vocabulary, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	v, ok := vocabularies[[2]string{field, name}]
	return v, ok
}

// Vocabularies lists the registered vocabularies of a canonical field,
// sorted by name.
func Vocabularies(field string) []Vocabulary {
	registryMu.RLock()
	defer registryMu.RUnlock()
	var out []Vocabulary
	for k, v := range vocabularies {
		if k[0] == field {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
