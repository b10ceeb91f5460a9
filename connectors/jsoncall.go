package connectors

import (
	"net/url"

	"github.com/go-resty/resty/v2"
	"github.com/shophub/shophub/internal/jsonx"
)

// JSONRequest shapes a request (DoRequest) with query parameters and a
// JSON body; either may be nil.
func JSONRequest(query url.Values, body any) func(*resty.Request) {
	return func(r *resty.Request) {
		if query != nil {
			r.SetQueryParamsFromValues(query)
		}
		if body != nil {
			r.SetBody(body).SetHeader("Content-Type", "application/json")
		}
	}
}

// DecodeJSON decodes a vendor's answer keeping numbers as json.Number:
// 64-bit ids do not survive float64, and a push compares what it read with
// what it writes. It is a json.Decoder's Decode after UseNumber, in half
// the time (jsonx.DecodeNumbers).
func DecodeJSON(raw []byte, out any) error {
	return jsonx.DecodeNumbers(raw, out)
}
