package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/shophub/shophub/internal/trace"
)

// tracer collects the pipeline's trace marks (internal/trace) while a
// propagate step runs, so each change's path can be cut into hops.
type tracer struct {
	mu     gosync.Mutex
	on     bool
	events []trace.Event
}

func (t *tracer) mark(e trace.Event) {
	t.mu.Lock()
	if t.on {
		t.events = append(t.events, e)
	}
	t.mu.Unlock()
}

// start clears what was collected and collects from now on; stop ends the
// collection and hands the marks over.
func (t *tracer) start() {
	t.mu.Lock()
	t.on, t.events = true, nil
	t.mu.Unlock()
}

func (t *tracer) stop() []trace.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.on = false
	ev := t.events
	t.events = nil
	return ev
}

// hop names, in path order. A change crosses the first four once; the
// rest once per target, so their figures are over change × target.
var hopNames = []string{
	"source edit → webhook received",
	"webhook received → ingest enqueued",
	"ingest enqueued → ingest started",
	"ingest started → ready (claimed, read, mapped)",
	"ready → merged (batch committed)",
	"merged → push enqueued",
	"push enqueued → push started (first attempt)",
	"push started → slot and customer lock held",
	"lock held → read before write done",
	"read done → vendor write done",
	"vendor write done → push recorded",
	"push recorded → echo webhook received",
	"echo webhook received → echo ingest enqueued",
	"echo ingest enqueued → echo ingest started",
	"echo ingest started → ready (lock, fetch)",
	"echo ready → echo merged",
	"source edit → last target written",
}

// hopKey finds marks: by step and instance and customer, or by step and
// instance and vendor record.
type hopKey struct {
	step trace.Step
	inst string
	ext  string
	cust uint64
}

// hopIndex holds the marks of one step run sorted by time under each key.
type hopIndex struct {
	by    map[hopKey][]trace.Event
	byKey map[[2]string][]trace.Event // (step, event id): webhook → ingest → merge
}

func indexMarks(events []trace.Event) *hopIndex {
	ix := &hopIndex{by: map[hopKey][]trace.Event{}, byKey: map[[2]string][]trace.Event{}}
	sort.Slice(events, func(i, j int) bool { return events[i].At.Before(events[j].At) })
	for _, e := range events {
		switch e.Step {
		case trace.PushEnqueued, trace.PushStarted, trace.PushLocked, trace.PushRead, trace.PushWritten, trace.PushRecorded:
			k := hopKey{step: e.Step, inst: e.Instance, cust: e.CustomerID}
			ix.by[k] = append(ix.by[k], e)
		default:
			k := hopKey{step: e.Step, inst: e.Instance, ext: e.ExternalID}
			ix.by[k] = append(ix.by[k], e)
		}
		if e.Key != "" {
			k := [2]string{e.Step.String(), e.Instance + "\x00" + e.Key}
			ix.byKey[k] = append(ix.byKey[k], e)
		}
	}
	return ix
}

// first is the earliest mark under k at or after t (with version ≥ v
// where v > 0).
func (ix *hopIndex) first(k hopKey, t time.Time, v int64) (trace.Event, bool) {
	for _, e := range ix.by[k] {
		if !e.At.Before(t) && e.Version >= v {
			return e, true
		}
	}
	return trace.Event{}, false
}

func (ix *hopIndex) withKey(step trace.Step, inst, key string, t time.Time) (trace.Event, bool) {
	for _, e := range ix.byKey[[2]string{step.String(), inst + "\x00" + key}] {
		if !e.At.Before(t) {
			return e, true
		}
	}
	return trace.Event{}, false
}

// hopReport is the per-hop breakdown of one propagate step.
type hopReport struct {
	hops map[string][]time.Duration
	// attempts counts push tasks' handler starts per push (a retry after
	// a busy lock or a full slot starts again).
	attempts []int
	// slowest counts, per hop, the changes whose slowest target lost most
	// time there.
	slowest map[string]int
	traced  int
	// batchTook is each merge transaction's duration (the ingest
	// batcher), batchRecords their records together.
	batchTook    []time.Duration
	batchRecords int
	// queues is the sampled queue lengths (queueSampler).
	queues map[string]map[string]float64
}

