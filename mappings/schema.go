package mappings

//go:generate go run ./internal/genschema

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
)

// The types below describe a mapping file for the JSON Schema only: the
// compiler reads YAML nodes itself, to report file:line. Schema() turns
// them into a schema by reflection (json tag = key, doc tag = description,
// enum tag = allowed values, separated by |), adding what the registries know: transform
// names and arguments, canonical fields. TestSchemaMatchesCompiler keeps
// the types and the compiler in step; TestSchemaFileUpToDate keeps
// mapping.schema.json equal to Schema().

// FileSpec is a mapping file.
type FileSpec struct {
	Version   int                       `json:"version" doc:"Grammar version; always 1." required:"true"`
	Tables    map[string]map[string]any `json:"tables" doc:"Lookup tables {name: {from: to}}, used by {lookup: name} and {map: {table: name}}."`
	Resources map[string]ResourceSpec   `json:"resources" doc:"Resource name (customer, …) → its mapping." required:"true"`
}

// ResourceSpec is one resource section.
type ResourceSpec struct {
	Inbound     *DirectionSpec `json:"inbound" doc:"Vendor record → canonical doc; field keys are canonical fields."`
	Outbound    *DirectionSpec `json:"outbound" doc:"Canonical doc → vendor payload; field keys are dotted target paths."`
	Owns        []string       `json:"owns" doc:"Canonical fields only this connector may change in the hub (read by the merge policy through Mapping.Owns)."`
	NeverWrites []string       `json:"never_writes" doc:"Vendor target paths or canonical fields outbound must never render."`
	Coverage    *CoverageSpec  `json:"coverage" doc:"Overrides of the coverage derived from the rules (Mapping.Coverage): which canonical fields and address sub-fields this connector holds."`
}

// CoverageSpec declares coverage the rules cannot show.
type CoverageSpec struct {
	Holds   []string `json:"holds" doc:"Canonical fields or address sub-fields (billing_address.phone) inbound reads that the vendor holds apart, though outbound renders them in a way the derivation cannot see (say, an expression): their values count like any edit."`
	NotHeld []string `json:"not_held" doc:"Canonical fields or address sub-fields inbound reads that the vendor cannot hold apart from another field: their values only fill a gap in the hub, never overwrite."`
}

// DirectionSpec is an inbound or outbound section.
type DirectionSpec struct {
	SkipWhen string               `json:"skip_when" doc:"Expression over the whole record (inbound) or canonical doc (outbound); true skips it (ErrSkip)."`
	Fields   map[string]*RuleSpec `json:"fields" doc:"Field → rule."`
}

// RuleSpec is a rule; a plain string is shorthand for {from: path}.
type RuleSpec struct {
	From      PathsSpec            `json:"from" doc:"Source path a.b.0.c, or a list of paths: the first present, non-empty one wins."`
	Const     any                  `json:"const" doc:"A constant value."`
	Expr      string               `json:"expr" doc:"expr-lang expression: record keys, source, value, settings."`
	Default   any                  `json:"default" doc:"Used when the value is absent, null or \"\"; goes through the transforms."`
	Required  bool                 `json:"required" doc:"Absent after everything → mapping error."`
	When      string               `json:"when" doc:"Condition (same variables as expr); false omits the field."`
	Transform TransformList        `json:"transform" doc:"Pipeline of transforms, applied in order."`
	Object    map[string]*RuleSpec `json:"object" doc:"Builds an object; nested from paths are relative to what from selected."`
	Each      *RuleSpec            `json:"each" doc:"With from selecting a list: maps each item."`
	Pick      string               `json:"pick" doc:"With from selecting a list: first, or an expression over the item's keys."`
	List      []*RuleSpec          `json:"list" doc:"Builds a list from several rules, dropping absent results."`
}

// PathsSpec is one path or a list of them.
type PathsSpec []string

// TransformList is a transform or a list of them.
type TransformList []any

