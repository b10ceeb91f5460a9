package mappings

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// transformBuilder parses a transform's argument (nil when it has none)
// once, at compile time, and returns the function every record runs.
type transformBuilder func(c *compiler, arg *yaml.Node) (transformFunc, error)

// transformRegistry is the v1 transform library, filled in init.
var transformRegistry map[string]transformBuilder

func init() {
	transformRegistry = map[string]transformBuilder{
		"trim":            noArg(eachString(trimT)),
		"lower":           noArg(eachString(lowerT)),
		"upper":           noArg(eachString(upperT)),
		"title":           noArg(eachString(titleT)),
		"collapse_spaces": noArg(eachString(collapseT)),
		"email":           noArg(emailT),
		"phone":           buildPhone,
		"subdivision":     buildRegion,
		"street_part":     buildStreetPart,
		"name_part":       buildNamePart,
		"phone_national":  buildPhoneNational,
		"country":         noArg(countryT),
		"date":            buildDate,
		"split":           buildSplit,
		"drop_prefix":     buildDropPrefix,
		"join":            buildJoin,
		"map":             buildMap,
		"lookup":          buildLookup,
		"gender":          buildGender,
		"money":           buildMoney,
		"bool":            noArg(boolT),
		"string":          noArg(stringT),
		"number":          noArg(numberT),
		"default":         buildDefault,
		"hash":            buildHash,
	}
}

// regionRegistry holds the transforms that also have a form depending on
// the record's region (an address's country).
var regionRegistry = map[string]func(c *compiler, arg *yaml.Node) (regionFunc, error){
	"phone":       buildPhoneRegion,
	"subdivision": buildRegionIn,
}

func (c *compiler) transforms(n *yaml.Node, field string) ([]step, error) {
	var items []*yaml.Node
	switch n.Kind {
	case yaml.ScalarNode, yaml.MappingNode:
		items = []*yaml.Node{n}
	case yaml.SequenceNode:
		items = n.Content
	default:
		return nil, c.errAt(n, field, "transform: want a list of transforms")
	}
	steps := make([]step, 0, len(items))
	for _, it := range items {
		it = c.resolve(it)
		var name string
		var arg *yaml.Node
		switch it.Kind {
		case yaml.ScalarNode:
			name = it.Value
		case yaml.MappingNode:
			if len(it.Content) != 2 {
				return nil, c.errAt(it, field, "transform: an argument is written {name: arg}, one key per list item")
			}
			name = c.resolve(it.Content[0]).Value
			arg = c.resolve(it.Content[1])
			if arg.Kind == yaml.ScalarNode && arg.Tag == "!!null" {
				arg = nil
			}
		default:
			return nil, c.errAt(it, field, "transform: want a name or {name: arg}, got %s", nodeKind(it))
		}
		b, ok := transformRegistry[name]
		if !ok {
			return nil, c.errAt(it, field, "unknown transform %q (want one of %s)", name, strings.Join(sortedKeys(transformRegistry), ", "))
		}
		fn, err := b(c, arg)
		if err != nil {
			return nil, c.errAt(it, field, "transform %s: %v", name, err)
		}
		st := step{name: name, fn: fn}
		if rb, ok := regionRegistry[name]; ok {
			if st.withRegion, err = rb(c, arg); err != nil {
				return nil, c.errAt(it, field, "transform %s: %v", name, err)
			}
		}
		if name == "name_part" {
			st.withPrev, _ = buildNamePartPrev(c, arg) // same argument, checked above
			c.usesPrev = true
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func noArg(fn transformFunc) transformBuilder {
	return func(c *compiler, arg *yaml.Node) (transformFunc, error) {
		if arg != nil {
			return nil, fmt.Errorf("takes no argument")
		}
		return fn, nil
	}
}

// argFields reads a transform argument: scalar gets a scalar argument (nil:
// scalars are not allowed), field each key of a {key: value} argument with
// its resolved value. want describes the argument for the error.
func (c *compiler) argFields(arg *yaml.Node, want string, scalar func(string) error, field func(key string, v *yaml.Node) error) error {
	if arg == nil {
		return nil
	}
	switch {
	case arg.Kind == yaml.ScalarNode && scalar != nil:
		return scalar(arg.Value)
	case arg.Kind == yaml.MappingNode:
		kvs, err := c.pairs(arg, "")
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			if err := field(kv.key, c.resolve(kv.val)); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("want %s, got %s", want, nodeKind(arg))
}

// scalarArg returns a scalar argument's text; ok is false without argument.
func scalarArg(arg *yaml.Node) (s string, ok bool, err error) {
	if arg == nil {
		return "", false, nil
	}
	if arg.Kind != yaml.ScalarNode {
		return "", false, fmt.Errorf("want a scalar argument, got %s", nodeKind(arg))
	}
	return arg.Value, true, nil
}

// eachString lifts a string function to scalars (numbers and booleans by
// their string form) and to lists, item by item.
func eachString(f func(string) string) transformFunc {
	var fn transformFunc
	fn = func(v any) (any, error) {
		switch x := v.(type) {
		case string:
			if s := f(x); s != x {
				return s, nil
			}
			return v, nil // unchanged: no new boxed string
		case []string:
			out := make([]string, len(x))
			for i, s := range x {
				out[i] = f(s)
			}
			return out, nil
		case []any:
			out := make([]any, len(x))
			for i, it := range x {
				o, err := fn(it)
				if err != nil {
					return nil, err
				}
				out[i] = o
			}
			return out, nil
		}
		s, err := stringOf(v)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
	return fn
}
