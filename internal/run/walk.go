package run

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/graph"
)

// Status is the walker's view of a node's outcome: only whether its
// children may run. Callers map their own richer statuses onto it (a test at
// warn severity is StatusOK).
type Status string

const (
	StatusOK     Status = "ok"      // success, pass or warn: children may run
	StatusFailed Status = "failed"  // error or failed test: children are skipped; triggers FailFast
	StatusSkip   Status = "skipped" // not run; fn may return it too, and children are then skipped
)

// Failed reports whether the status is a failure (it triggers FailFast).
// Skipped nodes are not failures themselves, but they too keep their
// children from running.
func (s Status) Failed() bool { return s == StatusFailed }

// blocks reports whether children of a node with this status must be skipped.
func (s Status) blocks() bool { return s == StatusFailed || s == StatusSkip }

// NodeResult is what happened to one node.
type NodeResult struct {
	ID     string
	Status Status
	Err    error
	// SkippedBecause names the failed (or self-skipped) ancestor that kept
	// this node from running; it is the root cause, not the nearest skipped
	// parent. It is "" for nodes that ran, and for nodes left out because the
	// walk was cancelled: then Err holds the cancellation cause (the caller's
	// context.Cause, or a *FailFastError).
	SkippedBecause string
	// Started and Duration are set by Walk for nodes whose fn ran.
	Started  time.Time
	Duration time.Duration
	// Detail is the fn's own payload (rows affected, compiled path, ...),
	// passed through untouched.
	Detail any
}

// WalkEvent reports progress so the caller can print one line per node
// start and end.
type WalkEvent struct {
	Start bool // true: fn is about to be called; false: the node ended or was skipped (skipped nodes get no start event)
	ID    string
	// Index numbers nodes 1..Total in the order they start or are skipped;
	// a node's end event repeats the index of its start event.
	Index  int
	Total  int
	Result *NodeResult // set on end events
}

// WalkOptions tune Walk.
type WalkOptions struct {
	Threads  int  // nodes run at once; values below 1 mean 1
	FailFast bool // the first StatusFailed cancels the walk (see FailFastError)
}

// FailFastError is the cancellation cause under FailFast: ID is the first
// node that returned StatusFailed. Nodes it kept from starting carry it in NodeResult.Err.
type FailFastError struct {
	ID string
}

func (e *FailFastError) Error() string {
	return fmt.Sprintf("not run: --fail-fast stopped the run after %s failed", e.ID)
}

// Walk runs fn for every id in ids (a subset of g, usually a Selection), at
// most opts.Threads at a time, so that a node starts only after every node of
// ids it depends on finished without failure. Dependencies pass through
// nodes that are not in ids: if a → b → c and only a and c are walked, c
// still waits for a (b is assumed built and is not run).
//
// When a dependency fails or is skipped, the node is not run and is reported
// StatusSkip, naming the failed ancestor; independent branches go on.
//
// Among ready nodes the one first in g's topological order starts first, so
// with one thread the run order is deterministic.
//
// When ctx is cancelled (or, under FailFast, a node fails), no new node
// starts, running fns see their ctx cancelled, and every node not run is
// reported skipped. Walk returns only after every fn it called has returned.
// A fn that panics is reported as StatusFailed; a fn that returns no status
// gets StatusOK, or StatusFailed when it returned an error.
//
// events (may be nil) is called from Walk's own goroutine, one call at a time,
// so the caller needs no locking. The results are in g's topological order;
// ids unknown to g come first, as errors.
func Walk(ctx context.Context, g *graph.Graph, ids []string, opts WalkOptions, fn func(ctx context.Context, id string) NodeResult, events func(WalkEvent)) []NodeResult {
	w := newWalker(g, ids)
	w.emit = events
	if w.emit == nil {
		w.emit = func(WalkEvent) {}
	}
	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	w.run(wctx, cancel, max(1, opts.Threads), opts.FailFast, fn)

	out := make([]NodeResult, 0, len(w.unknown)+len(w.nodes))
	out = append(out, w.unknown...)
	for i := range w.nodes {
		out = append(out, w.nodes[i].res)
	}
	return out
}

type walkNode struct {
	id       string
	parents  []int // positions in walker.nodes, ascending = topological order
	children []int
	pending  int // parents not yet done
	done     bool
	index    int // event index, 0 until started or skipped
	res      NodeResult
}

type walker struct {
	nodes   []walkNode // in topological order
	unknown []NodeResult
	total   int
	next    int // last event index handed out
	emit    func(WalkEvent)
}

type finished struct {
	i   int
	res NodeResult
}

func newWalker(g *graph.Graph, ids []string) *walker {
	w := &walker{}
	seen := map[string]bool{}
	var known []string
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if g.Rank(id) < 0 {
			w.unknown = append(w.unknown, NodeResult{ID: id, Status: StatusFailed, Err: fmt.Errorf("unknown node %q", id)})
			continue
		}
		known = append(known, id)
	}
	slices.SortFunc(known, func(a, b string) int { return g.Rank(a) - g.Rank(b) })
	w.total = len(w.unknown) + len(known)

	pos := make(map[string]int, len(known))
	w.nodes = make([]walkNode, len(known))
	for i, id := range known {
		pos[id] = i
		w.nodes[i].id = id
	}
	// nearest memoizes, for a node outside the walk, the walked nodes it
	// depends on through other unwalked ones. Only ancestors of walked nodes
	// are ever visited.
	memo := map[string][]int{}
	var nearest func(id string) []int
	nearest = func(id string) []int {
		if got, ok := memo[id]; ok {
			return got
		}
		var out []int
		for _, p := range g.Parents(id) {
			if j, ok := pos[p]; ok {
				out = append(out, j)
			} else {
				out = append(out, nearest(p)...)
			}
		}
		slices.Sort(out)
		out = slices.Compact(out)
		memo[id] = out
		return out
	}
	for i := range w.nodes {
		n := &w.nodes[i]
		var ps []int
		for _, p := range g.Parents(n.id) {
			if j, ok := pos[p]; ok {
				ps = append(ps, j)
			} else {
				ps = append(ps, nearest(p)...)
			}
		}
		slices.Sort(ps)
		n.parents = slices.Compact(ps)
		n.pending = len(n.parents)
		for _, p := range n.parents {
			w.nodes[p].children = append(w.nodes[p].children, i)
		}
	}
	return w
}

