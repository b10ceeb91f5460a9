package logx

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"strings"

	"github.com/shophub/shophub/mappings"
)

// MaskingHandler keeps personal data out of logs, whatever the attribute's
// kind: strings, errors, fmt.Stringers, LogValuers, groups (nested), maps,
// slices and structs are all reduced to what they would print and masked.
// Emails keep their first letter and domain (j***@example.com), phones
// their last two digits, values under secret-like keys become "***", and
// JSON objects found in text (vendor bodies inside errors) keep their keys
// and lose the values of personal fields. A ReplaceAttr hook cannot do
// this: it never sees inside an error, a Stringer or a group's members
// before they are rendered.
type MaskingHandler struct {
	next slog.Handler
}

// NewMaskingHandler wraps next.
func NewMaskingHandler(next slog.Handler) *MaskingHandler {
	if m, ok := next.(*MaskingHandler); ok {
		return m
	}
	return &MaskingHandler{next: next}
}

// Enabled reports what next reports.
func (h *MaskingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

// Handle masks the message and every attribute, then hands the record on.
func (h *MaskingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, MaskText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(MaskAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs masks attrs once, when they are attached.
func (h *MaskingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = MaskAttr(a)
	}
	return &MaskingHandler{next: h.next.WithAttrs(masked)}
}

// WithGroup opens a group on next.
func (h *MaskingHandler) WithGroup(name string) slog.Handler {
	return &MaskingHandler{next: h.next.WithGroup(name)}
}

// MaskAttr returns a with every personal value in it masked.
func MaskAttr(a slog.Attr) slog.Attr {
	return maskAttr(a, 0)
}

// maxDepth bounds recursion through self-referencing LogValuers.
const maxDepth = 8

func maskAttr(a slog.Attr, depth int) slog.Attr {
	v := a.Value.Resolve()
	k := strings.ToLower(a.Key)
	if secretKey(k) {
		if v.Kind() == slog.KindGroup {
			return slog.String(a.Key, "***")
		}
		if v.Kind() == slog.KindString && v.String() == "" {
			return slog.String(a.Key, "")
		}
		return slog.String(a.Key, "***")
	}
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, maskByKey(k, v.String()))
	case slog.KindGroup:
		if depth >= maxDepth {
			return slog.String(a.Key, "{…}")
		}
		members := v.Group()
		out := make([]any, len(members))
		for i, m := range members {
			out[i] = maskAttr(m, depth+1)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		return slog.Attr{Key: a.Key, Value: maskAny(k, v.Any(), depth)}
	}
	// Numbers, bools, times and durations carry no contact data.
	return slog.Attr{Key: a.Key, Value: v}
}

// maskAny renders a value of any kind as it would print and masks that.
func maskAny(key string, x any, depth int) slog.Value {
	switch t := x.(type) {
	case nil:
		return slog.AnyValue(nil)
	case error:
		return slog.StringValue(maskByKey(key, t.Error()))
	case fmt.Stringer:
		return slog.StringValue(maskByKey(key, t.String()))
	case []byte:
		return slog.StringValue(maskByKey(key, string(t)))
	case json.RawMessage:
		return slog.StringValue(maskByKey(key, string(t)))
	}
	switch reflect.ValueOf(x).Kind() {
	case reflect.Map, reflect.Slice, reflect.Array, reflect.Struct, reflect.Pointer, reflect.Interface:
		b, err := json.Marshal(x)
		if err != nil {
			return slog.StringValue(maskByKey(key, fmt.Sprintf("%+v", x)))
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var doc any
		if dec.Decode(&doc) != nil {
			return slog.StringValue(maskByKey(key, string(b)))
		}
		return slog.AnyValue(maskJSON(key, doc, depth))
	case reflect.String:
		return slog.StringValue(maskByKey(key, fmt.Sprint(x)))
	}
	return slog.AnyValue(x)
}

// maskJSON masks decoded JSON: strings under personal keys wholesale,
// every other string as free text. Below an "errors" key the keys name
// the fields a vendor refused, not the person's data: the messages stay
// readable and only emails and phones in them are masked.
func maskJSON(key string, v any, depth int) any {
	switch t := v.(type) {
	case string:
		if key != errorsKey && personalKey(key) {
			return maskPersonal(key, t)
		}
		return MaskText(t)
	case map[string]any:
		if depth >= maxDepth {
			return "{…}"
		}
		for k, e := range t {
			lk := strings.ToLower(k)
			if secretKey(lk) {
				t[k] = "***"
				continue
			}
			switch {
			case key == errorsKey, lk == "errors", lk == "error", lk == "message", lk == "messages":
				t[k] = maskJSON(errorsKey, e, depth+1)
			default:
				t[k] = maskJSON(lk, e, depth+1)
			}
		}
		return t
	case []any:
		if depth >= maxDepth {
			return "[…]"
		}
		for i, e := range t {
			t[i] = maskJSON(key, e, depth+1)
		}
		return t
	case json.Number:
		// A phone held as a number; ids and amounts stay.
		if key != errorsKey && personalKey(key) {
			return "***"
		}
	}
	return v
}

// errorsKey marks JSON below a vendor's error list.
const errorsKey = "\x00errors"

// maskByKey masks a string attribute: wholesale when its key names
// personal data, else as free text.
func maskByKey(key, s string) string {
	if s != "" && personalKey(key) {
		return maskPersonal(key, s)
	}
	return MaskText(s)
}

func maskPersonal(key, s string) string {
	switch {
	case s == "":
		return s
	case strings.Contains(s, "@") && strings.Contains(key, "mail"):
		return maskEmail(strings.TrimSpace(s))
	case strings.Contains(key, "phone") || strings.Contains(key, "mobile") || strings.Contains(key, "fon") || strings.Contains(key, "fax"):
		return maskPhone(s)
	}
	return "***"
}

func secretKey(k string) bool {
	for _, w := range []string{"secret", "token", "password", "passwd", "authorization", "api_key", "apikey", "cookie"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// personalKey: keys under which vendors and the canonical model keep a
// person's contact data. Deliberately broad ("name" also hits
// "company_name"): a masked harmless value costs less than a leaked one.
// Ids, times and statuses do not match, so log lines stay traceable.
func personalKey(k string) bool {
	if k == "" || strings.HasSuffix(k, "id") || strings.HasSuffix(k, "ids") {
		return false
	}
	for _, w := range []string{"mail", "phone", "mobile", "fon", "fax", "name", "street", "address", "city", "zip",
		"postcode", "postal", "birth", "company", "iban", "salutation"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

var (
	// emailRe takes letters and digits of any script, as the canonical
	// email check does (an internationalised address is still one).
	emailRe = regexp.MustCompile(`[\p{L}\p{N}._%+\-!#$&'*/=?^{|}~]+@[\p{L}\p{N}\-]+(?:\.[\p{L}\p{N}\-]+)+`)
	// phoneRe finds number-like runs of digits and phone punctuation;
	// looksLikePhoneText decides which of them are phones.
	phoneRe = regexp.MustCompile(`\+?\(?\d[\d ()./\-]{5,}\d`)
	isoDate = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}`)
	// A JSON key naming a phone, with its string value: `"phone": "…"`.
	phoneKV = regexp.MustCompile(`(?i)("[a-z_]*(?:phone|mobile|fon|fax)[a-z_]*"\s*:\s*)("(?:[^"\\]|\\.)*"|[\d.]+)`)
)

// MaskText masks emails and phone numbers in free text, and the personal
// fields of JSON objects embedded in it (a vendor's error body).
func MaskText(s string) string {
	if s == "" {
		return s
	}
	if strings.IndexByte(s, '{') >= 0 {
		s = maskEmbeddedJSON(s)
	}
	if strings.IndexByte(s, '@') >= 0 {
		s = emailRe.ReplaceAllStringFunc(s, maskEmail)
	}
	s = phoneKV.ReplaceAllString(s, `${1}"***"`)
	return maskPhones(s)
}

// maskPhones masks the phone numbers in s. A run glued to a letter or an
// underscore ("Test2615201/001", "v1.2") is part of a word, an id or a
// path, not a number someone dialled.
func maskPhones(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range phoneRe.FindAllStringIndex(s, -1) {
		m := s[loc[0]:loc[1]]
		if !looksLikePhoneText(m) || gluedToWord(s, loc[0], loc[1]) {
			continue
		}
		b.WriteString(s[last:loc[0]])
		b.WriteString(maskPhone(m))
		last = loc[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func gluedToWord(s string, start, end int) bool {
	word := func(c byte) bool {
		return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
	}
	return start > 0 && word(s[start-1]) || end < len(s) && word(s[end])
}

// looksLikePhoneText tells a phone number in free text from ids, dates,
// amounts and versions: 7 to 15 digits (E.164's range) that either start
// with "+" or a national "0", or are split into groups by phone
// punctuation; an ISO date or a decimal number is not one.
func looksLikePhoneText(m string) bool {
	m = strings.TrimRight(m, " ./-(")
	digits, groups := 0, 1
	prevDigit := false
	for _, r := range m {
		isDigit := r >= '0' && r <= '9'
		if isDigit {
			digits++
			if !prevDigit && digits > 1 {
				groups++
			}
		}
		prevDigit = isDigit
	}
	if digits < 7 || digits > 15 || isoDate.MatchString(m) {
		return false
	}
	switch {
	case strings.HasPrefix(m, "+"), strings.HasPrefix(m, "0"), strings.HasPrefix(m, "("):
		return true
	}
	if groups < 2 {
		return false // a bare run of digits: a vendor id, not a phone
	}
	// 1.2.3 versions and 12.50 amounts have dots only; a phone's groups
	// are split by spaces, dashes, slashes or parentheses.
	return strings.ContainsAny(m, " -/()")
}

// Emails keep their first letter and domain, phones their last two
// digits: enough to tell two log lines apart, not to contact anyone.
func maskEmail(s string) string { return mappings.MaskEmail(s) }

func maskPhone(s string) string { return mappings.MaskPhone(strings.TrimSpace(s)) }

// maskEmbeddedJSON masks every JSON object or array found in s, keeping
// the text around it.
func maskEmbeddedJSON(s string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.IndexAny(rest, "{[")
		if i < 0 {
			b.WriteString(rest)
			return b.String()
		}
		b.WriteString(rest[:i])
		dec := json.NewDecoder(strings.NewReader(rest[i:]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			b.WriteByte(rest[i])
			rest = rest[i+1:]
			continue
		}
		n := int(dec.InputOffset())
		masked := maskJSON("", v, 0)
		var out bytes.Buffer
		enc := json.NewEncoder(&out)
		enc.SetEscapeHTML(false)
		if enc.Encode(masked) != nil {
			b.WriteString("{…}")
		} else {
			b.Write(bytes.TrimRight(out.Bytes(), "\n"))
		}
		rest = rest[i+n:]
	}
}
