package run

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/graph"
)

// dag builds a graph from "child<-parent1,parent2" specs.
func dag(t *testing.T, specs ...string) *graph.Graph {
	t.Helper()
	var nodes []graph.Node
	for _, s := range specs {
		id, deps, _ := strings.Cut(s, "<-")
		n := graph.Node{ID: id, Name: id, ResourceType: "model"}
		if deps != "" {
			n.DependsOn = strings.Split(deps, ",")
		}
		nodes = append(nodes, n)
	}
	g, err := graph.New(nodes)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// outcome renders a result compactly: "a:ok", "c:skipped<b", "d:skipped!canceled".
func outcome(r NodeResult) string {
	s := r.ID + ":" + string(r.Status)
	if r.SkippedBecause != "" {
		s += "<" + r.SkippedBecause
	}
	if r.Status == StatusSkip && r.SkippedBecause == "" && r.Err != nil {
		var ff *FailFastError
		switch {
		case errors.As(r.Err, &ff):
			s += "!failfast:" + ff.ID
		case errors.Is(r.Err, context.Canceled):
			s += "!canceled"
		default:
			s += "!" + r.Err.Error()
		}
	}
	return s
}

func outcomes(rs []NodeResult) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = outcome(r)
	}
	return out
}

// eventLog records events as "start a 1/3" and "end a 1/3 ok" lines.
type eventLog struct {
	lines  []string
	inside atomic.Bool
}

func (l *eventLog) record(t *testing.T) func(WalkEvent) {
	return func(e WalkEvent) {
		if l.inside.Swap(true) {
			t.Error("events called concurrently")
		}
		defer l.inside.Store(false)
		if e.Start {
			l.lines = append(l.lines, fmt.Sprintf("start %s %d/%d", e.ID, e.Index, e.Total))
			return
		}
		l.lines = append(l.lines, fmt.Sprintf("end %s %d/%d %s", e.ID, e.Index, e.Total, outcome(*e.Result)))
	}
}

