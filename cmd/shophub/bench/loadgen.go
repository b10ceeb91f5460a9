package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// request is one prepared HTTP request.
type request struct {
	url    string
	header http.Header
	body   []byte
}

// loadResult is what a load run measured.
type loadResult struct {
	ok, rejected, errors int64
	latencies            []time.Duration
	elapsed              time.Duration
}

func (l loadResult) perSecond() float64 { return float64(l.ok) / l.elapsed.Seconds() }

// load posts requests from conns concurrent keep-alive connections for d,
// as fast as answered (wrk-style) or, with perSecond > 0, at that rate. It
// cycles through reqs; every request's latency is recorded.
func load(ctx context.Context, reqs []request, conns int, d time.Duration, perSecond int) loadResult {
	tr := &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, IdleConnTimeout: time.Minute}
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	var lim *rate.Limiter
	if perSecond > 0 {
		lim = rate.NewLimiter(rate.Limit(perSecond), conns)
	}
	var next, ok, rejected, errs atomic.Int64
	lat := make([][]time.Duration, conns)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for ctx.Err() == nil {
				if lim != nil && lim.Wait(ctx) != nil {
					return
				}
				r := reqs[int(next.Add(1)-1)%len(reqs)]
				req, _ := http.NewRequestWithContext(context.WithoutCancel(ctx), http.MethodPost, r.url, bytes.NewReader(r.body))
				for k, v := range r.header {
					req.Header[k] = v
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs.Add(1)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				lat[c] = append(lat[c], time.Since(t0))
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					rejected.Add(1)
				}
			}
		}(c)
	}
	wg.Wait()
	res := loadResult{ok: ok.Load(), rejected: rejected.Load(), errors: errs.Load(), elapsed: time.Since(start)}
	for _, l := range lat {
		res.latencies = append(res.latencies, l...)
	}
	return res
}
