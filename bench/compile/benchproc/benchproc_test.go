package benchproc

import (
	"testing"
	"time"
)

func TestDurations(t *testing.T) {
	s := time.Second
	tests := []struct {
		in           Durations
		best, median time.Duration
	}{
		{Durations{3 * s}, 3 * s, 3 * s},
		{Durations{5 * s, 1 * s, 3 * s}, 1 * s, 3 * s},
		{Durations{4 * s, 1 * s, 2 * s, 3 * s}, 1 * s, 2500 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := tt.in.Median(); got != tt.median {
			t.Errorf("%v.Median() = %v, want %v", tt.in, got, tt.median)
		}
		if got := tt.in.Best(); got != tt.best {
			t.Errorf("%v.Best() = %v, want %v", tt.in, got, tt.best)
		}
	}
}