func TestWalkSequential(t *testing.T) {
	tests := []struct {
		name   string
		specs  []string
		ids    []string // nil = all, in Order
		status map[string]Status
		fail   bool // FailFast
		want   []string
		events []string
	}{
		{
			name:  "chain all ok, topological start order",
			specs: []string{"c<-b", "b<-a", "a"},
			want:  []string{"a:ok", "b:ok", "c:ok"},
			events: []string{
				"start a 1/3", "end a 1/3 a:ok", "start b 2/3", "end b 2/3 b:ok", "start c 3/3", "end c 3/3 c:ok",
			},
		},
		{
			name:   "failure skips the rest of a chain, naming the root cause",
			specs:  []string{"a", "b<-a", "c<-b", "d<-c"},
			status: map[string]Status{"b": StatusFailed},
			want:   []string{"a:ok", "b:failed", "c:skipped<b", "d:skipped<b"},
			events: []string{
				"start a 1/4", "end a 1/4 a:ok", "start b 2/4", "end b 2/4 b:failed",
				"end c 3/4 c:skipped<b", "end d 4/4 d:skipped<b",
			},
		},
		{
			name:   "diamond: the other branch runs, the join is skipped",
			specs:  []string{"a", "b<-a", "c<-a", "d<-b,c"},
			status: map[string]Status{"b": StatusFailed},
			want:   []string{"a:ok", "b:failed", "c:ok", "d:skipped<b"},
			events: []string{
				"start a 1/4", "end a 1/4 a:ok", "start b 2/4", "end b 2/4 b:failed",
				"start c 3/4", "end c 3/4 c:ok", "end d 4/4 d:skipped<b",
			},
		},
		{
			name:   "diamond with both branches failing names the first in order",
			specs:  []string{"a", "b<-a", "c<-a", "d<-b,c"},
			status: map[string]Status{"c": StatusFailed, "b": StatusFailed},
			want:   []string{"a:ok", "b:failed", "c:failed", "d:skipped<b"},
		},
		{
			name:   "root failure skips everything below",
			specs:  []string{"a", "b<-a", "c<-a", "d<-b,c"},
			status: map[string]Status{"a": StatusFailed},
			want:   []string{"a:failed", "b:skipped<a", "c:skipped<a", "d:skipped<a"},
		},
		{
			name:   "independent branches continue after a failure",
			specs:  []string{"a", "b<-a", "x", "y<-x"},
			status: map[string]Status{"a": StatusFailed},
			want:   []string{"a:failed", "b:skipped<a", "x:ok", "y:ok"},
			events: []string{
				"start a 1/4", "end a 1/4 a:failed", "end b 2/4 b:skipped<a",
				"start x 3/4", "end x 3/4 x:ok", "start y 4/4", "end y 4/4 y:ok",
			},
		},
		{
			name:   "a node skipping itself skips its children",
			specs:  []string{"a", "b<-a"},
			status: map[string]Status{"a": StatusSkip},
			want:   []string{"a:skipped", "b:skipped<a"},
		},
		{
			name:  "dependencies pass through nodes left out of the walk",
			specs: []string{"a", "b<-a", "c<-b", "z"},
			ids:   []string{"c", "a"},
			status: map[string]Status{
				"a": StatusFailed,
			},
			want: []string{"a:failed", "c:skipped<a"},
		},
		{
			name:  "a walk of descendants only runs them",
			specs: []string{"a", "b<-a", "c<-b"},
			ids:   []string{"c", "b", "b"},
			want:  []string{"b:ok", "c:ok"},
		},
		{
			name:   "fail-fast skips what has not started",
			specs:  []string{"a", "b", "c<-a", "d"},
			status: map[string]Status{"b": StatusFailed},
			fail:   true,
			want:   []string{"a:ok", "b:failed", "c:skipped!failfast:b", "d:skipped!failfast:b"},
		},
		{
			name:   "fail-fast: descendants of the failure are still blamed on it",
			specs:  []string{"a", "b<-a", "c"},
			status: map[string]Status{"a": StatusFailed},
			fail:   true,
			want:   []string{"a:failed", "b:skipped<a", "c:skipped!failfast:a"},
		},
		{
			name:  "unknown ids are errors and do not stop the walk",
			specs: []string{"a"},
			ids:   []string{"a", "ghost"},
			want:  []string{"ghost:failed", "a:ok"},
			events: []string{
				"end ghost 1/2 ghost:failed", "start a 2/2", "end a 2/2 a:ok",
			},
		},
		{
			name:  "empty walk",
			specs: []string{"a"},
			ids:   []string{},
			want:  []string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := dag(t, tt.specs...)
			ids := tt.ids
			if ids == nil {
				ids = g.Order()
			}
			var log eventLog
			var mu sync.Mutex
			var ran []string
			res := Walk(t.Context(), g, ids, WalkOptions{Threads: 1, FailFast: tt.fail},
				func(ctx context.Context, id string) NodeResult {
					mu.Lock()
					ran = append(ran, id)
					mu.Unlock()
					return NodeResult{Status: tt.status[id]}
				}, log.record(t))
			if got := outcomes(res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("results = %q\nwant      %q", got, tt.want)
			}
			if tt.events != nil && !reflect.DeepEqual(log.lines, tt.events) {
				t.Errorf("events = %q\nwant     %q", log.lines, tt.events)
			}
			for _, r := range res {
				wasRun := slices.Contains(ran, r.ID)
				if wasRun != !r.Started.IsZero() {
					t.Errorf("%s: ran=%v but Started=%v", r.ID, wasRun, r.Started)
				}
				if wasRun && r.Status == StatusSkip && r.SkippedBecause != "" {
					t.Errorf("%s ran but is reported skipped because of %s", r.ID, r.SkippedBecause)
				}
			}
			checkEvents(t, log.lines, len(res))
		})
	}
}

// checkEvents asserts that every node has exactly one end event, after its
// start event if any, and that indices are 1..total.
func checkEvents(t *testing.T, lines []string, total int) {
	t.Helper()
	started := map[string]string{}
	ended := map[string]bool{}
	seen := map[string]bool{}
	for _, l := range lines {
		f := strings.Fields(l)
		kind, id, idx := f[0], f[1], f[2]
		if !strings.HasSuffix(idx, fmt.Sprintf("/%d", total)) {
			t.Errorf("bad total in %q", l)
		}
		switch kind {
		case "start":
			if started[id] != "" || ended[id] {
				t.Errorf("%s started twice or after its end", id)
			}
			if seen[idx] {
				t.Errorf("index %s used twice", idx)
			}
			seen[idx] = true
			started[id] = idx
		case "end":
			if ended[id] {
				t.Errorf("%s ended twice", id)
			}
			ended[id] = true
			if s := started[id]; s != "" && s != idx {
				t.Errorf("%s: end index %s differs from start %s", id, idx, s)
			}
			if started[id] == "" {
				if seen[idx] {
					t.Errorf("index %s used twice", idx)
				}
				seen[idx] = true
			}
		}
	}
	if len(ended) != total || len(seen) != total {
		t.Errorf("%d nodes ended, %d indices, want %d", len(ended), len(seen), total)
	}
}

