package mappings

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/expr-lang/expr/vm"
)

// ErrSkip is returned (wrapped) by Inbound and Outbound when the direction's
// skip_when expression is true: the record is deliberately not mapped.
var ErrSkip = errors.New("record skipped by skip_when")

// Options are the per-connector-instance inputs of a mapping.
type Options struct {
	// Settings is the connector instance's settings map, visible to
	// expressions as `settings`.
	Settings map[string]any
	// DefaultRegion is the ISO-2 region used by the phone transforms when the
	// number has no international prefix and neither its address's country,
	// the rule nor Region gives one (the hub's default_region).
	DefaultRegion string
	// Region is the connector instance's region: it wins over DefaultRegion.
	Region string
}

// Mapping is a compiled mapping file. It is immutable and safe for
// concurrent use.
type Mapping struct {
	file      string
	resources map[string]*resource
	names     []string
	settings  map[string]any
	states    sync.Pool // *state, so records reuse the expression VM and env
}

type resource struct {
	name     string
	inbound  *direction
	outbound *direction
	fields   []string // canonical fields inbound produces, sorted
	owns     []string // canonical fields only this connector may change, sorted
	never    []string // never_writes: target paths or canonical fields, sorted
	coverage *Coverage
}

type direction struct {
	skipWhen *program
	fields   []*rule
	// readsHub: an outbound rule reads hub knowledge (hub_knowledge.go).
	readsHub bool
	owned    []bool // per field: its value is always an object built per record
	// canon is, for inbound customer rules, the canonical field of each
	// rule (parallel to fields): Inbound normalizes each value as it is
	// produced instead of walking the finished doc again.
	canon []Field
	// never holds the never_writes targets of an outbound direction.
	never []string
	// usesPrev: a rule reads the hub's current doc (InboundWith).
	usesPrev bool
}

// state is the scratch space of one Inbound/Outbound call.
type state struct {
	vm  vm.VM
	env map[string]any
	fe  fastEnv
	// region is the country of the address (or, for the customer's own
	// phone, of the customer) being mapped: phones parse in it.
	region string
	// prev holds the docs the record is read against (InboundWith): the
	// hub's current doc, then what was last pushed to the record.
	prev []Doc
}

