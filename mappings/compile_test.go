package mappings

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name  string
		src   string
		line  int
		field string
		msg   string
	}{
		{"yaml syntax", "version: 1\nresources: [\n", 2, "", "yaml"},
		{"empty", "", 0, "", "empty mapping file"},
		{"no version", "resources: {}\n", 1, "", "missing version"},
		{"bad version", "version: 2\nresources: {}\n", 1, "", "unsupported version"},
		{"unknown top key", "version: 1\nresourcez: {}\n", 2, "", `unknown top-level key "resourcez"`},
		{"unknown direction key", "version: 1\nresources:\n  thing:\n    inbund: {}\n", 4, "", `unknown key "inbund"`},
		{"unknown rule key", fieldsYAML("a:\n  from: x\n  tranform: [trim]"), 8, "a", `unknown rule key "tranform"`},
		{"unknown transform", fieldsYAML("a:\n  from: x\n  transform: [trim, lowercase]"), 8, "a", `unknown transform "lowercase"`},
		{"transform arg not allowed", fieldsYAML("a:\n  from: x\n  transform: [{trim: 1}]"), 8, "a", "takes no argument"},
		{"bad phone region", fieldsYAML("a:\n  from: x\n  transform: [{phone: XX}]"), 8, "a", `unknown region "XX"`},
		{"bad date format", fieldsYAML("a:\n  from: x\n  transform: [{date: {out: rfc3999}}]"), 8, "a", "unknown date format"},
		{"bad date zone", fieldsYAML("a:\n  from: x\n  transform: [{date: {zone: Mars/Base}}]"), 8, "a", "unknown zone"},
		{"bad date key", fieldsYAML("a:\n  from: x\n  transform: [{date: {fmt: date}}]"), 8, "a", `unknown key "fmt"`},
		{"map without table", fieldsYAML("a:\n  from: x\n  transform: [map]"), 8, "a", "want a table"},
		{"bad hash", fieldsYAML("a:\n  from: x\n  transform: [{hash: crc32}]"), 8, "a", "unknown algorithm"},
		{"default without arg", fieldsYAML("a:\n  from: x\n  transform: [default]"), 8, "a", "needs the default value"},
		{"bad expr", fieldsYAML("a:\n  expr: \"1 +\""), 7, "a", "expression"},
		{"bad when", fieldsYAML("a:\n  from: x\n  when: \"(\""), 8, "a", "expression"},
		{"bad pick", fieldsYAML("a:\n  from: x\n  pick: \"==\"\n  object: {b: c}"), 8, "a", "expression"},
		{"empty path segment", fieldsYAML("a:\n  from: x..y"), 7, "a", "empty segment"},
		{"no source", fieldsYAML("a:\n  required: true"), 7, "a", "rule needs one of"},
		{"const and from", fieldsYAML("a:\n  from: x\n  const: 1"), 7, "a", "const cannot be combined with from"},
		{"each without from", fieldsYAML("a:\n  each: {from: x}"), 7, "a", "each needs from"},
		{"required not bool", fieldsYAML("a:\n  from: x\n  required: yes"), 8, "a", "required"},
		{"nested unknown key", fieldsYAML("a:\n  object:\n    b:\n      frm: x"), 9, "a.b", `unknown rule key "frm"`},
		{"duplicate field", fieldsYAML("a: x\na: y"), 7, "", `duplicate key "a"`},
		{"bad skip_when", "version: 1\nresources:\n  thing:\n    inbound:\n      skip_when: \"a ==\"\n", 5, "skip_when", "expression"},
		{"not canonical", "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        emial: email\n", 6, "emial", "not a canonical customer field"},
		{"not an address key", "version: 1\nresources:\n  customer:\n    inbound:\n      fields:\n        billing_address:\n          object:\n            street1: a\n", 8, "billing_address.street1", "not a address key"},
		{"target conflict", "version: 1\nresources:\n  thing:\n    outbound:\n      fields:\n        a: x\n        a.b: y\n", 7, "a.b", "conflicts with a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile("mapping.yaml", []byte(tc.src), Options{})
			var me *Error
			if !errors.As(err, &me) {
				t.Fatalf("want *Error, got %T %v", err, err)
			}
			if me.File != "mapping.yaml" || me.Line != tc.line || me.Field != tc.field {
				t.Errorf("got %s:%d field %q, want line %d field %q (%v)", me.File, me.Line, me.Field, tc.line, tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not contain %q", err, tc.msg)
			}
			if tc.line > 0 && !strings.HasPrefix(err.Error(), "mapping.yaml:") {
				t.Errorf("error %q does not start with file:line", err)
			}
		})
	}
}

func TestCompileAliasBomb(t *testing.T) {
	src := "version: 1\nx0: &a0 [1,1,1,1,1,1,1,1,1,1]\n"
	for i := 1; i < 9; i++ {
		src += "x" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + ",*a" + string(rune('0'+i-1)) + "]\n"
	}
	src += "resources:\n  thing:\n    inbound:\n      fields:\n        a: {const: *a8}\n"
	if _, err := Compile("bomb.yaml", []byte(src), Options{}); err == nil {
		t.Fatal("want an error for an alias bomb")
	}
}

// The hand-written matchers must agree with the regexps they replace.
func TestMatchersAgreeWithRegexps(t *testing.T) {
	for _, s := range []string{"", "a@b.c", "a@b.", "a@.c", "@b.c", "a@@b.c", "a b@c.d", "a@b.c.d", "a\t@b.c", "ä@ö.ü", "a@b\v.c", "\xff@\xfe.\xfd", "a@b..", "a@.b.", "a@b.c\n"} {
		if got, want := isEmail(s), emailRe.MatchString(s); got != want {
			t.Errorf("isEmail(%q) = %v, regexp says %v", s, got, want)
		}
	}
	for _, s := range []string{"", "+1234567", "+12345678", "+0123456789", "+123456789012345", "+1234567890123456", "+49 30", "+4930123456\n", "4930123456", "+49301234a6"} {
		if got, want := isE164(s), e164Re.MatchString(s); got != want {
			t.Errorf("isE164(%q) = %v, regexp says %v", s, got, want)
		}
	}
}

func FuzzMatchers(f *testing.F) {
	f.Add("a@b.c")
	f.Add("+4930123456")
	f.Fuzz(func(t *testing.T, s string) {
		if isEmail(s) != emailRe.MatchString(s) {
			t.Errorf("isEmail(%q) disagrees", s)
		}
		if isE164(s) != e164Re.MatchString(s) {
			t.Errorf("isE164(%q) disagrees", s)
		}
	})
}

func TestIsAddressKey(t *testing.T) {
	for _, k := range AddressKeys {
		if !isAddressKey(k) {
			t.Errorf("%s", k)
		}
	}
	if isAddressKey("street1") || isAddressKey("") {
		t.Error("isAddressKey accepts unknown keys")
	}
}
