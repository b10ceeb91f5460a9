package customshop

import (
	"context"

	"github.com/go-resty/resty/v2"

	"github.com/shophub/shophub/connectors"
)

// newHTTPClient is the one client every call goes through: pacing (the
// instance's rate limit), retries on 429/5xx honouring Retry-After,
// errors that carry customshop's status and body.
func (c *Connector) newHTTPClient() *connectors.HTTPClient {
	return connectors.NewHTTPClient(connectors.ClientOptions{
		BaseURL:    c.settings.BaseURL,
		Timeout:    c.inst.Timeout,
		Limiter:    connectors.InstanceLimiter(c.inst, 10, 10), // the shop allows 10 requests a second
		OnResponse: c.inst.Observe,
		// The shop takes its API key as a bearer token.
		Authorize: func(_ context.Context, r *resty.Request) error {
			r.SetAuthToken(c.settings.APIKey)
			return nil
		},
	})
}
