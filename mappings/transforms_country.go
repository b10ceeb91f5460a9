package mappings

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// countryIndex maps normalized names and codes to ISO-2. Built once, read
// only.
var countryIndex = sync.OnceValue(func() map[string]string {
	idx := make(map[string]string, 2000)
	for _, line := range strings.Split(strings.TrimSpace(countryTable), "\n") {
		cols := strings.Split(line, "|")
		iso2 := cols[0]
		names := []string{cols[2], cols[3]}
		if len(cols) > 4 && cols[4] != "" {
			names = append(names, strings.Split(cols[4], ";")...)
		}
		for _, n := range names {
			for _, umlautE := range []bool{true, false} {
				if k := countryKey(n, umlautE); k != "" {
					if _, dup := idx[k]; !dup {
						idx[k] = iso2
					}
				}
			}
		}
	}
	return idx
})

var foldReplacer = strings.NewReplacer(
	"á", "a", "à", "a", "â", "a", "ã", "a", "å", "a", "ā", "a",
	"é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i",
	"ó", "o", "ò", "o", "ô", "o", "õ", "o", "ø", "o",
	"ú", "u", "ù", "u", "û", "u",
	"ç", "c", "ñ", "n", "ß", "ss", "’", "'", "æ", "ae", "œ", "oe",
)

var umlautE = strings.NewReplacer("ä", "ae", "ö", "oe", "ü", "ue")
var umlautPlain = strings.NewReplacer("ä", "a", "ö", "o", "ü", "u")

// countryKey folds case, accents, punctuation and filler words, so that
// "Bosnia & Herzegovina", "bosnia and herzegovina" and "St. Lucia" /
// "Saint Lucia" meet. German umlauts fold either to ae/oe/ue or to a/o/u.
func countryKey(s string, e bool) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if e {
		s = umlautE.Replace(s)
	} else {
		s = umlautPlain.Replace(s)
	}
	s = foldReplacer.Replace(s)
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	out := words[:0]
	for _, w := range words {
		switch w {
		case "and", "und", "the", "of", "s":
			continue
		case "st", "saint", "sankt", "ste":
			w = "saint"
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// countryCodes maps ISO-2 and ISO-3 codes (upper case) to ISO-2. Codes are
// kept apart from names: AND (Andorra) must not fold like a filler word.
var countryCodes = sync.OnceValue(func() map[string]string {
	set := make(map[string]string, 512)
	for _, line := range strings.Split(strings.TrimSpace(countryTable), "\n") {
		set[line[:2]] = line[:2]
		set[line[3:6]] = line[:2]
	}
	return set
})

// lookupCountry returns the ISO-2 code for a name, ISO-3 or ISO-2 code.
func lookupCountry(s string) (string, bool) {
	if t := strings.TrimSpace(s); len(t) == 2 || len(t) == 3 {
		if c, ok := countryCodes()[strings.ToUpper(t)]; ok {
			return c, true
		}
	}
	idx := countryIndex()
	if k := countryKey(s, true); k != "" {
		if c, ok := idx[k]; ok {
			return c, true
		}
	}
	c, ok := idx[countryKey(s, false)]
	return c, ok
}

func countryT(v any) (any, error) {
	s, err := trimmedOf(v)
	if err != nil || s == "" {
		return s, err
	}
	if len(s) == 2 && isASCIIUpperLetters(s) && countryCodes()[s] == s {
		if o, ok := v.(string); ok && o == s {
			return v, nil // fast path: already ISO-2
		}
		return s, nil
	}
	c, ok := lookupCountry(s)
	if !ok {
		return nil, fmt.Errorf("unknown country")
	}
	return c, nil
}

func isASCIIUpperLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
