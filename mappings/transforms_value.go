package mappings

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strings"

	"gopkg.in/yaml.v3"
)

// buildMap: {table: {from: to}, default: x}, a plain table, or a named
// table of the file's `tables` section ({table: name, default: x}). Values
// are looked up by their string form; lists are mapped item by item.
func buildMap(c *compiler, arg *yaml.Node) (transformFunc, error) {
	if arg == nil || arg.Kind != yaml.MappingNode {
		return nil, errors.New("want a table {from: to}, {table: {…}, default: x} or {table: <name>}")
	}
	kvs, err := c.pairs(arg, "")
	if err != nil {
		return nil, err
	}
	for _, kv := range kvs {
		tn := c.resolve(kv.val)
		if kv.key != "table" || (tn.Kind != yaml.MappingNode && tn.Kind != yaml.ScalarNode) {
			continue
		}
		var table map[string]any
		if tn.Kind == yaml.ScalarNode {
			if table, err = c.namedTable(tn.Value, false); err != nil {
				return nil, err
			}
		} else {
			tv, err := c.value(tn)
			if err != nil {
				return nil, err
			}
			table = tv.(map[string]any)
		}
		var hasDef bool
		var def any
		for _, o := range kvs {
			switch o.key {
			case "table":
			case "default":
				hasDef = true
				if def, err = c.value(o.val); err != nil {
					return nil, err
				}
			default:
				return nil, fmt.Errorf("unknown key %q (want table, default)", o.key)
			}
		}
		return tableLookup(table, hasDef, def), nil
	}
	tv, err := c.value(arg)
	if err != nil {
		return nil, err
	}
	return tableLookup(tv.(map[string]any), false, nil), nil
}

// buildLookup: {lookup: name} or {lookup: {table: name, default: x,
// reverse: true}} looks values up in a table of the `tables` section;
// reverse maps values back to keys (for the other direction of a round
// trip) and needs a table whose values are unique.
func buildLookup(c *compiler, arg *yaml.Node) (transformFunc, error) {
	if arg == nil {
		return nil, errors.New("needs a table name: {lookup: name} or {lookup: {table: name, default: x, reverse: true}}")
	}
	var name string
	var hasDef, reverse bool
	var def any
	err := c.argFields(arg, "a table name or {table, default, reverse}", func(s string) error { name = s; return nil },
		func(key string, v *yaml.Node) (err error) {
			switch key {
			case "table":
				if v.Kind != yaml.ScalarNode || v.Value == "" {
					return errors.New("table: want the name of a table in the tables section")
				}
				name = v.Value
			case "default":
				hasDef = true
				def, err = c.value(v)
				return err
			case "reverse":
				if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
					return errors.New("reverse: want true or false")
				}
				reverse = v.Value == "true"
			default:
				return fmt.Errorf("unknown key %q (want table, default, reverse)", key)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, errors.New("missing table: <name>")
	}
	table, err := c.namedTable(name, reverse)
	if err != nil {
		return nil, err
	}
	return tableLookup(table, hasDef, def), nil
}

// namedTable returns a table of the `tables` section, or its inverse.
func (c *compiler) namedTable(name string, reverse bool) (map[string]any, error) {
	t, ok := c.tables[name]
	if !ok {
		known := "the file defines none"
		if len(c.tables) > 0 {
			known = "want one of " + strings.Join(sortedKeys(c.tables), ", ")
		}
		return nil, fmt.Errorf("unknown table %q (%s)", name, known)
	}
	if !reverse {
		return t, nil
	}
	inv := make(map[string]any, len(t))
	for _, k := range sortedKeys(t) {
		v, err := stringOf(t[k])
		if err != nil {
			return nil, fmt.Errorf("table %q cannot be reversed: value of %q is %s", name, k, typeName(t[k]))
		}
		if prev, dup := inv[v]; dup {
			return nil, fmt.Errorf("table %q cannot be reversed: %q and %q both map to %q", name, prev, k, v)
		}
		inv[v] = k
	}
	return inv, nil
}

// tableLookup maps a value by its string form; lists item by item.
func tableLookup(table map[string]any, hasDef bool, def any) transformFunc {
	var fn transformFunc
	fn = func(v any) (any, error) {
		if items, ok := v.([]any); ok {
			out := make([]any, len(items))
			for i, it := range items {
				o, err := fn(it)
				if err != nil {
					return nil, err
				}
				out[i] = o
			}
			return out, nil
		}
		if items, ok := v.([]string); ok {
			out := make([]any, len(items))
			for i, it := range items {
				o, err := fn(it)
				if err != nil {
					return nil, err
				}
				out[i] = o
			}
			return out, nil
		}
		key, err := stringOf(v)
		if err != nil {
			return nil, err
		}
		if to, ok := table[key]; ok {
			return to, nil
		}
		if hasDef {
			return def, nil
		}
		if key == "" {
			return "", nil // a cleared value stays cleared
		}
		return nil, errors.New("no mapping for this value")
	}
	return fn
}

var (
	trueWords  = map[string]bool{"1": true, "yes": true, "true": true, "subscribed": true, "on": true, "y": true}
	falseWords = map[string]bool{"0": true, "no": true, "false": true, "not_subscribed": true, "unsubscribed": true, "off": true, "n": true, "": true}
)

func boolT(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case nil:
		return false, nil
	case string:
		w := strings.ToLower(strings.TrimSpace(x))
		if trueWords[w] {
			return true, nil
		}
		if falseWords[w] {
			return false, nil
		}
		return nil, errors.New("not a yes/no value")
	}
	if n, ok := numberOf(v); ok {
		return n != 0, nil
	}
	return nil, fmt.Errorf("want a yes/no value, got %s", typeName(v))
}

func stringT(v any) (any, error) {
	if _, ok := v.(string); ok {
		return v, nil
	}
	return stringOf(v)
}

// numberT coerces to float64; "" (cleared) stays "".
func numberT(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		if strings.TrimSpace(x) == "" {
			return "", nil
		}
	case bool:
		return nil, errors.New("not a number")
	}
	n, ok := numberOf(v)
	if !ok {
		return nil, errors.New("not a number")
	}
	return n, nil
}

func buildDefault(c *compiler, arg *yaml.Node) (transformFunc, error) {
	if arg == nil {
		return nil, errors.New("needs the default value as argument")
	}
	def, err := c.value(arg)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) {
		if isEmpty(v) {
			return def, nil
		}
		return v, nil
	}, nil
}

// buildHash: hex digest of the string form; "" stays "" so that a cleared
// value is not turned into the hash of nothing.
func buildHash(c *compiler, arg *yaml.Node) (transformFunc, error) {
	algo, ok, err := scalarArg(arg)
	if err != nil {
		return nil, err
	}
	if !ok {
		algo = "sha256"
	}
	var newHash func() hash.Hash
	switch algo {
	case "sha256":
		newHash = sha256.New
	case "sha512":
		newHash = sha512.New
	case "sha1":
		newHash = sha1.New
	case "md5":
		newHash = md5.New
	default:
		return nil, fmt.Errorf("unknown algorithm %q (want sha256, sha512, sha1, md5)", algo)
	}
	return func(v any) (any, error) {
		s, err := stringOf(v)
		if err != nil {
			return nil, err
		}
		if s == "" {
			return "", nil
		}
		h := newHash()
		h.Write([]byte(s))
		return hex.EncodeToString(h.Sum(nil)), nil
	}, nil
}
