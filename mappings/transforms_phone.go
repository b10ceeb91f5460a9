package mappings

import (
	"errors"
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"gopkg.in/yaml.v3"
)

var errNotPhone = errors.New("not a phone number")

func (c *compiler) region(arg *yaml.Node) (string, error) {
	s, ok, err := scalarArg(arg)
	if err != nil {
		return "", err
	}
	if !ok {
		s = c.opts.DefaultRegion
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	if s != "" && phonenumbers.GetCountryCodeForRegion(s) == 0 {
		return "", fmt.Errorf("unknown region %q", s)
	}
	return s, nil
}

// parsePhone returns the number and its E.164 form; for "" both are empty.
func parsePhone(v any, region string) (*phonenumbers.PhoneNumber, string, error) {
	return parsePhoneCC(v, region, 0, false)
}

// parsePhoneCC may skip Parse (fast) when only the E.164 form is needed.
func parsePhoneCC(v any, region string, regionCC int, fast bool) (*phonenumbers.PhoneNumber, string, error) {
	s, err := stringOf(v)
	if err != nil {
		return nil, "", err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, "", nil
	}
	if fast {
		if isE164(s) && phoneCanonical(s) {
			return nil, s, nil
		}
		if e164, ok := fastE164(s, regionCC); ok {
			return nil, e164, nil
		}
	}
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsPossibleNumber(num) {
		return nil, "", errNotPhone
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e164) {
		return nil, "", errNotPhone
	}
	return num, e164, nil
}

// buildPhone: any written form → E.164.
func buildPhone(c *compiler, arg *yaml.Node) (transformFunc, error) {
	region, err := c.region(arg)
	if err != nil {
		return nil, err
	}
	regionCC := 0
	if region != "" {
		regionCC = phonenumbers.GetCountryCodeForRegion(region)
	}
	return func(v any) (any, error) {
		_, e164, err := parsePhoneCC(v, region, regionCC, true)
		if err != nil {
			return nil, err
		}
		if s, ok := v.(string); ok && s == e164 {
			return v, nil // already E.164: keep the boxed value
		}
		return e164, nil
	}, nil
}

// buildPhoneNational: E.164 (or any form) → the national format of the
// number's own country, for vendors that want it.
func buildPhoneNational(c *compiler, arg *yaml.Node) (transformFunc, error) {
	region, err := c.region(arg)
	if err != nil {
		return nil, err
	}
	return func(v any) (any, error) {
		num, _, err := parsePhone(v, region)
		if err != nil {
			return nil, err
		}
		if num == nil {
			return "", nil
		}
		return phonenumbers.Format(num, phonenumbers.NATIONAL), nil
	}, nil
}
