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

// buildMap: {table: {from: to}, default: x} or a plain table. Values are
// looked up by their string form; lists are mapped item by item.
func buildMap(c *compiler, arg *yaml.Node) (transformFunc, error) {
	if arg == nil || arg.Kind != yaml.MappingNode {
		return nil, errors.New("want a table {from: to} or {table: {…}, default: x}")
	}
	kvs, err := c.pairs(arg, "")
	if err != nil {
		return nil, err
	}
	tableNode := arg
	var hasDef bool
	var def any
	for _, kv := range kvs {
		if kv.key == "table" && c.resolve(kv.val).Kind == yaml.MappingNode {
			tableNode = c.resolve(kv.val)
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
			break
		}
	}
	tv, err := c.value(tableNode)
	if err != nil {
		return nil, err
	}
	table := tv.(map[string]any)
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
	return fn, nil
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