func TestWalkErrorAndPanic(t *testing.T) {
	g := dag(t, "a", "b<-a", "p", "q<-p", "w", "x<-w")
	res := Walk(t.Context(), g, g.Order(), WalkOptions{Threads: 2}, func(ctx context.Context, id string) NodeResult {
		switch id {
		case "a":
			return NodeResult{Err: errors.New("boom"), Detail: 42}
		case "p":
			panic("bad thing")
		case "w":
			return NodeResult{Status: StatusOK, Detail: "rows=3"}
		}
		return NodeResult{}
	}, nil)
	got := map[string]NodeResult{}
	for _, r := range res {
		got[r.ID] = r
	}
	if r := got["a"]; r.Status != StatusFailed || r.Err == nil || r.Detail != 42 {
		t.Errorf("error without status: %+v", r)
	}
	if r := got["p"]; r.Status != StatusFailed || !strings.Contains(fmt.Sprint(r.Err), "p: internal error: bad thing") {
		t.Errorf("panic: %+v", r)
	}
	if got["b"].SkippedBecause != "a" || got["q"].SkippedBecause != "p" {
		t.Errorf("children not skipped: %+v %+v", got["b"], got["q"])
	}
	if r := got["x"]; r.Status != StatusOK || got["w"].Detail != "rows=3" {
		t.Errorf("healthy branch: %+v %+v", got["w"], r)
	}
}

// TestWalkThreads checks the limit is honoured and reached: the first
// `threads` nodes wait for each other, which only works if they run at once.
func TestWalkThreads(t *testing.T) {
	for _, threads := range []int{1, 3, 8} {
		t.Run(fmt.Sprint(threads), func(t *testing.T) {
			specs := make([]string, 40)
			for i := range specs {
				specs[i] = fmt.Sprintf("n%02d", i)
				if i >= 30 {
					specs[i] += fmt.Sprintf("<-n%02d,n%02d", i-30, i-29) // some dependencies too
				}
			}
			g := dag(t, specs...)
			var cur, peak, calls atomic.Int32
			gate := make(chan struct{})
			var arrived atomic.Int32
			res := Walk(t.Context(), g, g.Order(), WalkOptions{Threads: threads}, func(ctx context.Context, id string) NodeResult {
				calls.Add(1)
				c := cur.Add(1)
				defer cur.Add(-1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				if arrived.Add(1) == int32(threads) {
					close(gate)
				}
				select {
				case <-gate:
				case <-time.After(10 * time.Second): // a safety net, not an assertion on time
					return NodeResult{Status: StatusFailed, Err: errors.New("threads never ran together")}
				}
				return NodeResult{}
			}, nil)
			for _, r := range res {
				if r.Status != StatusOK {
					t.Fatalf("%s: %s %v", r.ID, r.Status, r.Err)
				}
			}
			if peak.Load() != int32(threads) || calls.Load() != 40 {
				t.Errorf("peak concurrency %d, calls %d; want %d, 40", peak.Load(), calls.Load(), threads)
			}
		})
	}
}

func TestWalkCancel(t *testing.T) {
	// a and b run together; a cancels the walk. b is running and must see it;
	// e is ready but waiting for a thread and must not start; c and d wait
	// on a and b.
	g := dag(t, "a", "b", "c<-a", "d<-b", "e")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var mu sync.Mutex
	started := map[string]bool{}
	var running atomic.Int32
	var log eventLog
	res := Walk(ctx, g, g.Order(), WalkOptions{Threads: 2}, func(fctx context.Context, id string) NodeResult {
		running.Add(1)
		defer running.Add(-1)
		mu.Lock()
		started[id] = true
		mu.Unlock()
		switch id {
		case "a":
			cancel()
			return NodeResult{Status: StatusFailed, Err: fctx.Err()}
		case "b":
			<-fctx.Done()                     // a long statement, interrupted
			time.Sleep(20 * time.Millisecond) // cleanup after cancellation must finish before Walk returns
			return NodeResult{Status: StatusOK}
		}
		return NodeResult{}
	}, log.record(t))
	if n := running.Load(); n != 0 {
		t.Fatalf("Walk returned with %d fns still running", n)
	}
	want := []string{"a:failed", "b:ok", "c:skipped<a", "d:skipped!canceled", "e:skipped!canceled"}
	if got := outcomes(res); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q\nwant      %q", got, want)
	}
	if !reflect.DeepEqual(started, map[string]bool{"a": true, "b": true}) {
		t.Errorf("started = %v", started)
	}
	checkEvents(t, log.lines, 5)
}