// cutHops follows each change through the marks: the source's webhook and
// its ingest (tied by the event id), the merge that gave it a customer and
// version, and per target the first push of that version or later, its
// write and the target's echo.
func cutHops(events []trace.Event, src string, ids []string, changes []sentChange, targets []string) hopReport {
	ix := indexMarks(events)
	rep := hopReport{hops: map[string][]time.Duration{}, slowest: map[string]int{}}
	for _, e := range events {
		if e.Step == trace.BatchMerged {
			rep.batchTook = append(rep.batchTook, e.Took)
			rep.batchRecords += e.N
		}
	}
	add := func(i int, from, to time.Time) time.Duration {
		d := to.Sub(from)
		rep.hops[hopNames[i]] = append(rep.hops[hopNames[i]], d)
		return d
	}
	for _, ch := range changes {
		ext := ids[ch.cust]
		wh, ok := ix.first(hopKey{step: trace.WebhookReceived, inst: src, ext: ext}, ch.at, 0)
		if !ok {
			continue
		}
		enq, ok1 := ix.withKey(trace.IngestEnqueued, src, wh.Key, wh.At)
		st, ok2 := ix.withKey(trace.IngestStarted, src, wh.Key, enq.At)
		rd, ok4 := ix.withKey(trace.IngestReady, src, wh.Key, st.At)
		mg, ok3 := ix.withKey(trace.Merged, src, wh.Key, rd.At)
		if !ok1 || !ok2 || !ok3 || !ok4 || mg.Version == 0 {
			continue
		}
		rep.traced++
		add(0, ch.at, wh.At)
		add(1, wh.At, enq.At)
		add(2, enq.At, st.At)
		add(3, st.At, rd.At)
		add(4, rd.At, mg.At)
		var last time.Time
		worst := map[string]time.Duration{}
		for _, tgt := range targets {
			k := func(s trace.Step) hopKey { return hopKey{step: s, inst: tgt, cust: mg.CustomerID} }
			pe, ok := ix.first(k(trace.PushEnqueued), mg.At, mg.Version)
			if !ok {
				continue
			}
			// Looked for from the merge, not from the enqueue mark: a
			// push's enqueuer marks it once its whole group is queued,
			// and a worker may start it before that mark. Looked for
			// from the mark, such a push was missed, and the next
			// change's push (a second later in the short run) taken
			// for it.
			ps, ok := ix.first(k(trace.PushStarted), mg.At, mg.Version)
			if !ok {
				continue
			}
			pw, ok := ix.first(k(trace.PushWritten), ps.At, mg.Version)
			if !ok {
				continue
			}
			n := 0
			for _, e := range ix.by[k(trace.PushStarted)] {
				if !e.At.Before(ps.At) && !e.At.After(pw.At) {
					n++
				}
			}
			rep.attempts = append(rep.attempts, n)
			// The lock and read of the attempt that wrote: the last ones
			// before the write.
			pl, pr := ps, ps
			for _, e := range ix.by[k(trace.PushLocked)] {
				if !e.At.Before(ps.At) && !e.At.After(pw.At) {
					pl = e
				}
			}
			pr = pl
			for _, e := range ix.by[k(trace.PushRead)] {
				if !e.At.Before(pl.At) && !e.At.After(pw.At) {
					pr = e
				}
			}
			cand := map[string]time.Duration{}
			cand[hopNames[5]] = add(5, mg.At, pe.At)
			cand[hopNames[6]] = add(6, pe.At, ps.At)
			cand[hopNames[7]] = add(7, ps.At, pl.At)
			cand[hopNames[8]] = add(8, pl.At, pr.At)
			cand[hopNames[9]] = add(9, pr.At, pw.At)
			if pw.At.After(last) {
				last, worst = pw.At, cand
			}
			pc, ok := ix.first(hopKey{step: trace.PushRecorded, inst: tgt, cust: mg.CustomerID}, pw.At, 0)
			if !ok {
				continue
			}
			add(10, pw.At, pc.At)
			// The echo may arrive before the push is recorded: it is the
			// first webhook of the target's record after the write began.
			ew, ok := ix.first(hopKey{step: trace.WebhookReceived, inst: tgt, ext: pw.ExternalID}, pr.At, 0)
			if !ok {
				continue
			}
			add(11, pc.At, ew.At)
			ee, ok1 := ix.withKey(trace.IngestEnqueued, tgt, ew.Key, ew.At)
			es, ok2 := ix.withKey(trace.IngestStarted, tgt, ew.Key, ee.At)
			er, ok4 := ix.withKey(trace.IngestReady, tgt, ew.Key, es.At)
			em, ok3 := ix.withKey(trace.Merged, tgt, ew.Key, er.At)
			if ok1 && ok2 {
				add(12, ew.At, ee.At)
				add(13, ee.At, es.At)
			}
			if ok2 && ok4 {
				add(14, es.At, er.At)
			}
			if ok4 && ok3 {
				add(15, er.At, em.At)
			}
		}
		if !last.IsZero() {
			add(16, ch.at, last)
			name, most := "", time.Duration(-1)
			for h, d := range map[string]time.Duration{hopNames[0]: wh.At.Sub(ch.at), hopNames[1]: enq.At.Sub(wh.At),
				hopNames[2]: st.At.Sub(enq.At), hopNames[3]: rd.At.Sub(st.At), hopNames[4]: mg.At.Sub(rd.At)} {
				worst[h] = d
			}
			for h, d := range worst {
				if d > most {
					name, most = h, d
				}
			}
			rep.slowest[name]++
		}
	}
	return rep
}

