package mappings

import (
	"fmt"
	"strconv"
	"strings"
)

// srcPath is a compiled `from` path: a.b.0.c.
type srcPath struct {
	text string
	segs []pathSeg
}

type pathSeg struct {
	key string
	idx int // list index when the segment is numeric, else -1
}

func parsePath(s string) (srcPath, error) {
	if s == "" {
		return srcPath{}, fmt.Errorf("empty path")
	}
	parts := strings.Split(s, ".")
	p := srcPath{text: s, segs: make([]pathSeg, len(parts))}
	for i, part := range parts {
		if part == "" {
			return srcPath{}, fmt.Errorf("path %q has an empty segment", s)
		}
		idx := -1
		if n, err := strconv.Atoi(part); err == nil && n >= 0 && part[0] != '+' {
			idx = n
		}
		p.segs[i] = pathSeg{key: part, idx: idx}
	}
	return p, nil
}

// lookup follows the path. ok is false when some segment does not exist
// (including stepping into a null or a scalar): the path is absent.
func (p *srcPath) lookup(v any) (any, bool) {
	for _, s := range p.segs {
		switch x := v.(type) {
		case map[string]any:
			n, ok := x[s.key]
			if !ok {
				return nil, false
			}
			v = n
		case Doc:
			n, ok := x[s.key]
			if !ok {
				return nil, false
			}
			v = n
		case []any:
			if s.idx < 0 || s.idx >= len(x) {
				return nil, false
			}
			v = x[s.idx]
		case []map[string]any:
			if s.idx < 0 || s.idx >= len(x) {
				return nil, false
			}
			v = x[s.idx]
		case []string:
			if s.idx < 0 || s.idx >= len(x) {
				return nil, false
			}
			v = x[s.idx]
		case map[string]string:
			n, ok := x[s.key]
			if !ok {
				return nil, false
			}
			v = n
		default:
			return nil, false
		}
	}
	return v, true
}

// selectFrom applies `from` fallback semantics: the first path that is
// present and neither null nor "" wins; if none wins but one is present the
// result is a present null (the source cleared the value). which is the
// index of the path that decided, -1 when absent.
func selectFrom(paths []srcPath, src any) (v any, present bool, which int) {
	which = -1
	for i := range paths {
		x, ok := paths[i].lookup(src)
		if !ok {
			continue
		}
		if !isEmpty(x) {
			return x, true, i
		}
		if which < 0 {
			which = i
		}
	}
	if which >= 0 {
		return nil, true, which
	}
	return nil, false, -1
}

func joinPath(prefix, rest string) string {
	switch {
	case prefix == "":
		return rest
	case rest == "":
		return prefix
	}
	return prefix + "." + rest
}
