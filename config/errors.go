package config

import (
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in a config file, located by file, line and field
// path (e.g. "connectors[1].webhook_secret").
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error formats as "file:line: field: msg", leaving out what is unknown.
func (e *Error) Error() string {
	var b strings.Builder
	loc := e.File
	if e.Line > 0 {
		if loc == "" {
			loc = "line " + strconv.Itoa(e.Line)
		} else {
			loc += ":" + strconv.Itoa(e.Line)
		}
	}
	if loc != "" {
		b.WriteString(loc)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found at once, in file order.
type Errors []*Error

// Error joins the problems with newlines.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find each *Error.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// err returns nil for no problems, so callers never see a typed nil.
func (es Errors) err() error {
	if len(es) == 0 {
		return nil
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}

// ErrorAt builds an Error for a problem found after loading (an unknown
// connector type, bad connector settings), located at the line the field
// path was read from, or its nearest parent's.
func (c *Config) ErrorAt(field, msg string) *Error {
	return &Error{File: c.File, Line: c.lineOf(field), Field: field, Msg: msg}
}

// lineOf finds the line a field path was read from, falling back to the
// nearest parent: a missing connectors[1].name is reported on its entry.
func (c *Config) lineOf(path string) int {
	if c.src == nil {
		return 0
	}
	for path != "" {
		if l, ok := c.src.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}
