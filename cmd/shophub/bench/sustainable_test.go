package bench

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestSustainable runs the search against a pipeline whose p99 stays
// under a second up to limit changes/s.
func TestSustainable(t *testing.T) {
	tests := []struct {
		rate, limit int
		want        int
		rates       []int // the rates tried, the first one's included
	}{
		{rate: 100, limit: 75, want: 75, rates: []int{100, 50, 75, 87}},
		{rate: 100, limit: 60, want: 50, rates: []int{100, 50, 75, 62}}, // two refinements at most
		{rate: 100, limit: 170, want: 168, rates: []int{100, 150, 225, 187, 168}},
		{rate: 100, limit: 160, want: 150, rates: []int{100, 150, 225, 187, 168}},
		{rate: 100, limit: 5, want: 0, rates: []int{100, 50, 25, 12}},
		{rate: 100, limit: 12, want: 12, rates: []int{100, 50, 25, 12, 18, 15}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit %d", tt.limit), func(t *testing.T) {
			step := func(r int) propStep {
				s := propStep{rate: r, changes: r, achieved: float64(r), p99: 200 * time.Millisecond}
				if r > tt.limit {
					s.p99 = 3 * time.Second
				}
				return s
			}
			var rates []int
			run := func(r int) (propStep, error) {
				rates = append(rates, r)
				return step(r), nil
			}
			got, tried, err := sustainable(tt.rate, step(tt.rate), run)
			if err != nil {
				t.Fatal(err)
			}
			rates = append([]int{tt.rate}, rates...)
			if got != tt.want || !slices.Equal(rates, tt.rates) || len(tried) != len(rates) {
				t.Errorf("sustainable = %d after %v (%v), want %d after %v", got, rates, tried, tt.want, tt.rates)
			}
		})
	}
}