func (w *walker) run(ctx context.Context, cancel context.CancelCauseFunc, threads int, failFast bool, fn func(context.Context, string) NodeResult) {
	for i := range w.unknown {
		w.next++
		w.emit(WalkEvent{ID: w.unknown[i].ID, Index: w.next, Total: w.total, Result: &w.unknown[i]})
	}

	ready := &posHeap{}
	for i := range w.nodes {
		if w.nodes[i].pending == 0 {
			heap.Push(ready, i)
		}
	}
	results := make(chan finished, threads) // never blocks a worker: at most threads are running
	var wg sync.WaitGroup
	defer wg.Wait()
	running := 0
	for {
		for running < threads && ready.Len() > 0 && ctx.Err() == nil {
			i := heap.Pop(ready).(int)
			n := &w.nodes[i]
			w.next++
			n.index = w.next
			w.emit(WalkEvent{Start: true, ID: n.id, Index: n.index, Total: w.total})
			running++
			id := n.id
			wg.Go(func() { results <- finished{i, call(ctx, fn, id)} })
		}
		if running == 0 {
			break
		}
		f := <-results
		running--
		w.finish(f.i, f.res, ready)
		if failFast && f.res.Status.Failed() && ctx.Err() == nil {
			cancel(&FailFastError{ID: f.res.ID})
		}
	}

	// What is left never ran because the walk was cancelled. Topological
	// order resolves parents before their children.
	for i := range w.nodes {
		if !w.nodes[i].done {
			cause := context.Cause(ctx)
			if cause == nil {
				cause = errors.New("internal error: node never became ready")
			}
			w.skip(i, cause)
		}
	}
}

// call runs fn and fills in what the walker owns: ID, timing, a default
// status, and an error instead of a panic.
func call(ctx context.Context, fn func(context.Context, string) NodeResult, id string) (res NodeResult) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res = NodeResult{Status: StatusFailed, Err: fmt.Errorf("%s: internal error: %v", id, r)}
		}
		res.ID = id
		res.Started = start
		res.Duration = time.Since(start)
		if res.Status == "" {
			res.Status = StatusOK
			if res.Err != nil {
				res.Status = StatusFailed
			}
		}
	}()
	return fn(ctx, id)
}

// finish records a node's result and resolves the children it unblocks, in
// topological order: those with a blocking parent are skipped at once (which
// may unblock further nodes), the others become ready.
func (w *walker) finish(i int, res NodeResult, ready *posHeap) {
	n := &w.nodes[i]
	n.res = res
	n.done = true
	w.emit(WalkEvent{ID: n.id, Index: n.index, Total: w.total, Result: &n.res})

	resolve := &posHeap{}
	release := func(i int) {
		for _, c := range w.nodes[i].children {
			w.nodes[c].pending--
			if w.nodes[c].pending == 0 {
				heap.Push(resolve, c)
			}
		}
	}
	release(i)
	for resolve.Len() > 0 {
		c := heap.Pop(resolve).(int)
		if w.blocked(c) {
			w.skip(c, nil)
			release(c)
		} else {
			heap.Push(ready, c)
		}
	}
}

func (w *walker) blocked(i int) bool {
	for _, p := range w.nodes[i].parents {
		if pn := &w.nodes[p]; pn.done && pn.res.Status.blocks() {
			return true
		}
	}
	return false
}

// skip reports node i as not run. The first blocking parent (in topological
// order) with a root cause names it; when only cancelled parents block, or
// none does, the node was cancelled with cause.
func (w *walker) skip(i int, cause error) {
	n := &w.nodes[i]
	n.done = true
	n.res = NodeResult{ID: n.id, Status: StatusSkip}
	for _, p := range n.parents {
		pn := &w.nodes[p]
		if !pn.done || !pn.res.Status.blocks() {
			continue
		}
		blame := pn.res.SkippedBecause
		if ran := !pn.res.Started.IsZero(); ran && (pn.res.Status.Failed() || blame == "") {
			blame = pn.id // it ran and failed, or skipped itself
		}
		if blame != "" {
			n.res.SkippedBecause = blame
			break
		}
		if cause == nil {
			cause = pn.res.Err
		}
	}
	if n.res.SkippedBecause == "" {
		n.res.Err = cause
	}
	w.next++
	n.index = w.next
	w.emit(WalkEvent{ID: n.id, Index: n.index, Total: w.total, Result: &n.res})
}

// posHeap is a min-heap of node positions; positions follow topological
// order, so popping yields the node first in that order.
type posHeap []int

func (h posHeap) Len() int           { return len(h) }
func (h posHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h posHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *posHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *posHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