// Error is a mapping error: at compile time it names the rule that is wrong,
// at run time additionally the source path and the (masked) offending value.
type Error struct {
	File  string
	Line  int
	Field string
	Path  string
	Value string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString("field ")
		b.WriteString(e.Field)
		if e.Path != "" || e.Value != "" {
			b.WriteString(" (")
			if e.Path != "" {
				b.WriteString("from ")
				b.WriteString(e.Path)
			}
			if e.Value != "" {
				if e.Path != "" {
					b.WriteString(" ")
				}
				b.WriteString("= ")
				b.WriteString(e.Value)
			}
			b.WriteString(")")
		}
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// File is the file name the mapping was compiled from.
func (m *Mapping) File() string { return m.file }

// Resources returns the resources the file maps, sorted.
func (m *Mapping) Resources() []string { return append([]string(nil), m.names...) }

// Fields returns the canonical fields the inbound direction of resource
// produces, sorted.
func (m *Mapping) Fields(resource string) []string {
	r := m.resources[resource]
	if r == nil {
		return nil
	}
	return append([]string(nil), r.fields...)
}

// UsesPrevious reports whether the inbound rules of resource read the
// hub's current doc (see InboundWith).
func (m *Mapping) UsesPrevious(resource string) bool {
	r := m.resources[resource]
	return r != nil && r.inbound != nil && r.inbound.usesPrev
}

// HasInbound reports whether the file maps resource from the vendor.
func (m *Mapping) HasInbound(resource string) bool {
	r := m.resources[resource]
	return r != nil && r.inbound != nil
}

// HasOutbound reports whether the file maps resource to the vendor.
func (m *Mapping) HasOutbound(resource string) bool {
	r := m.resources[resource]
	return r != nil && r.outbound != nil
}

func (m *Mapping) getState() *state {
	if s, ok := m.states.Get().(*state); ok {
		return s
	}
	return &state{env: make(map[string]any, 8)}
}

// Inbound maps a vendor record to a canonical doc. For resource "customer"
// the doc is normalized and validated by NormalizeCustomer.
func (m *Mapping) Inbound(resource string, record map[string]any) (Doc, error) {
	return m.InboundWith(resource, record, nil)
}

// InboundWith is Inbound for a record whose current canonical doc in the
// hub is prev[0] (nil: unknown), and whose last push held prev[1] (the
// canonical doc last pushed to it, when known). Rules that split one
// vendor field into several canonical ones (name_part) keep the split of
// the first of them whose rendering the vendor's value still equals: the
// hub's, or, when the hub changed since, the one our push wrote; only a
// real change is split again. UsesPrevious says whether a resource has
// such rules, so callers read prev only then.
func (m *Mapping) InboundWith(resource string, record map[string]any, prev ...Doc) (Doc, error) {
	r := m.resources[resource]
	if r == nil || r.inbound == nil {
		return nil, &Error{File: m.file, Err: fmt.Errorf("no inbound mapping for resource %q", resource)}
	}
	st := m.getState()
	defer m.states.Put(st)
	st.prev = st.prev[:0]
	for _, d := range prev {
		if d != nil {
			st.prev = append(st.prev, d)
		}
	}
	defer func() { clear(st.prev); st.prev = st.prev[:0] }()
	d := r.inbound
	if d.skipWhen != nil {
		skip, err := m.runBool(st, d.skipWhen, record, nil, false)
		if err != nil {
			return nil, &Error{File: m.file, Line: d.skipWhen.line, Field: "skip_when", Err: err}
		}
		if skip {
			return nil, &Error{File: m.file, Line: d.skipWhen.line, Field: "skip_when", Err: ErrSkip}
		}
	}
	doc := make(Doc, len(d.fields))
	var src any = record
	st.region = ""
	for i, f := range d.fields {
		if d.canon != nil && d.canon[i].Kind == KindPhone {
			// Address fields are compiled first: a customer's phone
			// parses in the country of their address.
			st.region = docRegion(doc)
		}
		v, ok, err := m.eval(st, f, src)
		st.region = ""
		if err != nil {
			if _, isVE := err.(*ValidationError); isVE {
				return nil, m.wrapValidation(d, err) // from an address object
			}
			return nil, err
		}
		if !ok {
			continue
		}
		if d.canon != nil {
			// NormalizeCustomer, one field at a time: the value is ours
			// (owned objects are normalized in place; addresses built by
			// object already are).
			if _, done := v.(map[string]any); !done || !f.address {
				if v, err = normalizeValue(d.canon[i], v, d.owned[i]); err != nil {
					return nil, m.wrapValidation(d, err)
				}
			}
		}
		doc[f.name] = v
	}
	return doc, nil
}

// wrapValidation points a NormalizeCustomer error at the rule that produced
// the field.
func (m *Mapping) wrapValidation(d *direction, err error) error {
	e := &Error{File: m.file, Err: err}
	var ve *ValidationError
	if errors.As(err, &ve) {
		e.Field = ve.Field
		top, sub, nested := strings.Cut(ve.Field, ".")
		for _, f := range d.fields {
			if f.name != top {
				continue
			}
			e.Line, e.Path = f.line, f.pathText()
			if !nested {
				break
			}
			for _, o := range f.object {
				if o.name == sub {
					e.Line, e.Path = o.line, joinPath(e.Path, o.pathText())
				}
			}
			break
		}
	}
	return e
}

// Outbound maps a canonical doc to a vendor payload. Target paths are
// dotted and create nested objects; an absent canonical field leaves its
// target out.
func (m *Mapping) Outbound(resource string, doc Doc) (map[string]any, error) {
	r := m.resources[resource]
	if r == nil || r.outbound == nil {
		return nil, &Error{File: m.file, Err: fmt.Errorf("no outbound mapping for resource %q", resource)}
	}
	st := m.getState()
	defer m.states.Put(st)
	d := r.outbound
	st.region = ""
	src := map[string]any(vendorPhones(doc))
	if d.skipWhen != nil {
		skip, err := m.runBool(st, d.skipWhen, src, nil, false)
		if err != nil {
			return nil, &Error{File: m.file, Line: d.skipWhen.line, Field: "skip_when", Err: err}
		}
		if skip {
			return nil, &Error{File: m.file, Line: d.skipWhen.line, Field: "skip_when", Err: ErrSkip}
		}
	}
	out := make(map[string]any, len(d.fields))
	for _, f := range d.fields {
		v, ok, err := m.eval(st, f, src)
		if err != nil {
			return nil, err
		}
		if ok {
			setPath(out, f.target, v)
		}
	}
	if len(d.never) > 0 {
		dropPaths(out, d.never)
	}
	return out, nil
}

// setPath stores v at a dotted target path, creating nested objects.
// Compile rejects target paths that are prefixes of each other, so an
// intermediate is always an object this function created.
func setPath(out map[string]any, path []string, v any) {
	cur := out
	for _, k := range path[:len(path)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	cur[path[len(path)-1]] = v
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
