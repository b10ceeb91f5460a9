package connectors

import (
	"encoding/json"
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
