package mappings

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

func trimT(s string) string  { return strings.TrimSpace(s) }
func lowerT(s string) string { return strings.ToLower(s) }
func upperT(s string) string { return strings.ToUpper(s) }

// titleT upper-cases the first letter of every word and lower-cases the
// rest; hyphens and apostrophes start words too (Anna-Lena, O'Brien).
func titleT(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if start {
			b.WriteRune(unicode.ToTitle(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
		start = unicode.IsSpace(r) || r == '-' || r == '\''
	}
	return b.String()
}

// collapseT trims and turns every run of white space into one space.
func collapseT(s string) string {
	clean := true
	prevSpace := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			clean = false
			break
		}
		sp := c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
		if sp && (prevSpace || c != ' ') {
			clean = false
			break
		}
		prevSpace = sp
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

var errNotEmail = errors.New("not an email address")

func emailT(v any) (any, error) {
	s, err := stringOf(v)
	if err != nil {
		return nil, err
	}
	s = NormalizeEmail(s)
	if s == "" {
		return "", nil
	}
	if !isEmail(s) {
		return nil, errNotEmail
	}
	if o, ok := v.(string); ok && o == s {
		return v, nil
	}
	return s, nil
}
