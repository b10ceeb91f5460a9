package mappings

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// A vendor with one name field (Odoo's partner name) holds the hub's
// first and last name joined by a space. Read back, the hub's split is
// kept whenever the vendor's value is still exactly that rendering, so
// "María José" / "García López" pushed as "María José García López" comes
// back as it was pushed. Only a name really changed at the vendor is split
// again: the last word is the last name, together with the particles
// before it ("Hans von der Heide" → Hans / von der Heide).
//
// The hub's current value reaches the mapping through InboundWith, and
// with it the doc last pushed to the record: a name read back after the
// hub changed both halves since our push still renders what we pushed,
// and keeps that split. Without either (a record never seen, or Inbound),
// the name is split afresh.

// nameParticles begin a compound last name.
var nameParticles = map[string]bool{
	"von": true, "vom": true, "zu": true, "zum": true, "zur": true, "van": true, "der": true, "den": true,
	"de": true, "del": true, "della": true, "di": true, "da": true, "dos": true, "das": true, "du": true,
	"la": true, "le": true, "ten": true, "ter": true, "y": true, "bin": true, "al": true,
}

// SplitName splits a one-field name into first and last name.
func SplitName(s string) (first, last string) {
	words := strings.Fields(s)
	if len(words) == 0 {
		return "", ""
	}
	i := len(words) - 1
	for i > 1 && nameParticles[strings.ToLower(words[i-1])] {
		i--
	}
	return strings.Join(words[:i], " "), strings.Join(words[i:], " ")
}

// JoinName is a first and last name as a one-field vendor holds them.
func JoinName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}

// nameT is a compiled name_part transform. The vendor's one name is
// rendered from the customer's first and last name, so those are what it
// is compared with, also where it fills an address's names.
type nameT struct {
	last bool // the last name (else the first)
}

func buildNamePart(c *compiler, arg *yaml.Node) (transformFunc, error) {
	n, err := c.nameT(arg)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) { return n.apply(v, nil) }, nil
}

func buildNamePartPrev(c *compiler, arg *yaml.Node) (prevFunc, error) {
	n, err := c.nameT(arg)
	if err != nil {
		return nil, err
	}
	return n.apply, nil
}

func (c *compiler) nameT(arg *yaml.Node) (nameT, error) {
	var n nameT
	part, _, err := scalarArg(arg)
	if err != nil {
		return n, err
	}
	switch part {
	case "first":
	case "last":
		n.last = true
	default:
		return n, fmt.Errorf("want first or last, got %q", part)
	}
	return n, nil
}

func (n nameT) apply(v any, prev []Doc) (any, error) {
	s, err := trimmedOf(v)
	if err != nil || s == "" {
		return s, err
	}
	first, last := splitAgainst(strings.Join(strings.Fields(s), " "), prev)
	if n.last {
		return last, nil
	}
	return first, nil
}

// splitAgainst splits a one-field name (words joined by single spaces)
// against the docs it is read against: the hub's current first and last
// name, then those last pushed to the record. Every result joins back to
// the name itself, so a name pushed from any split reads back as that
// split, and nothing grows from round to round.
//
//   - the name is the rendering of one of them (the hub's first): its
//     split. Our push read back after the hub changed both halves since
//     is the push's split, the echo of what we wrote, not a new name;
//   - it still ends with one's last name (only the first name was
//     changed, or the hub's first name changed after the name was
//     written): that last name, the rest is the first;
//   - it still begins with one's first name: that first name, the rest
//     is the last;
//   - else it is split afresh (SplitName).
//
// Without the last two, a two-word last name re-split at the last space
// asserts a new first and last name for a name nobody changed, and when
// the hub takes only one half, the next push renders a longer name whose
// split grows again ("Elif Brandt Brandt …").
func splitAgainst(name string, prevs []Doc) (first, last string) {
	type halves struct{ first, last string }
	known := make([]halves, 0, len(prevs))
	for _, prev := range prevs {
		hf, _ := prev["first_name"].(string)
		hl, _ := prev["last_name"].(string)
		h := halves{strings.Join(strings.Fields(hf), " "), strings.Join(strings.Fields(hl), " ")}
		if JoinName(h.first, h.last) == name {
			return h.first, h.last
		}
		known = append(known, h)
	}
	for _, h := range known {
		switch {
		case h.last != "" && strings.HasSuffix(name, " "+h.last):
			return strings.TrimSuffix(name, " "+h.last), h.last
		case h.first != "" && strings.HasPrefix(name, h.first+" "):
			return h.first, strings.TrimPrefix(name, h.first+" ")
		}
	}
	return SplitName(name)
}
