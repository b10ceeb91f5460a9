package mappings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// The committed schema is what Schema() generates: run `go generate
// ./mappings/` after changing the grammar.
func TestSchemaFileUpToDate(t *testing.T) {
	got, err := os.ReadFile("mapping.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Schema()) {
		t.Fatal("mapping.schema.json is stale: run go generate ./mappings/")
	}
}

func schemaDoc(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := json.Unmarshal(Schema(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// The schema's vocabulary is the compiler's: rule keys, transforms,
// canonical fields.
func TestSchemaMatchesCompiler(t *testing.T) {
	s := schemaDoc(t)
	defs := s["definitions"].(map[string]any)
	ruleProps := sortedKeys(defs["ruleObject"].(map[string]any)["properties"].(map[string]any))
	compilerKeys := strings.Split(ruleKeys, ", ")
	sort.Strings(compilerKeys)
	if diff := cmp.Diff(compilerKeys, ruleProps); diff != "" {
		t.Errorf("rule keys (-compiler +schema):\n%s", diff)
	}
	if diff := cmp.Diff(sortedKeys(transformRegistry), sortedKeys(transformArgs)); diff != "" {
		t.Errorf("transforms (-registry +schema):\n%s", diff)
	}
	customer := s["properties"].(map[string]any)["resources"].(map[string]any)["properties"].(map[string]any)["customer"].(map[string]any)
	inFields := customer["properties"].(map[string]any)["inbound"].(map[string]any)["properties"].(map[string]any)["fields"].(map[string]any)["properties"].(map[string]any)
	names := customerFieldNames()
	sort.Strings(names)
	if diff := cmp.Diff(names, sortedKeys(inFields)); diff != "" {
		t.Errorf("canonical fields (-canonical +schema):\n%s", diff)
	}
	// Every transform taking no argument rejects one, and vice versa.
	for name, arg := range transformArgs {
		_, err := Compile("m.yaml", []byte(fieldsYAML(fmt.Sprintf("a: {from: a, transform: [{%s: x}]}", name))), Options{})
		if arg == nil && (err == nil || !strings.Contains(err.Error(), "takes no argument")) {
			t.Errorf("%s: schema says no argument, compiler says %v", name, err)
		}
		if arg != nil && err != nil && strings.Contains(err.Error(), "takes no argument") {
			t.Errorf("%s: schema describes an argument the compiler rejects", name)
		}
	}
}

// Every mapping in the repo validates against the schema, and typical
// mistakes do not.
func TestSchemaValidatesMappings(t *testing.T) {
	s := schemaDoc(t)
	files, _ := filepath.Glob("../connectors/*/mapping.yaml")
	files = append(files, "testdata/shopify_mapping.yaml")
	if len(files) < 2 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(s, src); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	bad := map[string]string{
		"unknown rule key":     fieldsYAML("a: {from: x, tranform: [trim]}"),
		"unknown transform":    fieldsYAML("a: {from: x, transform: [lowercase]}"),
		"bad transform arg":    fieldsYAML("a: {from: x, transform: [{date: {fmt: x}}]}"),
		"not canonical":        "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        emial: email\n",
		"owns unknown":         "version: 1\nresources:\n  customer:\n    owns: [emial]\n",
		"bad version":          "version: 2\nresources: {}\n",
		"unknown resource key": "version: 1\nresources:\n  thing:\n    inbund: {}\n",
	}
	for name, src := range bad {
		if err := validateYAML(s, []byte(src)); err == nil {
			t.Errorf("%s: schema accepted\n%s", name, src)
		}
	}
}

func validateYAML(schema map[string]any, src []byte) error {
	var doc any
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return err
	}
	// YAML → JSON value model (map keys as strings).
	b, err := json.Marshal(jsonable(doc))
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return validate(schema, schema, v, "")
}

func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		out := map[string]any{}
		for k, e := range x {
			out[fmt.Sprint(k)] = jsonable(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
	}
	return v
}

// validate is the subset of draft-07 the generated schema uses.
func validate(root, s map[string]any, v any, at string) error {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		return validate(root, root["definitions"].(map[string]any)[name].(map[string]any), v, at)
	}
	if c, ok := s["const"]; ok && !reflect.DeepEqual(c, v) {
		return fmt.Errorf("%s: want %v", at, c)
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			found = found || reflect.DeepEqual(x, v)
		}
		if !found {
			return fmt.Errorf("%s: %v not in %v", at, v, e)
		}
	}
	for _, sub := range list(s["allOf"]) {
		if err := validate(root, sub.(map[string]any), v, at); err != nil {
			return err
		}
	}
	if anyOf := list(s["anyOf"]); anyOf != nil {
		var errs []string
		for _, sub := range anyOf {
			err := validate(root, sub.(map[string]any), v, at)
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err.Error())
		}
		if errs != nil {
			return fmt.Errorf("%s: no alternative fits: %s", at, strings.Join(errs, "; "))
		}
	}
	if ty, ok := s["type"]; ok && !typeFits(ty, v) {
		return fmt.Errorf("%s: want %v, got %T", at, ty, v)
	}
	switch x := v.(type) {
	case map[string]any:
		if n, ok := s["maxProperties"].(float64); ok && float64(len(x)) > n {
			return fmt.Errorf("%s: too many keys", at)
		}
		for _, r := range list(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				return fmt.Errorf("%s: missing %s", at, r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, e := range x {
			if ps, ok := props[k].(map[string]any); ok {
				if err := validate(root, ps, e, at+"."+k); err != nil {
					return err
				}
				continue
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					return fmt.Errorf("%s: unknown key %q", at, k)
				}
			case map[string]any:
				if err := validate(root, ap, e, at+"."+k); err != nil {
					return err
				}
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range x {
				if err := validate(root, items, e, fmt.Sprintf("%s[%d]", at, i)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func list(v any) []any { l, _ := v.([]any); return l }

func typeFits(ty, v any) bool {
	if l, ok := ty.([]any); ok {
		for _, t := range l {
			if typeFits(t, v) {
				return true
			}
		}
		return false
	}
	switch ty {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	}
	return true
}
