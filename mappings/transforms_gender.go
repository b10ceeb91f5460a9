package mappings

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Genders is the canonical gender vocabulary (canonical field `gender`).
var Genders = []string{"male", "female", "diverse", "unknown"}

// genderWords recognizes the vendors' salutation and gender codes, looked
// up trimmed, lower-cased and without a trailing dot: Magento's 1/2/3,
// Shopware's salutation keys, OXID's MR/MRS, German and English forms.
var genderWords = map[string]string{
	"male": "male", "m": "male", "man": "male", "mr": "male", "mister": "male", "sir": "male",
	"herr": "male", "herrn": "male", "männlich": "male", "maennlich": "male", "1": "male",
	"female": "female", "f": "female", "w": "female", "woman": "female", "mrs": "female", "ms": "female",
	"miss": "female", "madam": "female", "frau": "female", "weiblich": "female", "2": "female",
	"diverse": "diverse", "divers": "diverse", "d": "diverse", "x": "diverse", "mx": "diverse",
	"other": "diverse", "non-binary": "diverse", "nonbinary": "diverse",
	"unknown": "unknown", "u": "unknown", "not_specified": "unknown", "not specified": "unknown",
	"none": "unknown", "n/a": "unknown", "keine angabe": "unknown", "3": "unknown", "0": "unknown",
}

// genderVocabularies render a canonical gender for a vendor.
var genderVocabularies = map[string]map[string]any{
	"canonical": {"male": "male", "female": "female", "diverse": "diverse", "unknown": "unknown"},
	"magento":   {"male": 1.0, "female": 2.0, "diverse": 3.0, "unknown": 3.0}, // 3 = "Not Specified"
	"shopware":  {"male": "mr", "female": "mrs", "diverse": "not_specified", "unknown": "not_specified"},
	"oxid":      {"male": "MR", "female": "MRS", "diverse": "", "unknown": ""},
	"de":        {"male": "Herr", "female": "Frau", "diverse": "Divers", "unknown": ""},
	"en":        {"male": "Mr", "female": "Mrs", "diverse": "Mx", "unknown": ""},
}

// buildGender: without argument, vendor word → canonical vocabulary.
// {to: magento} (or just `magento`) renders for a vendor instead; the
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
	vocab, ok := genderVocabularies[to]
	if !ok {
		return nil, fmt.Errorf("unknown vocabulary %q (want one of %s)", to, strings.Join(sortedKeys(genderVocabularies), ", "))
	}
	words := genderWords
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
		words = make(map[string]string, len(genderWords)+len(table))
		for k, v := range genderWords {
			words[k] = v
		}
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