// Argument types of the transforms with structured arguments.
type (
	dateArg struct {
		In   string `json:"in" doc:"rfc3339, date, datetime, epoch, epoch_ms or a Go layout; detected when absent."`
		Out  string `json:"out" doc:"rfc3339 (default), date, datetime, epoch, epoch_ms or a Go layout."`
		Zone string `json:"zone" doc:"IANA zone of zone-less inputs and of the output (default UTC)."`
	}
	lookupArg struct {
		Table   string `json:"table" doc:"Name of a table in the tables section." required:"true"`
		Default any    `json:"default" doc:"Result for values the table lacks (else an error)."`
		Reverse bool   `json:"reverse" doc:"Map values back to keys (the table's values must be unique)."`
	}
	genderArg struct {
		To    string         `json:"to" doc:"Vocabulary to render: canonical (default), de, en, or one a connector registers (connectors/README.md lists them)."`
		Table map[string]any `json:"table" doc:"Inbound: extra {word: canonical}; with to: {canonical: word} overrides."`
	}
	moneyArg struct {
		Currency   string `json:"currency" doc:"ISO 4217 code for amounts written without one."`
		Decimal    string `json:"decimal" doc:"Decimal separator of text input; decided from the text when absent." enum:".|,"`
		Scale      int    `json:"scale" doc:"Round half away from zero to this many fraction digits (0…8); minor units use it (default 2)."`
		In         string `json:"in" doc:"auto (text, number or object) or minor (whole minor units such as cents)." enum:"auto|minor"`
		Out        string `json:"out" doc:"object {amount, currency} (default), amount (decimal string), number, minor, text." enum:"object|amount|number|minor|text"`
		OutDecimal string `json:"out_decimal" doc:"Decimal separator of out: text (default .)." enum:".|,"`
		Thousands  string `json:"thousands" doc:"Grouping character of out: text (default none)."`
	}
)

// transformArgs describes each transform's argument: nil = none, a Go
// value = its type (reflected), a map = a ready schema.
var transformArgs = map[string]any{
	"trim": nil, "lower": nil, "upper": nil, "title": nil, "collapse_spaces": nil,
	"email": nil, "country": nil, "bool": nil, "string": nil, "number": nil,
	"phone":          map[string]any{"type": "string", "description": "Default region (ISO 3166-1 alpha-2), e.g. DE."},
	"phone_national": map[string]any{"type": "string", "description": "Region (ISO 3166-1 alpha-2)."},
	"date":           map[string]any{"anyOf": []any{map[string]any{"type": "string", "description": "The out format."}, reflectSchema(reflect.TypeFor[dateArg]())}},
	"split":          map[string]any{"type": "string", "description": "Separator (default ,)."},
	"join":           map[string]any{"type": "string", "description": "Separator (default \", \")."},
	"drop_prefix":    map[string]any{"type": "string", "description": "Items of a list starting with this prefix are left out."},
	"map": map[string]any{"type": "object", "description": "A plain table {from: to}, or {table: {…} or <name>, default: x}.",
		"properties": map[string]any{"table": map[string]any{"type": []any{"object", "string"}}, "default": map[string]any{}}},
	"lookup":  map[string]any{"anyOf": []any{map[string]any{"type": "string", "description": "Name of a table in the tables section."}, reflectSchema(reflect.TypeFor[lookupArg]())}},
	"gender":  map[string]any{"anyOf": []any{map[string]any{"type": "string", "description": "canonical, de, en, or a vocabulary a connector registers (connectors/README.md lists them)."}, reflectSchema(reflect.TypeFor[genderArg]())}},
	"money":   reflect.TypeFor[moneyArg](),
	"default": map[string]any{"description": "The default value."},
	"hash":    map[string]any{"type": "string", "enum": []any{"sha256", "sha512", "sha1", "md5"}},
	"name_part": map[string]any{"type": "string", "enum": []any{"first", "last"},
		"description": "First or last name of a one-field name (Odoo's name): the hub's split while the value equals first + ' ' + last of the hub, else the last word with the particles before it is the last name."},
	"street_part": map[string]any{"type": "string", "enum": []any{"street", "number"},
		"description": "A street line's street or house number, for vendors that keep them apart: Hauptstraße 5 a → Hauptstraße / 5 a."},
	"subdivision": map[string]any{"type": "string", "enum": []any{"iso", "code", "name"},
		"description": "iso (default): a vendor's region code or name in the address's country → ISO 3166-2 (DE-HH); code: ISO 3166-2 → the part after the dash (HH); name: → the subdivision's name."},
}

