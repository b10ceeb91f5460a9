package mappings

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/shophub/shophub/connectors"
)

// Genders is the canonical gender vocabulary (canonical field `gender`).
var Genders = []string{"male", "female", "diverse", "unknown"}

// genderWords recognizes gender words and salutations of the languages
// shophub speaks, looked up trimmed, lower-cased and without a trailing
// dot. Vendor codes (Magento's 1/2/3, Shopware's salutation keys) are not
// here: each connector registers its own (connectors.Vocabulary).
var genderWords = map[string]string{
	"male": "male", "m": "male", "man": "male", "mr": "male", "mister": "male", "sir": "male",
	"herr": "male", "herrn": "male", "männlich": "male", "maennlich": "male",
	"female": "female", "f": "female", "w": "female", "woman": "female", "mrs": "female", "ms": "female",
	"miss": "female", "madam": "female", "frau": "female", "weiblich": "female",
	"diverse": "diverse", "divers": "diverse", "d": "diverse", "x": "diverse", "mx": "diverse",
	"other": "diverse", "non-binary": "diverse", "nonbinary": "diverse",
	"unknown": "unknown", "u": "unknown", "not specified": "unknown",
	"none": "unknown", "n/a": "unknown", "keine angabe": "unknown",
}

// genderVocabularies render a canonical gender in a language; vendors'
// vocabularies come from their connectors (connectors.LookupVocabulary).
var genderVocabularies = map[string]map[string]any{
	"canonical": {"male": "male", "female": "female", "diverse": "diverse", "unknown": "unknown"},
	"de":        {"male": "Herr", "female": "Frau", "diverse": "Divers", "unknown": ""},
	"en":        {"male": "Mr", "female": "Mrs", "diverse": "Mx", "unknown": ""},
}

// genderVocabulary is the rendering table of a built-in or registered
// vocabulary.
func genderVocabulary(name string) (map[string]any, bool) {
	if v, ok := genderVocabularies[name]; ok {
		return v, true
	}
	if v, ok := connectors.LookupVocabulary("gender", name); ok {
		return v.Write, true
	}
	return nil, false
}

// genderVocabularyNames lists what {gender: …} accepts.
func genderVocabularyNames() []string {
	names := sortedKeys(genderVocabularies)
	for _, v := range connectors.Vocabularies("gender") {
		names = append(names, v.Name)
	}
	return names
}

// allGenderWords are the language words plus every registered vendor
// vocabulary's: its Read words, and its Write values that stand for one
// canonical value only. A language word is never redefined by a vendor.
func allGenderWords() map[string]string {
	words := make(map[string]string, len(genderWords))
	for k, v := range genderWords {
		words[k] = v
	}
	for _, voc := range connectors.Vocabularies("gender") {
		back := map[string]string{}
		ambiguous := map[string]bool{}
		for canon, w := range voc.Write {
			k := genderKey(fmt.Sprint(w))
			if k == "" {
				continue
			}
			if prev, ok := back[k]; ok && prev != canon {
				ambiguous[k] = true
			}
			back[k] = canon
		}
		for k, canon := range back {
			if _, known := words[k]; !known && !ambiguous[k] {
				words[k] = canon
			}
		}
		for w, canon := range voc.Read {
			if k := genderKey(w); k != "" && contains(Genders, canon) {
				if _, known := genderWords[k]; !known {
					words[k] = canon
				}
			}
		}
	}
	return words
}

// buildGender: without argument, vendor word → canonical vocabulary.
// {to: <vocabulary>} (or just its name) renders for a vendor instead; the
// input may be canonical or any recognized word. `table` adds words
// (inbound: {word: canonical}) or overrides the rendering (with to:
// {canonical: word}).
func buildGender(c *compiler, arg *yaml.Node) (transformFunc, error) {
	to := "canonical"
	var table map[string]any
	err := c.argFields(arg, "a vocabulary name or {to: …, table: …}", func(s string) error { to = s; return nil },
		func(key string, v *yaml.Node) error {
			switch key {
			case "to":
				if v.Kind != yaml.ScalarNode {
					return errors.New("to: want a vocabulary name")
				}
				to = v.Value
			case "table":
				tv, err := c.value(v)
				if err != nil {
					return err
				}
				m, ok := tv.(map[string]any)
				if !ok {
					return errors.New("table: want {from: to}")
				}
				table = m
			default:
				return fmt.Errorf("unknown key %q (want to, table)", key)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	vocab, ok := genderVocabulary(to)
	if !ok {
		return nil, fmt.Errorf("unknown vocabulary %q (want one of %s, or a connector's)", to, strings.Join(genderVocabularyNames(), ", "))
	}
	words := allGenderWords()
	if to != "canonical" {
		out := make(map[string]any, len(vocab))
		for k, v := range vocab {
			out[k] = v
		}
		for k, v := range table {
			if !contains(Genders, k) {
				return nil, fmt.Errorf("table: %q is not a canonical gender (want one of %s)", k, strings.Join(Genders, ", "))
			}
			out[k] = v
		}
		vocab = out
	} else if table != nil {
		for k, v := range table {
			s, _ := v.(string)
			if !contains(Genders, s) {
				return nil, fmt.Errorf("table: %q maps to %v, not a canonical gender (want one of %s)", k, v, strings.Join(Genders, ", "))
			}
			words[genderKey(k)] = s
		}
	}
	return func(v any) (any, error) {
		s, err := stringOf(v)
		if err != nil {
			return nil, err
		}
		key := genderKey(s)
		if key == "" {
			return "", nil // cleared stays cleared
		}
		g, ok := words[key]
		if !ok {
			return nil, errors.New("not a known salutation or gender")
		}
		return vocab[g], nil
	}, nil
}

func genderKey(s string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
}
