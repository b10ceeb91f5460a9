package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/shophub/shophub/connectors"
	"github.com/shophub/shophub/mappings"
)

func slogDiscard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func runMapping(ctx context.Context, r *Runner) (*Result, error) {
	d := r.duration(2*time.Second, 300*time.Millisecond)
	perType := map[string]any{}
	var shopify, shopifyWalk float64
	for _, typ := range connectors.Types() {
		reg, _ := connectors.Lookup(typ)
		if len(reg.Sample) == 0 {
			perType[typ] = "no sample record registered"
			continue
		}
		m, err := mappings.Compile(typ+"/mapping.yaml", reg.Mapping, mappings.Options{DefaultRegion: "DE"})
		if err != nil {
			return nil, err
		}
		var rec map[string]any
		if err := json.Unmarshal(reg.Sample, &rec); err != nil {
			return nil, fmt.Errorf("%s sample: %w", typ, err)
		}
		if _, err := m.Inbound(connectors.ResourceCustomer, rec); err != nil {
			return nil, fmt.Errorf("%s sample does not map: %w", typ, err)
		}
		rate := perSecond(d, func() { _, _ = m.Inbound(connectors.ResourceCustomer, rec) })
		// The ceiling is the least any mapping does: visit every value
		// and build a new document.
		walk := perSecond(d, func() { _ = connectors.CloneJSON(rec) })
		perType[typ] = map[string]float64{"records_per_s": rate, "walk_per_s": walk}
		if typ == "shopify" {
			shopify, shopifyWalk = rate, walk
		}
	}
	res := &Result{
		Figure:  Figure{Name: "shopify default mapping, one core", Value: shopify, Unit: "records/s"},
		Ceiling: Figure{Name: "bare walk+copy of the record", Value: shopifyWalk, Unit: "records/s"},
		Target:  "≥ 200,000 records/s on one core",
		Details: map[string]any{"per_connector": perType, "duration_each": d.String()},
	}
	res.Ratio = ratio(res.Figure.Value, res.Ceiling.Value)
	return res, nil
}

// perSecond runs f on this goroutine (one core) for about d.
func perSecond(d time.Duration, f func()) float64 {
	n := 0
	start := time.Now()
	for time.Since(start) < d {
		for i := 0; i < 100; i++ {
			f()
		}
		n += 100
	}
	return float64(n) / time.Since(start).Seconds()
}
