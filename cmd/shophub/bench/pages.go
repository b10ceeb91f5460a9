package bench

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	gosync "sync"
	"time"

	"github.com/shophub/shophub/internal/trace"
)

// pageStages sums a backfill's poll marks per step (listed, merged,
// applied, stored): how much time its pages spent in each, which the
// wall clock of the whole run does not tell apart.
type pageStages struct {
	mu   gosync.Mutex
	done bool
	n    map[trace.Step]int
	sum  map[trace.Step]time.Duration
	max  map[trace.Step]time.Duration
}

func newPageStages() *pageStages {
	return &pageStages{n: map[trace.Step]int{}, sum: map[trace.Step]time.Duration{}, max: map[trace.Step]time.Duration{}}
}

func (p *pageStages) mark(e trace.Event) {
	switch e.Step {
	case trace.PageListed, trace.PageMerged, trace.PageApplied, trace.PageStored:
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.n[e.Step]++
	p.sum[e.Step] += e.Took
	p.max[e.Step] = max(p.max[e.Step], e.Took)
}

// stop ends the collection: marks after the measured window (a poll
// asked for meanwhile lists the boundary again) do not count.
func (p *pageStages) stop() {
	p.mu.Lock()
	p.done = true
	p.mu.Unlock()
}

// report: per step the pages, the summed seconds, the mean and the
// largest in milliseconds, and the summed time as a share of the wall
// clock (above 1: pages overlapped in that step).
func (p *pageStages) report(wall time.Duration) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]any{}
	for _, s := range []trace.Step{trace.PageListed, trace.PageApplied, trace.PageMerged, trace.PageStored} {
		n := p.n[s]
		if n == 0 {
			continue
		}
		out[s.String()] = map[string]any{"pages": n, "sum_s": round3(p.sum[s].Seconds()),
			"mean_ms": round3(float64(p.sum[s].Microseconds()) / 1000 / float64(n)), "max_ms": p.max[s].Milliseconds(),
			"share_of_wall": round3(p.sum[s].Seconds() / wall.Seconds())}
	}
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// procCPU is the CPU time (user + system) process pid has used so far,
// from /proc/<pid>/stat; 0 when it cannot be read.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command name (which may hold spaces) in ")".
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// dbServerPID finds a local MariaDB/MySQL server process, whose CPU over
// a run says what the database spent, for everybody using it: on a
// shared machine other clients' statements count too.
func dbServerPID() int {
	dirs, _ := filepath.Glob("/proc/[0-9]*/comm")
	for _, d := range dirs {
		b, err := os.ReadFile(d)
		if err != nil {
			continue
		}
		switch strings.TrimSpace(string(b)) {
		case "mariadbd", "mysqld":
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(d)))
			return pid
		}
	}
	return 0
}
