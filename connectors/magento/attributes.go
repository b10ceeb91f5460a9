package magento

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shophub/shophub/connectors"
)

// Custom customer attributes (the default mapping's custom_attributes.
// shophub_*, with the setting insight_attributes). Magento saves only the
// custom attributes the store defines and drops any other code without an
// error (the customer data object's setCustomAttribute keeps only codes of
// getCustomAttributesCodes()), and core REST has no endpoint that creates
// a customer attribute. So before a write names a custom attribute, the
// writer asks GET /V1/attributeMetadata/customer/attribute/{code} whether
// it exists. Missing ones are left out of the write, the rest is written,
// and the push waits (connectors.ErrNotRepresentable) with the operator's
// instruction, which status and the 360° view show. A found attribute is
// remembered for the connector's life; a missing one is asked again after
// attrRecheck, so one the operator has since created is picked up.

const attrRecheck = 10 * time.Minute

// attrCodeRe is Magento's rule for attribute codes (EAV attribute
// validation: a letter, then letters, digits and underscores, 60 at most).
var attrCodeRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,59}$`)

// attrCache remembers which custom attribute codes the store defines.
type attrCache struct {
	mu      sync.Mutex
	found   map[string]bool
	missing map[string]time.Time // code → when it was found missing
}

func (a *attrCache) lookup(code string, now time.Time) (known, exists bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.found[code] {
		return true, true
	}
	if at, ok := a.missing[code]; ok && now.Sub(at) < attrRecheck {
		return true, false
	}
	return false, false
}

func (a *attrCache) store(code string, exists bool, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.found == nil {
		a.found, a.missing = map[string]bool{}, map[string]time.Time{}
	}
	if exists {
		a.found[code] = true
		delete(a.missing, code)
		return
	}
	a.missing[code] = now
}

// attributeExists asks Magento whether the store defines a customer
// attribute.
func (c *Connector) attributeExists(ctx context.Context, code string) (bool, error) {
	now := time.Now()
	if known, exists := c.attrs.lookup(code, now); known {
		return exists, nil
	}
	if !attrCodeRe.MatchString(code) {
		return false, connectors.Permanent(fmt.Errorf("magento: custom attribute code %q: want a letter, then up to 59 letters, digits or _", code))
	}
	err := c.call(ctx, "GET", "/attributeMetadata/customer/attribute/"+code, nil, nil, nil)
	switch {
	case errors.Is(err, connectors.ErrNotFound):
		c.attrs.store(code, false, now)
		return false, nil
	case err != nil:
		return false, fmt.Errorf("magento: look up customer attribute %s: %w", code, err)
	}
	c.attrs.store(code, true, now)
	return true, nil
}

// definedAttributes returns payload without the custom attributes the
// store does not define, and the error the push waits with when some were
// left out (nil when all exist). payload itself is not modified.
func (c *Connector) definedAttributes(ctx context.Context, payload map[string]any) (map[string]any, error) {
	codes := customAttributeCodes(payload["custom_attributes"])
	if len(codes) == 0 {
		return payload, nil
	}
	var missing []string
	for _, code := range codes {
		ok, err := c.attributeExists(ctx, code)
		if err != nil {
			return nil, err
		}
		if !ok {
			missing = append(missing, code)
		}
	}
	if len(missing) == 0 {
		return payload, nil
	}
	out := maps.Clone(payload)
	out["custom_attributes"] = withoutAttributes(payload["custom_attributes"], missing)
	return out, connectors.NotRepresentable("magento: the store has no customer attribute %s, so Magento would drop the value silently; "+
		"create it (Stores › Attributes › Customer in Adobe Commerce, a data patch in Magento Open Source; a text attribute used in the customer's forms) "+
		"or turn the connector setting insight_attributes off", strings.Join(missing, ", "))
}

// customAttributeCodes lists the codes of a payload's custom_attributes
// (a map code → value, or Magento's list of {attribute_code, value}).
func customAttributeCodes(v any) []string {
	var out []string
	switch x := v.(type) {
	case map[string]any:
		out = slices.Collect(maps.Keys(x))
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if code, ok := m["attribute_code"].(string); ok {
					out = append(out, code)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

func withoutAttributes(v any, drop []string) any {
	switch x := v.(type) {
	case map[string]any:
		out := maps.Clone(x)
		for _, code := range drop {
			delete(out, code)
		}
		return out
	case []any:
		return slices.DeleteFunc(slices.Clone(x), func(e any) bool {
			m, _ := e.(map[string]any)
			code, _ := m["attribute_code"].(string)
			return slices.Contains(drop, code)
		})
	}
	return v
}
