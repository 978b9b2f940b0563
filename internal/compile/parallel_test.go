package compile

import (
	"context"
	"sync/atomic"
	"testing"
)

func TestForEach(t *testing.T) {
	tests := []struct {
		name       string
		n, workers int
	}{
		{"none", 0, 4},
		{"one", 1, 4},
		{"more items than workers", 1000, 3},
		{"more workers than items", 5, 16},
		{"default workers", 100, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := make([]atomic.Int32, tt.n)
			if err := forEach(context.Background(), tt.n, tt.workers, func(i int) { calls[i].Add(1) }); err != nil {
				t.Fatal(err)
			}
			for i := range calls {
				if c := calls[i].Load(); c != 1 {
					t.Fatalf("item %d was called %d times, want once", i, c)
				}
			}
		})
	}
}

// TestForEachCancel checks that a cancelled context stops the workers
// taking new items and is reported, so callers never read results of
// items that did not run.
func TestForEachCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := forEach(ctx, 1000, 2, func(i int) {
		if ran.Add(1) == 10 {
			cancel()
		}
	})
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := ran.Load(); n >= 1000 {
		t.Fatalf("all %d items ran after the context was cancelled", n)
	}
}