func TestWalkCancelledBeforeStart(t *testing.T) {
	g := dag(t, "a", "b<-a")
	ctx, cancel := context.WithCancelCause(t.Context())
	stop := errors.New("interrupted")
	cancel(stop)
	res := Walk(ctx, g, g.Order(), WalkOptions{Threads: 4}, func(ctx context.Context, id string) NodeResult {
		t.Errorf("%s started", id)
		return NodeResult{}
	}, nil)
	for _, r := range res {
		if r.Status != StatusSkip || !errors.Is(r.Err, stop) || r.SkippedBecause != "" {
			t.Errorf("%s: %+v", r.ID, r)
		}
	}
}

func TestWalkFailFastCancelsRunning(t *testing.T) {
	g := dag(t, "a", "b", "c")
	var cause error
	res := Walk(t.Context(), g, g.Order(), WalkOptions{Threads: 2, FailFast: true}, func(ctx context.Context, id string) NodeResult {
		switch id {
		case "a":
			return NodeResult{Status: StatusFailed}
		case "b":
			<-ctx.Done()
			cause = context.Cause(ctx)
			return NodeResult{Status: StatusFailed, Err: ctx.Err()}
		}
		return NodeResult{}
	}, nil)
	var ff *FailFastError
	if !errors.As(cause, &ff) || ff.ID != "a" {
		t.Errorf("running node saw cause %v", cause)
	}
	want := []string{"a:failed", "b:failed", "c:skipped!failfast:a"}
	if got := outcomes(res); !reflect.DeepEqual(got, want) {
		t.Errorf("results = %q, want %q", got, want)
	}
}

// TestWalkRandom checks the scheduling invariants on random graphs with
// random failures and many threads.
func TestWalkRandom(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		n := 150
		var specs []string
		for i := range n {
			s := fmt.Sprintf("n%03d", i)
			var ps []string
			for j := range i {
				if rng.IntN(40) == 0 {
					ps = append(ps, fmt.Sprintf("n%03d", j))
				}
			}
			if len(ps) > 0 {
				s += "<-" + strings.Join(ps, ",")
			}
			specs = append(specs, s)
		}
		g := dag(t, specs...)
		var ids []string
		for _, id := range g.Order() {
			if rng.IntN(5) > 0 {
				ids = append(ids, id)
			}
		}
		failing := map[string]bool{}
		for _, id := range ids {
			if rng.IntN(15) == 0 {
				failing[id] = true
			}
		}
		var mu sync.Mutex
		finished := map[string]bool{}
		walked := map[string]bool{}
		for _, id := range ids {
			walked[id] = true
		}
		var log eventLog
		res := Walk(t.Context(), g, ids, WalkOptions{Threads: 4}, func(ctx context.Context, id string) NodeResult {
			mu.Lock()
			defer mu.Unlock()
			for _, a := range g.Ancestors(id, -1) {
				if walked[a] && !finished[a] {
					t.Errorf("seed %d: %s started before its ancestor %s finished", seed, id, a)
				}
			}
			finished[id] = true
			if failing[id] {
				return NodeResult{Status: StatusFailed}
			}
			return NodeResult{}
		}, log.record(t))
		checkEvents(t, log.lines, len(ids))
		if len(res) != len(ids) {
			t.Fatalf("seed %d: %d results for %d ids", seed, len(res), len(ids))
		}
		for _, r := range res {
			var failedAnc []string
			for _, a := range g.Ancestors(r.ID, -1) {
				if failing[a] && walked[a] && finished[a] {
					failedAnc = append(failedAnc, a)
				}
			}
			switch {
			case len(failedAnc) > 0:
				if r.Status != StatusSkip || !slices.Contains(failedAnc, r.SkippedBecause) || finished[r.ID] {
					t.Errorf("seed %d: %s should be skipped because of one of %v: %+v", seed, r.ID, failedAnc, r)
				}
			case failing[r.ID]:
				if r.Status != StatusFailed || !finished[r.ID] {
					t.Errorf("seed %d: %s should have failed: %+v", seed, r.ID, r)
				}
			default:
				if r.Status != StatusOK || !finished[r.ID] {
					t.Errorf("seed %d: %s should have run: %+v", seed, r.ID, r)
				}
			}
		}
	}
}
