package sync

import (
	"context"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Series keeps a small time series of what each connector instance did
// (webhooks received and rejected, pushes, task runs and failures, rate
// limit waits) in Redis, for the console's charts over the last hour and
// day. Every process counts in memory and adds its counts to shared
// buckets every few seconds, so the request path never waits for Redis
// and N processes add up. Prometheus has the same counts per process;
// this is for operators without a Prometheus.
type Series struct {
	rdb redis.UniversalClient

	mu     gosync.Mutex
	counts map[seriesKey]int64
	stop   chan struct{}
	done   chan struct{}
}

type seriesKey struct {
	instance, kind string
	minute         int64 // unix minute
}

// Buckets: per minute for the hour chart, per ten minutes for the day's.
const (
	seriesMinuteTTL = 2 * time.Hour
	seriesTenTTL    = 25 * time.Hour
	seriesFlush     = 5 * time.Second
)

func seriesBucketKey(width, start int64) string {
	return keyPrefix + "series:" + strconv.FormatInt(width, 10) + ":" + strconv.FormatInt(start, 10)
}

// NewSeries counts into rdb; Start flushes in the background.
func NewSeries(rdb redis.UniversalClient) *Series {
	return &Series{rdb: rdb, counts: map[seriesKey]int64{}}
}

// Add counts n events of kind (metrics.Event*) for instance, now. Safe
// on a nil Series. It is the process's metrics.Sink.
func (s *Series) Add(instance, kind string, n int64) {
	if s == nil || instance == "" {
		return
	}
	k := seriesKey{instance: instance, kind: kind, minute: time.Now().Unix() / 60}
	s.mu.Lock()
	s.counts[k] += n
	s.mu.Unlock()
}

// Start flushes every few seconds until Close.
func (s *Series) Start() {
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(s.done)
		t := time.NewTicker(seriesFlush)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				_ = s.Flush(context.Background())
			}
		}
	}()
}

// Close stops the flusher and writes what is left (best effort).
func (s *Series) Close() {
	if s == nil {
		return
	}
	if s.stop != nil {
		close(s.stop)
		<-s.done
		s.stop = nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.Flush(ctx)
}

// Flush adds the counts held in memory to the buckets in Redis. Counts
// that could not be written are kept for the next flush.
func (s *Series) Flush(ctx context.Context) error {
	s.mu.Lock()
	counts := s.counts
	s.counts = map[seriesKey]int64{}
	s.mu.Unlock()
	if len(counts) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	for k, n := range counts {
		field := k.instance + "|" + k.kind
		mk := seriesBucketKey(60, k.minute*60)
		pipe.HIncrBy(ctx, mk, field, n)
		pipe.Expire(ctx, mk, seriesMinuteTTL)
		tk := seriesBucketKey(600, k.minute/10*600)
		pipe.HIncrBy(ctx, tk, field, n)
		pipe.Expire(ctx, tk, seriesTenTTL)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.mu.Lock()
		for k, n := range counts {
			s.counts[k] += n
		}
		s.mu.Unlock()
		return err
	}
	return nil
}

// SeriesPoints are one window's buckets, oldest first: Start is the first
// bucket's start, Step each bucket's width, Counts[instance][kind] one
// value per bucket.
type SeriesPoints struct {
	Start  time.Time
	Step   time.Duration
	Counts map[string]map[string][]int64
}

// Total sums one instance's kind over the window.
func (p SeriesPoints) Total(instance, kind string) int64 {
	var n int64
	for _, v := range p.Counts[instance][kind] {
		n += v
	}
	return n
}

// ReadSeries reads the last hour (per minute) or, with day, the last 24
// hours (per ten minutes), up to now.
func ReadSeries(ctx context.Context, rdb redis.UniversalClient, day bool, now time.Time) (SeriesPoints, error) {
	width, n := int64(60), 60
	if day {
		width, n = 600, 144
	}
	last := now.Unix() / width * width
	first := last - int64(n-1)*width
	pipe := rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, n)
	for i := 0; i < n; i++ {
		cmds[i] = pipe.HGetAll(ctx, seriesBucketKey(width, first+int64(i)*width))
	}
	if _, err := pipe.Exec(ctx); err != nil && err != redis.Nil {
		return SeriesPoints{}, err
	}
	p := SeriesPoints{Start: time.Unix(first, 0).UTC(), Step: time.Duration(width) * time.Second, Counts: map[string]map[string][]int64{}}
	for i, c := range cmds {
		for field, v := range c.Val() {
			inst, kind, ok := strings.Cut(field, "|")
			if !ok {
				continue
			}
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			if p.Counts[inst] == nil {
				p.Counts[inst] = map[string][]int64{}
			}
			if p.Counts[inst][kind] == nil {
				p.Counts[inst][kind] = make([]int64, n)
			}
			p.Counts[inst][kind][i] += x
		}
	}
	return p, nil
}
