package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"runtime/pprof"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
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
	out, err := cpuByLabel(&s.buf, partLabel)
	if err != nil {
		return nil
	}
	return out
}

// cpuByLabel sums a gzipped pprof CPU profile's cpu/nanoseconds samples by
// the value of label key (partRuntime for samples without it). It reads
// only what it needs of profile.proto: Profile.sample (2) with
// Sample.value (2) and Sample.label (3: key 1, str 2), Profile.sample_type
// (1: type 1) and Profile.string_table (6).
func cpuByLabel(r io.Reader, key string) (map[string]int64, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		return nil, err
	}
	type sample struct {
		values []int64
		labels [][2]int64 // key, str (string table indexes)
	}
	var samples []sample
	var types []int64 // sample_type's type, string table indexes
	var strs []string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case 1:
			fields, err := varintFields(v)
			if err != nil {
				return nil, err
			}
			types = append(types, first(fields[1]))
		case 2:
			var s sample
			for len(v) > 0 {
				fnum, ftyp, n := protowire.ConsumeTag(v)
				if n < 0 {
					return nil, protowire.ParseError(n)
				}
				v = v[n:]
				switch {
				case fnum == 2 && ftyp == protowire.BytesType:
					packed, n := protowire.ConsumeBytes(v)
					if n < 0 {
						return nil, protowire.ParseError(n)
					}
					v = v[n:]
					for len(packed) > 0 {
						x, n := protowire.ConsumeVarint(packed)
						if n < 0 {
							return nil, protowire.ParseError(n)
						}
						packed = packed[n:]
						s.values = append(s.values, int64(x))
					}
				case fnum == 2 && ftyp == protowire.VarintType:
					x, n := protowire.ConsumeVarint(v)
					if n < 0 {
						return nil, protowire.ParseError(n)
					}
					v = v[n:]
					s.values = append(s.values, int64(x))
				case fnum == 3 && ftyp == protowire.BytesType:
					lb, n := protowire.ConsumeBytes(v)
					if n < 0 {
						return nil, protowire.ParseError(n)
					}
					v = v[n:]
					fields, err := varintFields(lb)
					if err != nil {
						return nil, err
					}
					s.labels = append(s.labels, [2]int64{first(fields[1]), first(fields[2])})
				default:
					n := protowire.ConsumeFieldValue(fnum, ftyp, v)
					if n < 0 {
						return nil, protowire.ParseError(n)
					}
					v = v[n:]
				}
			}
			samples = append(samples, s)
		case 6:
			strs = append(strs, string(v))
		}
	}
	str := func(i int64) string {
		if i >= 0 && int(i) < len(strs) {
			return strs[i]
		}
		return ""
	}
	cpu := -1
	for i, t := range types {
		if str(t) == "cpu" {
			cpu = i
		}
	}
	if cpu < 0 {
		return nil, fmt.Errorf("profile has no cpu sample type")
	}
	out := map[string]int64{}
	for _, s := range samples {
		if cpu >= len(s.values) {
			continue
		}
		part := partRuntime
		for _, l := range s.labels {
			if str(l[0]) == key {
				part = str(l[1])
			}
		}
		out[part] += s.values[cpu]
	}
	return out, nil
}

// varintFields decodes a message's varint fields by number (packed or
// not), skipping the rest.
func varintFields(b []byte) (map[protowire.Number][]int64, error) {
	out := map[protowire.Number][]int64{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		if typ == protowire.VarintType {
			x, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, protowire.ParseError(n)
			}
			b = b[n:]
			out[num] = append(out[num], int64(x))
			continue
		}
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return out, nil
}

func first(v []int64) int64 {
	if len(v) == 0 {
		return 0
	}
	return v[0]
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
