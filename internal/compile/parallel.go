package compile

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// forEach calls f(i) for every i in [0, n) on up to workers goroutines
// (GOMAXPROCS when workers < 1) and returns when all calls have returned,
// or ctx's error if it was cancelled first. Each worker takes the next
// index in turn rather than each item getting a goroutine: executing a
// template needs a deep stack, and a fresh goroutine grows (copies) its
// stack again for every model, a quarter of a render's time.
func forEach(ctx context.Context, n, workers int, f func(i int)) error {
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
