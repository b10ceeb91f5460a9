package bench

import (
	"context"
	"testing"
	"time"
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
