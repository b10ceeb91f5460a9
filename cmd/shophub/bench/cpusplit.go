package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"

	"github.com/google/pprof/profile"
)

// The parts of the propagate bench's process, as pprof goroutine labels
// (label key partLabel). Goroutines inherit their creator's labels, so
// labelling where each part starts labels all of its work: the emulators'
// HTTP servers and the webhooks they send, the load generator's edits at
// the source, and shophub (serve, workers, its HTTP and Redis clients).
const (
	partLabel    = "part"
	partShophub  = "shophub"
	partEmulator = "emulators"
	partLoad     = "load generator"
	partBench    = "bench"
	// partRuntime is CPU no goroutine label covers: the garbage
	// collector's background workers, the scheduler, signal handling.
	partRuntime = "runtime (unlabelled: GC workers, scheduler)"
)

// withPart runs f with the goroutine label part; goroutines f starts keep it.
func withPart(ctx context.Context, part string, f func(context.Context)) {
	pprof.Do(ctx, pprof.Labels(partLabel, part), f)
}

// cpuSplit profiles the process while a step runs and splits its CPU time
// by part. Only one CPU profile can run at a time: under `bench
// --cpuprofile` the split is not taken (the file carries the labels:
// `go tool pprof -tags`).
type cpuSplit struct {
	buf bytes.Buffer
	on  bool
}

func startCPUSplit() *cpuSplit {
	s := &cpuSplit{}
	s.on = pprof.StartCPUProfile(&s.buf) == nil
	return s
}

// finish stops the profile and returns CPU nanoseconds sampled per part
// (nil when no profile could be taken).
func (s *cpuSplit) finish() map[string]int64 {
	if !s.on {
		return nil
	}
	pprof.StopCPUProfile()
	out, err := cpuByLabel(bytes.NewReader(s.buf.Bytes()), partLabel) // the buffer stays whole for saveStepProfile
	if err != nil {
		return nil
	}
	return out
}

// cpuByLabel sums a pprof CPU profile's cpu/nanoseconds samples by the
// value of label key (partRuntime for samples without it). The profile is
// read by github.com/google/pprof/profile, the format's maintained parser.
func cpuByLabel(r io.Reader, key string) (map[string]int64, error) {
	p, err := profile.Parse(r)
	if err != nil {
		return nil, fmt.Errorf("parse cpu profile: %w", err)
	}
	cpu := -1
	for i, t := range p.SampleType {
		if t.Type == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		return nil, fmt.Errorf("profile has no cpu sample type")
	}
	out := map[string]int64{}
	for _, s := range p.Sample {
		if cpu >= len(s.Value) {
			continue
		}
		part := partRuntime
		if v := s.Label[key]; len(v) > 0 {
			part = v[len(v)-1]
		}
		out[part] += s.Value[cpu]
	}
	return out, nil
}

// splitPerChange is the CPU ms per change of each part: the process's
// measured CPU time (getrusage, exact) shared out in the proportions the
// profile sampled (statistical, 100 samples a second).
func splitPerChange(byPart map[string]int64, cpuMsPerChange float64) map[string]float64 {
	var total int64
	for _, v := range byPart {
		total += v
	}
	if total == 0 {
		return nil
	}
	out := map[string]float64{}
	for p, v := range byPart {
		out[p] = cpuMsPerChange * float64(v) / float64(total)
	}
	return out
}

// describeSplit prints the split, largest first.
func describeSplit(split map[string]float64) string {
	type kv struct {
		k string
		v float64
	}
	var all []kv
	var total float64
	for k, v := range split {
		all = append(all, kv{k, v})
		total += v
	}
	sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
	var parts []string
	for _, e := range all {
		parts = append(parts, fmt.Sprintf("%s %.1f ms (%.0f %%)", e.k, e.v, 100*e.v/total))
	}
	return strings.Join(parts, "; ")
}

// saveStepProfile writes a step's CPU profile to Opts.StepProfiles/name
// (nothing when the option is unset or no profile was taken).
func (r *Runner) saveStepProfile(name string, prof []byte) error {
	if r.Opts.StepProfiles == "" || len(prof) == 0 {
		return nil
	}
	if err := os.MkdirAll(r.Opts.StepProfiles, 0o755); err != nil {
		return fmt.Errorf("step profile: %w", err)
	}
	return os.WriteFile(filepath.Join(r.Opts.StepProfiles, name), prof, 0o644)
}
