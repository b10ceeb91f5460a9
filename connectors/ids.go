package connectors

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// IDString renders a vendor id decoded from JSON (a json.Number, a float64,
// an integer, or already a string) as the decimal string Record.ExternalID
// holds; anything else is "".
func IDString(v any) string {
	switch x := v.(type) {
	case json.Number:
		return x.String()
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	}
	return ""
}

// NumericID checks that an external id is a vendor's numeric id before it
// goes into a URL path, where anything else could address another
// resource. The error is permanent: "<vendor>: "<id>" is not a <what>".
func NumericID(vendor, what, id string) (string, error) {
	if _, err := strconv.ParseUint(id, 10, 64); err != nil {
		return "", Permanent(fmt.Errorf("%s: %q is not a %s", vendor, id, what))
	}
	return id, nil
}
