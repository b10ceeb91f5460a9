package mappings

import (
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// phonenumbers.Parse costs several microseconds (its extension regexp
// backtracks), which would dominate a record. fastE164 handles the common
// plain shapes for calling codes whose trunk-prefix rules are simple, and
// yields to Parse for everything else. TestFastE164MatchesParse checks that
// wherever it answers, it answers exactly what Parse would.
//
// calling code → national (trunk) prefix: "0", "1" (NANP) or "" (none).
var fastTrunk = map[int]string{
	1:   "1", // NANP
	30:  "",  // GR
	31:  "0", // NL
	32:  "0", // BE
	33:  "0", // FR
	34:  "",  // ES
	41:  "0", // CH
	43:  "0", // AT
	44:  "0", // GB
	45:  "",  // DK
	46:  "0", // SE
	47:  "",  // NO
	48:  "",  // PL
	49:  "0", // DE
	351: "",  // PT
	353: "0", // IE
	358: "0", // FI
	420: "",  // CZ
}

// possibleLen[cc][n]: a national significant number of n digits is
// IS_POSSIBLE for calling code cc. libphonenumber decides possibility by
// length alone (testNumberLength), so asking once per length is exact.
// fastRules is fastTrunk and possibleLen as arrays indexed by calling code
// (below 1000): the hot path does no map lookups.
type fastRule struct {
	ok    bool
	trunk string
	lens  *[16]bool
}

var fastRules = sync.OnceValue(func() *[1000]fastRule {
	var out [1000]fastRule
	lens := possibleLen()
	for cc, trunk := range fastTrunk {
		out[cc] = fastRule{ok: true, trunk: trunk, lens: lens[cc]}
	}
	return &out
})

var possibleLen = sync.OnceValue(func() map[int]*[16]bool {
	out := make(map[int]*[16]bool, len(fastTrunk))
	for cc := range fastTrunk {
		var lens [16]bool
		for n := 1; n < len(lens); n++ {
			nn := uint64(1)
			for i := 1; i < n; i++ {
				nn *= 10
			}
			cc32 := int32(cc)
			num := phonenumbers.PhoneNumber{CountryCode: &cc32, NationalNumber: &nn}
			lens[n] = phonenumbers.IsPossibleNumberWithReason(&num) == phonenumbers.IS_POSSIBLE
		}
		out[cc] = &lens
	}
	return out
})

// fastE164 returns the E.164 form and true when it can decide alone; false
// means "ask Parse" (never "invalid").
func fastE164(s string, regionCC int) (string, bool) {
	var out [24]byte
	b, ok := appendFastE164(out[:0], s, regionCC)
	if !ok {
		return "", false
	}
	return string(b), true
}

func appendFastE164(out []byte, s string, regionCC int) ([]byte, bool) {
	rules := fastRules()
	var buf [20]byte
	n := 0
	plus := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if n == len(buf) {
				return nil, false
			}
			buf[n] = c
			n++
		case c == '+' && i == 0:
			plus = true
		case c == ' ' || c == '-' || c == '/' || c == '.' || c == '(' || c == ')':
		default:
			return nil, false
		}
	}
	digits := buf[:n]
	var cc int
	var national []byte
	if plus {
		code := 0
		for l := 1; l <= 3 && l < n; l++ {
			code = code*10 + int(digits[l-1]-'0')
			if rules[code].ok {
				cc, national = code, digits[l:]
				break
			}
			if phonenumbers.GetRegionCodeForCountryCode(code) != "ZZ" {
				return nil, false // a calling code without a fast rule
			}
		}
		if cc == 0 || len(national) == 0 || national[0] == '0' || (cc == 1 && national[0] == '1') {
			return nil, false
		}
	} else {
		if regionCC <= 0 || regionCC >= len(rules) || !rules[regionCC].ok || n == 0 {
			return nil, false
		}
		cc = regionCC
		switch rules[regionCC].trunk {
		case "0":
			if n < 2 || digits[0] != '0' || digits[1] == '0' {
				return nil, false
			}
			national = digits[1:]
		case "1":
			if n != 10 || digits[0] < '2' {
				return nil, false
			}
			national = digits
		default:
			if digits[0] == '0' || hasPrefixInt(digits, regionCC) {
				return nil, false
			}
			national = digits
		}
	}
	if len(national) < 4 || len(national) > 14 {
		return nil, false
	}
	if !rules[cc].lens[len(national)] {
		return nil, false
	}
	out = append(out, '+')
	out = strconv.AppendInt(out, int64(cc), 10)
	out = append(out, national...)
	return out, true
}

func hasPrefixInt(digits []byte, n int) bool {
	var p [8]byte
	b := strconv.AppendInt(p[:0], int64(n), 10)
	return len(digits) >= len(b) && string(digits[:len(b)]) == string(b)
}

// phoneCanonical: s (already shaped like E.164) is what fastE164 makes of
// it, so it can be returned as is.
func phoneCanonical(s string) bool {
	var out [24]byte
	e, ok := appendFastE164(out[:0], s, 0)
	return ok && string(e) == s
}
