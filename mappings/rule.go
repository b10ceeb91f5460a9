package mappings

// rule is one compiled field rule (or a nested one under object/each/list).
type rule struct {
	line   int
	name   string   // top-level: canonical field or target path; nested: key
	field  string   // full field name for errors: billing_address.city
	target []string // outbound: split target path

	from       []srcPath
	hasConst   bool
	constVal   any
	expr       *program
	when       *program
	hasDefault bool
	def        any
	required   bool
	steps      []step
	object     []*rule
	each       *rule
	pick       *picker
	list       []*rule
	self       bool // direct each rule without its own source: the item is the value
	plain      bool // only `from` with one path: eval takes a short cut
	address    bool // inbound canonical address built by object: buildObject normalizes each key
	setsRegion bool // the country key of an inbound canonical address: its phone parses in it
}

type picker struct {
	first bool
	cond  *program
}

// step is one compiled transform of a pipeline.
type step struct {
	name string
	fn   transformFunc
	// withRegion, when set, runs instead of fn while the record being
	// mapped names a region (the phone transforms).
	withRegion regionFunc
	// withPrev, when set, runs instead of fn while the hub's current doc
	// of the record is known (InboundWith): the name split.
	withPrev prevFunc
}

// prevFunc is a transform that depends on the docs a record is read
// against (state.prev).
type prevFunc func(v any, prev []Doc) (any, error)

// regionFunc is a transform that depends on the record's region.
type regionFunc func(v any, region string) (any, error)

// transformFunc transforms a present value. Arguments were parsed when the
// mapping was compiled.
type transformFunc func(v any) (any, error)

func (r *rule) structural() bool {
	return r.object != nil || r.each != nil || r.pick != nil || r.list != nil
}

func (r *rule) pathText() string {
	if len(r.from) == 0 {
		return ""
	}
	return r.from[0].text
}
