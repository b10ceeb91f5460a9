package mappings

import (
	"fmt"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// houseNumberRe is a house number and what may follow it on a street line:
// "5", "5a", "5 a", "12-14", "12 - 14", "5a/7", and after a comma any
// addition ("12, App. 3": the addition belongs to the number, never "3").
var houseNumberRe = regexp.MustCompile(`^[0-9]+(\s?[A-Za-z])?(\s*[-/+]\s*[0-9]+(\s?[A-Za-z])?)*(\s*,.*)?$`)

// SplitStreet splits a street line into street and house number, for
// vendors that keep them apart (OXID's OXSTREET and OXSTREETNR). The number
// is the leftmost tail that starts a word with a digit and reads as a house
// number; "Straße des 17. Juni 135" is ("Straße des 17. Juni", "135"). A
// line without one, or with the number first ("12 Main Street"), is all
// street. The street and the number joined by one space give the line
// back, so a split line always reads back unchanged.
func SplitStreet(s string) (street, number string) {
	s = strings.TrimSpace(s)
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' || s[i-1] != ' ' {
			continue
		}
		if i < 2 || s[i-2] == ' ' {
			continue // two spaces would not read back
		}
		if houseNumberRe.MatchString(s[i:]) {
			return s[:i-1], s[i:]
		}
	}
	return s, ""
}

// JoinStreet is the street line of a street and house number kept apart.
func JoinStreet(street, number string) string {
	street, number = strings.TrimSpace(street), strings.TrimSpace(number)
	switch {
	case number == "":
		return street
	case street == "":
		return number
	}
	return street + " " + number
}

// buildStreetPart: {street_part: street} or {street_part: number} renders
// one part of a canonical street line.
func buildStreetPart(c *compiler, arg *yaml.Node) (transformFunc, error) {
	s, ok, err := scalarArg(arg)
	if err != nil {
		return nil, err
	}
	if !ok || (s != "street" && s != "number") {
		return nil, fmt.Errorf("want street or number, got %q", s)
	}
	number := s == "number"
	return func(v any) (any, error) {
		line, err := stringOf(v)
		if err != nil {
			return nil, err
		}
		st, nr := SplitStreet(line)
		if number {
			return nr, nil
		}
		return st, nil
	}, nil
}
