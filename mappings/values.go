package mappings

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// isEmpty reports the values the grammar treats as "no value": null and "".
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	}
	return false
}

// stringOf returns the string form of a scalar: strings as is, numbers in
// their shortest form, booleans as true/false, null as "".
func stringOf(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "", nil
	case bool:
		if x {
			return "true", nil
		}
		return "false", nil
	case float64:
		return formatFloat(x), nil
	case float32:
		return formatFloat(float64(x)), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case uint:
		return strconv.FormatUint(uint64(x), 10), nil
	case json.Number:
		return x.String(), nil
	}
	return "", fmt.Errorf("want a scalar, got %s", typeName(v))
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// numberOf converts numbers and numeric strings to float64.
func numberOf(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// listOf returns the items of a list value; ok is false for non-lists.
func listOf(v any) ([]any, bool) {
	switch x := v.(type) {
	case []any:
		return x, true
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, true
	case []map[string]any:
		out := make([]any, len(x))
		for i, m := range x {
			out[i] = m
		}
		return out, true
	}
	return nil, false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64, float32, int, int64, int32, uint64, uint, json.Number:
		return "number"
	case map[string]any, Doc, map[string]string:
		return "object"
	case []any, []string, []map[string]any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

// describeValue renders a value for an error message: scalars masked when
// they look like personal contact data, containers only by their shape so
// that a whole record never lands in a log.
func describeValue(field, path string, v any) string {
	switch v.(type) {
	case map[string]any, Doc, map[string]string:
		return "{…}"
	case []any, []string, []map[string]any:
		return "[…]"
	}
	s, err := stringOf(v)
	if err != nil {
		return typeName(v)
	}
	if s == "" {
		return `""`
	}
	return maskScalar(field, path, s)
}

// maskScalar masks s if the field or path names an email or phone, or if s
// itself looks like one.
func maskScalar(field, path, s string) string {
	if m := MaskValue(field, s); m != s {
		return m
	}
	if m := MaskValue(path, s); m != s {
		return m
	}
	if looksLikePhone(s) {
		return MaskPhone(s)
	}
	if utf8.RuneCountInString(s) > 40 {
		r := []rune(s)
		return string(r[:40]) + "…"
	}
	return s
}

// looksLikePhone: seven or more digits, nothing but digits and phone
// punctuation, starting like a dialled number (+, 0 or a parenthesis) so
// that dates and ids are left readable.
func looksLikePhone(s string) bool {
	if s == "" || (s[0] != '+' && s[0] != '0' && s[0] != '(') {
		return false
	}
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '/' || c == '.':
		default:
			return false
		}
	}
	return digits >= 7
}
