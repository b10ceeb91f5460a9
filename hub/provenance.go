package hub

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A customer's provenance, as stored in customers.provenance.
//
// The JSON form, one object per path ({"email":{"instance":"shopify",
// "at":"2026-12-02T09:50:36.123456Z"},…}), repeats the instance and an
// RFC 3339 time for every path, though a customer's paths mostly share
// both (a creation sets them all from one record): about twice the
// customer's data in bytes, and a time to format and parse per path on
// every merge. The compact form groups the paths by what they share:
//
//	~shopify@<time>:email,first_name,last_name;erp!@<time>:phone
//
// one group per (instance, time, trust), "!" after an instance marking
// an unverified record's, each time the instant's Unix nanoseconds in base
// 36 (empty for the zero time), the paths in order. Groups are ordered by
// instance, time and trust. Rows written before keep the JSON form and are
// read as before (decodeProvenance tells them apart by the first byte); a
// merge writes the compact form, so a customer converts when it next
// changes. What the compact form cannot carry (an instance or path with a
// separator in it, a time outside what nanoseconds since 1970 in an int64
// can say) is written as JSON, as before.

const compactProvenance = '~'

// encodeProvenance is the stored form of a customer's provenance.
func encodeProvenance(prov map[string]Provenance) string {
	if s, ok := compactProvenanceOf(prov); ok {
		return s
	}
	return mustJSON(prov)
}

// decodeProvenance reads either stored form ("" is no provenance).
func decodeProvenance(s string) (map[string]Provenance, error) {
	if s == "" {
		return map[string]Provenance{}, nil
	}
	if s[0] != compactProvenance {
		prov := map[string]Provenance{}
		if err := json.Unmarshal([]byte(s), &prov); err != nil {
			return nil, err
		}
		return prov, nil
	}
	return parseCompactProvenance(s[1:])
}

type provGroup struct {
	p     Provenance
	nanos int64
	paths []string
}

func compactProvenanceOf(prov map[string]Provenance) (string, bool) {
	groups := make([]*provGroup, 0, 2)
	size := 1
	for path, p := range prov {
		if !compactToken(path) || path == "" || !compactToken(p.Instance) {
			return "", false
		}
		var n int64
		if !p.At.IsZero() {
			var ok bool
			if n, ok = unixNanos(p.At); !ok {
				return "", false
			}
		}
		var g *provGroup
		for _, o := range groups {
			if o.nanos == n && o.p.Instance == p.Instance && o.p.Unverified == p.Unverified && o.p.At.IsZero() == p.At.IsZero() {
				g = o
				break
			}
		}
		if g == nil {
			g = &provGroup{p: p, nanos: n}
			groups = append(groups, g)
			size += len(p.Instance) + 16
		}
		g.paths = append(g.paths, path)
		size += len(path) + 1
	}
	sort.Slice(groups, func(i, j int) bool {
		a, b := groups[i], groups[j]
		if a.p.Instance != b.p.Instance {
			return a.p.Instance < b.p.Instance
		}
		if a.p.At.IsZero() != b.p.At.IsZero() {
			return a.p.At.IsZero()
		}
		if a.nanos != b.nanos {
			return a.nanos < b.nanos
		}
		return !a.p.Unverified && b.p.Unverified
	})
	b := make([]byte, 0, size)
	b = append(b, compactProvenance)
	for i, g := range groups {
		if i > 0 {
			b = append(b, ';')
		}
		b = append(b, g.p.Instance...)
		if g.p.Unverified {
			b = append(b, '!')
		}
		b = append(b, '@')
		if !g.p.At.IsZero() {
			b = strconv.AppendInt(b, g.nanos, 36)
		}
		b = append(b, ':')
		sort.Strings(g.paths)
		for j, p := range g.paths {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, p...)
		}
	}
	return string(b), true
}

// compactToken: s has none of the compact form's separators (and no
// byte a reader would have to unescape).
func compactToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ';' || c == ':' || c == ',' || c == '@' || c == '!' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// unixNanos is t as nanoseconds since 1970, if an int64 holds it.
func unixNanos(t time.Time) (int64, bool) {
	const maxSec = math.MaxInt64/int64(time.Second) - 1
	if s := t.Unix(); s > maxSec || s < -maxSec {
		return 0, false
	}
	return t.UnixNano(), true
}

func parseCompactProvenance(s string) (map[string]Provenance, error) {
	prov := make(map[string]Provenance, strings.Count(s, ",")+strings.Count(s, ";")+1)
	for s != "" {
		var g string
		g, s, _ = strings.Cut(s, ";")
		head, paths, ok := strings.Cut(g, ":")
		if !ok {
			return nil, fmt.Errorf("compact provenance: group %q has no paths", g)
		}
		at := strings.LastIndexByte(head, '@')
		if at < 0 {
			return nil, fmt.Errorf("compact provenance: group %q has no time", g)
		}
		var p Provenance
		p.Instance = head[:at]
		if strings.HasSuffix(p.Instance, "!") {
			p.Instance, p.Unverified = p.Instance[:len(p.Instance)-1], true
		}
		if t := head[at+1:]; t != "" {
			n, err := strconv.ParseInt(t, 36, 64)
			if err != nil {
				return nil, fmt.Errorf("compact provenance: time of %q: %w", g, err)
			}
			p.At = time.Unix(0, n).UTC()
		}
		for paths != "" {
			var path string
			path, paths, _ = strings.Cut(paths, ",")
			prov[path] = p
		}
	}
	return prov, nil
}