// table is the breakdown's figures: per hop its count and percentiles
// (ms), plus how often a change's slowest target lost most there.
func (rep hopReport) table() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for _, h := range hopNames {
		d := rep.hops[h]
		if len(d) == 0 {
			continue
		}
		p := percentiles(d)
		p["n"] = float64(len(d))
		p["critical"] = float64(rep.slowest[h])
		out[h] = p
	}
	if len(rep.attempts) > 0 {
		sum, more := 0, 0
		for _, n := range rep.attempts {
			sum += n
			if n > 1 {
				more++
			}
		}
		out["push attempts per delivered push"] = map[string]float64{"mean": float64(sum) / float64(len(rep.attempts)),
			"share_retried": float64(more) / float64(len(rep.attempts))}
	}
	return out
}

// print writes the breakdown as a table.
func (rep hopReport) print(w io.Writer, title string) {
	fmt.Fprintf(w, "%s: per-hop breakdown of %d traced changes (ms; \"critical\": changes whose slowest target lost most there)\n", title, rep.traced)
	fmt.Fprintf(w, "  %-48s %6s %8s %8s %8s %8s %8s\n", "hop", "n", "p50", "p95", "p99", "max", "critical")
	t := rep.table()
	for _, h := range hopNames {
		p, ok := t[h]
		if !ok {
			continue
		}
		fmt.Fprintf(w, "  %-48s %6.0f %8.1f %8.1f %8.1f %8.1f %8.0f\n", h, p["n"], p["p50_ms"], p["p95_ms"], p["p99_ms"], p["max_ms"], p["critical"])
	}
	if a, ok := t["push attempts per delivered push"]; ok {
		fmt.Fprintf(w, "  push attempts per delivered push: mean %.2f, retried %.1f %%\n", a["mean"], 100*a["share_retried"])
	}
	if n := len(rep.batchTook); n > 0 {
		p := percentiles(rep.batchTook)
		fmt.Fprintf(w, "  merge transactions: %d, %.1f records each, ran p50 %.1f ms, p95 %.1f ms\n", n, float64(rep.batchRecords)/float64(n), p["p50_ms"], p["p95_ms"])
	}
	if rep.queues != nil {
		printQueues(w, rep.queues)
	}
}

// median of durations (0 for none).
func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)/2]
}

// loadAvg is the machine's 1, 5 and 15 minute load average ("" where
// /proc/loadavg cannot be read): a latency figure from a shared machine
// means little without it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return "load " + strings.Join(f[:3], " ")
}

// queueSampler samples the pending and active lengths of the pipeline's
// queues (ingest and each target's pushes) every 50 ms through the
// bench's own Redis client (not counted as shophub's round trips): a hop
// that waits in a queue shows here as a long queue (slots or dequeues
// behind) or as a short one (the wait is elsewhere).
type queueSampler struct {
	stop  chan struct{}
	done  chan struct{}
	peak  map[string]int64
	sum   map[string]int64
	count int
}

func sampleQueues(ctx context.Context, rdb redis.UniversalClient, queues []string) *queueSampler {
	s := &queueSampler{stop: make(chan struct{}), done: make(chan struct{}), peak: map[string]int64{}, sum: map[string]int64{}}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			pipe := rdb.Pipeline()
			cmds := map[string]*redis.IntCmd{}
			for _, q := range queues {
				for _, kind := range []string{"pending", "active"} {
					cmds[q+" "+kind] = pipe.LLen(ctx, "asynq:{"+q+"}:"+kind)
				}
			}
			if _, err := pipe.Exec(ctx); err == nil {
				s.count++
				for k, c := range cmds {
					n := c.Val()
					s.sum[k] += n
					s.peak[k] = max(s.peak[k], n)
				}
			}
			select {
			case <-s.stop:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// finish stops sampling and reports "queue kind" → mean and peak length.
func (s *queueSampler) finish() map[string]map[string]float64 {
	close(s.stop)
	<-s.done
	out := map[string]map[string]float64{}
	for k, p := range s.peak {
		if s.count == 0 {
			break
		}
		out[k] = map[string]float64{"mean": float64(s.sum[k]) / float64(s.count), "peak": float64(p)}
	}
	return out
}

func printQueues(w io.Writer, q map[string]map[string]float64) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(w, "  queue lengths while the step ran (mean / peak):")
	for _, k := range keys {
		fmt.Fprintf(w, " %s %.0f/%.0f;", k, q[k]["mean"], q[k]["peak"])
	}
	fmt.Fprintln(w)
}
