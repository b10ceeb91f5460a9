package mappings

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// buildSplit: string → list of trimmed, non-empty strings. A list passes
// through; null and "" give an empty list.
func buildSplit(c *compiler, arg *yaml.Node) (transformFunc, error) {
	sep, ok, err := scalarArg(arg)
	if err != nil {
		return nil, err
	}
	if !ok || sep == "" {
		sep = ","
	}
	return func(v any) (any, error) {
		switch v.(type) {
		case []any, []string:
			return v, nil
		}
		s, err := stringOf(v)
		if err != nil {
			return nil, err
		}
		n := strings.Count(s, sep) + 1
		out := make([]string, 0, n)
		for s != "" {
			part, rest, found := strings.Cut(s, sep)
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
			if !found {
				break
			}
			s = rest
		}
		return out, nil
	}, nil
}

// buildJoin: list → string of the items' string forms. A scalar passes
// through as its string form.
func buildJoin(c *compiler, arg *yaml.Node) (transformFunc, error) {
	sep, ok, err := scalarArg(arg)
	if err != nil {
		return nil, err
	}
	if !ok {
		sep = ", "
	}
	return func(v any) (any, error) {
		switch x := v.(type) {
		case []string:
			return strings.Join(x, sep), nil
		case []any:
			parts := make([]string, 0, len(x))
			for _, it := range x {
				s, err := stringOf(it)
				if err != nil {
					return nil, err
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), nil
		}
		return stringOf(v)
	}, nil
}
