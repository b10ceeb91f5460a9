package klaviyo

import (
	"context"
	"time"

	"github.com/go-resty/resty/v2"
	"github.com/shophub/shophub/connectors"
	"golang.org/x/time/rate"
)

// Limit is one endpoint's documented rate limit: Burst requests per burst
// window (1 s) and Steady per steady window (1 min).
type Limit struct {
	Burst, Steady int
}

// Endpoint limits as Klaviyo documents them (tiers L and XL).
var (
	LimitProfileImport = Limit{Burst: 75, Steady: 700}
	LimitSubscriptions = Limit{Burst: 75, Steady: 700}
	LimitEvents        = Limit{Burst: 350, Steady: 3500}
	LimitProfiles      = Limit{Burst: 75, Steady: 700} // GET /api/profiles/{id}
	LimitDeletion      = Limit{Burst: 3, Steady: 60}   // data-privacy-deletion-jobs (tier S)
)

// Windows of the limits, before scaling.
const (
	BurstWindow  = time.Second
	SteadyWindow = time.Minute
)

// SteadyRate is l's sustained rate per second at scale.
func (l Limit) SteadyRate(scale float64) float64 {
	return float64(l.Steady) / SteadyWindow.Seconds() * scale
}

// client is the HTTP side: one HTTPClient per endpoint, each paced by its
// own limiter at the endpoint's steady rate, so a burst of events never
// starves profile pushes of their budget and vice versa. Under the
// pipeline the limiters live in Redis (Instance.SharedLimiter), so any
// number of worker processes together stay under the account's limits.
type client struct {
	profileImport, subscriptions, events, profiles, deletion *connectors.HTTPClient
}

func newClient(inst connectors.Instance, s Settings) *client {
	mk := func(endpoint string, l Limit) *connectors.HTTPClient {
		// A small bucket: bursts up to Klaviyo's burst would overrun the
		// steady window at its edges; steady pacing is what reaches the
		// allowed rate.
		rps := l.SteadyRate(s.RateScale)
		burst := max(1, min(l.Burst, int(rps/10)))
		// Klaviyo counts per account: worker processes share one bucket
		// per endpoint when the pipeline offers one (Redis).
		var lim connectors.Limiter = connectors.LocalLimiter{L: rate.NewLimiter(rate.Limit(rps), burst)}
		if inst.SharedLimiter != nil {
			lim = inst.SharedLimiter(endpoint, rps, burst)
		}
		return connectors.NewHTTPClient(connectors.ClientOptions{
			BaseURL: s.BaseURL, Timeout: inst.Timeout, Limiter: lim, OnResponse: inst.Observe,
			MaxInlineWait: 2 * time.Second, Retries: 3,
			Headers: map[string]string{
				"Authorization": "Klaviyo-API-Key " + s.APIKey,
				"revision":      s.Revision,
				"Accept":        "application/vnd.api+json",
			},
		})
	}
	return &client{profileImport: mk("profile-import", LimitProfileImport), subscriptions: mk("subscriptions", LimitSubscriptions),
		events: mk("events", LimitEvents), profiles: mk("profiles", LimitProfiles), deletion: mk("deletion", LimitDeletion)}
}

// post sends one JSON:API document.
func post(ctx context.Context, hc *connectors.HTTPClient, path string, doc, out any) (*resty.Response, error) {
	return hc.DoRequest(ctx, "POST", path, func(r *resty.Request) {
		r.SetBody(doc).SetHeader("Content-Type", "application/vnd.api+json")
	}, out)
}