// Schema returns the JSON Schema (draft-07) of mapping files, indented and
// ending in a newline: what `go generate` writes to mapping.schema.json.
func Schema() []byte {
	rule := reflectSchema(reflect.TypeFor[RuleSpec]())
	props := rule["properties"].(map[string]any)
	props["from"] = map[string]any{
		"description": props["from"].(map[string]any)["description"],
		"anyOf": []any{map[string]any{"type": "string"},
			map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "minItems": 1}},
	}
	props["transform"] = map[string]any{
		"description": props["transform"].(map[string]any)["description"],
		"anyOf": []any{map[string]any{"$ref": "#/definitions/transform"},
			map[string]any{"type": "array", "items": map[string]any{"$ref": "#/definitions/transform"}}},
	}
	props["pick"].(map[string]any)["examples"] = []any{"first", "default == true"}
	ruleOrPath := map[string]any{"anyOf": []any{
		map[string]any{"type": "string", "description": "Shorthand for {from: path}."},
		map[string]any{"$ref": "#/definitions/ruleObject"},
	}}

	names := sortedKeys(transformArgs)
	withArg := map[string]any{}
	for _, n := range names {
		switch a := transformArgs[n].(type) {
		case nil:
		case reflect.Type:
			withArg[n] = reflectSchema(a)
		default:
			withArg[n] = a
		}
	}
	transform := map[string]any{"anyOf": []any{
		map[string]any{"type": "string", "enum": toAny(names), "description": "A transform without argument."},
		map[string]any{"type": "object", "description": "A transform with its argument: {name: arg}.",
			"minProperties": 1, "maxProperties": 1, "additionalProperties": false, "properties": withArg},
	}}

	canonicalOf := func(fields []Field) map[string]any {
		out := map[string]any{}
		for _, f := range fields {
			d := map[string]any{"$ref": "#/definitions/rule"}
			desc := string(f.Kind)
			if f.Doc != "" {
				desc += ": " + f.Doc
			}
			if len(f.Enum) > 0 {
				desc += " (" + strings.Join(f.Enum, ", ") + ")"
			}
			out[f.Name] = map[string]any{"allOf": []any{d}, "description": desc}
		}
		return out
	}
	fieldNames := customerFieldNames()

	direction := func(fields map[string]any) map[string]any {
		d := reflectSchema(reflect.TypeFor[DirectionSpec]())
		d["properties"].(map[string]any)["fields"] = fields
		return d
	}
	anyFields := map[string]any{"type": "object", "description": "Field → rule.", "additionalProperties": map[string]any{"$ref": "#/definitions/rule"}}
	resource := func(inbound map[string]any, fieldEnum []string) map[string]any {
		r := reflectSchema(reflect.TypeFor[ResourceSpec]())
		p := r["properties"].(map[string]any)
		p["inbound"] = direction(inbound)
		p["outbound"] = direction(anyFields)
		if fieldEnum != nil {
			p["owns"].(map[string]any)["items"] = map[string]any{"type": "string", "enum": toAny(fieldEnum)}
		}
		return r
	}
	customerFields := map[string]any{"type": "object", "description": "Canonical customer field → rule.",
		"properties": canonicalOf(CustomerFields), "additionalProperties": false}
	ticketFields := map[string]any{"type": "object", "description": "Canonical ticket field → rule.",
		"properties": canonicalOf(TicketFields), "additionalProperties": false}
	orderFields := map[string]any{"type": "object", "description": "Canonical order field → rule.",
		"properties": canonicalOf(OrderFields), "additionalProperties": false}
	cartFields := map[string]any{"type": "object", "description": "Canonical cart field → rule.",
		"properties": canonicalOf(CartFields), "additionalProperties": false}

	file := reflectSchema(reflect.TypeFor[FileSpec]())
	fp := file["properties"].(map[string]any)
	fp["version"] = map[string]any{"const": 1, "description": fp["version"].(map[string]any)["description"]}
	fp["resources"] = map[string]any{
		"type": "object", "description": fp["resources"].(map[string]any)["description"],
		"properties": map[string]any{"customer": resource(customerFields, fieldNames),
			"ticket": resource(ticketFields, nil), "order": resource(orderFields, nil),
			"cart": resource(cartFields, nil)},
		"additionalProperties": resource(anyFields, nil),
	}
	fp["tables"].(map[string]any)["additionalProperties"] = map[string]any{"type": "object"}
	file["$schema"] = "http://json-schema.org/draft-07/schema#"
	file["$id"] = "https://github.com/shophub/shophub/mappings/mapping.schema.json"
	file["title"] = "shophub mapping file"
	file["definitions"] = map[string]any{
		"rule":       ruleOrPath,
		"ruleObject": rule,
		"transform":  transform,
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(file); err != nil {
		panic(err) // only maps, slices and strings: cannot fail
	}
	return buf.Bytes()
}

// reflectSchema maps a Go type to a schema: structs to closed objects,
// maps to objects, slices to arrays, *RuleSpec to the rule definition.
func reflectSchema(t reflect.Type) map[string]any {
	if t == reflect.TypeFor[*RuleSpec]() {
		return map[string]any{"$ref": "#/definitions/rule"}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Interface:
		return map[string]any{}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": reflectSchema(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": reflectSchema(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			s := reflectSchema(f.Type)
			if ref, ok := s["$ref"]; ok {
				s = map[string]any{"allOf": []any{map[string]any{"$ref": ref}}}
			}
			if d := f.Tag.Get("doc"); d != "" {
				s["description"] = d
			}
			if e := f.Tag.Get("enum"); e != "" {
				s["enum"] = toAny(strings.Split(e, "|"))
			}
			if f.Tag.Get("required") == "true" {
				required = append(required, name)
			}
			props[name] = s
		}
		out := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if required != nil {
			sort.Strings(required)
			out["required"] = toAny(required)
		}
		return out
	}
	panic("reflectSchema: unsupported " + t.String())
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
