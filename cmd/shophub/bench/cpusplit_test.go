package bench

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/pprof/profile"
)

// TestCPUSplitSeesLabels: a goroutine labelled as a part gets that part's
// CPU in the split, and a busy labelled one dominates an idle process.
func TestCPUSplitSeesLabels(t *testing.T) {
	s := startCPUSplit()
	if !s.on {
		t.Skip("a CPU profile is already running")
	}
	done := make(chan struct{})
	withPart(context.Background(), partEmulator, func(context.Context) {
		go func() {
			defer close(done)
			end := time.Now().Add(400 * time.Millisecond)
			x := 0
			for time.Now().Before(end) {
				x++
			}
			_ = x
		}()
	})
	<-done
	by := s.finish()
	if by == nil {
		t.Fatal("no split")
	}
	var total int64
	for _, v := range by {
		total += v
	}
	if by[partEmulator] < total/2 {
		t.Fatalf("busy labelled goroutine got %d of %d ns: %v", by[partEmulator], total, by)
	}
}

// TestCPUByLabel: samples are summed by their part label, the cpu value
// (not the sample count) is summed, and a sample without the label is
// the runtime's.
func TestCPUByLabel(t *testing.T) {
	types := []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "cpu", Unit: "nanoseconds"}}
	fn := &profile.Function{ID: 1, Name: "f"}
	loc := []*profile.Location{{ID: 1, Line: []profile.Line{{Function: fn}}}}
	sample := func(cpu int64, labels map[string][]string) *profile.Sample {
		return &profile.Sample{Location: loc, Value: []int64{1, cpu}, Label: labels}
	}
	tests := []struct {
		name    string
		types   []*profile.ValueType
		samples []*profile.Sample
		want    map[string]int64
		wantErr bool
	}{
		{
			name:  "by part",
			types: types,
			samples: []*profile.Sample{
				sample(10, map[string][]string{partLabel: {partShophub}}),
				sample(20, map[string][]string{partLabel: {partShophub}, "other": {"x"}}),
				sample(5, map[string][]string{partLabel: {partEmulator}}),
				sample(7, nil),
				sample(1, map[string][]string{"other": {"x"}}),
			},
			want: map[string]int64{partShophub: 30, partEmulator: 5, partRuntime: 8},
		},
		{
			name:    "no cpu type",
			types:   []*profile.ValueType{{Type: "samples", Unit: "count"}, {Type: "alloc", Unit: "bytes"}},
			samples: []*profile.Sample{sample(1, nil)},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &profile.Profile{SampleType: tt.types, Sample: tt.samples, Location: loc, Function: []*profile.Function{fn}}
			var buf bytes.Buffer
			if err := p.Write(&buf); err != nil {
				t.Fatal(err)
			}
			got, err := cpuByLabel(&buf, partLabel)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("split (-want +got):\n%s", diff)
			}
		})
	}
}
