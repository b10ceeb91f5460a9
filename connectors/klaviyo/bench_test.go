package klaviyo_test

import (
	"context"
	"testing"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/connectors/klaviyo/klaviyotest"
)

// BenchmarkProfileImport pushes 10,000 profiles from 32 goroutines
// through the connector to the emulator at Scale 60 (profile-import's
// 700/min becomes 700/s) and reports the delivered rate against the
// allowed one: the client's pacing and its handling of the 429s alone,
// without the pipeline (TestKlaviyoProfilesUnderRateLimit in
// cmd/shophub/app with SHOPHUB_KLAVIYO_PROFILES=10000 measures that). The connector paces 5 % above the
// scaled rate, so the emulator's windows answer some 429s.
func BenchmarkProfileImport(b *testing.B) {
	const n, scale = 10000, 60.0
	for range b.N {
		emu := klaviyotest.New(klaviyotest.Options{Scale: scale})
		url := emu.Start()
		c, err := connectors.New(connectors.Instance{Name: "klaviyo", Type: "klaviyo"},
			map[string]any{"base_url": url, "api_key": klaviyotest.DefaultAPIKey, "rate_scale": scale * 1.05})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		failed := upsertProfiles(context.Background(), c.(connectors.Writer), n, 32, "b")
		elapsed := time.Since(start)
		emu.Close()
		if failed != 0 || emu.ProfileCount() != n {
			b.Fatalf("failed %d, profiles %d of %d", failed, emu.ProfileCount(), n)
		}
		rate, allowed := float64(n)/elapsed.Seconds(), emu.AllowedRate("profile-import")
		b.ReportMetric(rate, "profiles/s")
		b.ReportMetric(rate/allowed, "of-allowed")
		b.ReportMetric(float64(emu.Throttled.Load()), "429s")
		b.Logf("%d profiles in %s: %.1f/s of %.1f/s allowed (%.2f), %d answered 429", n, elapsed.Round(time.Millisecond), rate, allowed, rate/allowed, emu.Throttled.Load())
	}
}
