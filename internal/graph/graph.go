// Package graph holds the project's dependency DAG: validation (duplicates,
// unknown parents, every cycle), a stable topological order and dbt's node
// selection grammar. It executes nothing and knows nothing of the rest of
// ingot (but for the shared typo suggestions), so it can be tested on plain
// node lists.
package graph

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/ingot-dev/ingot/internal/textutil"
)

// Node is one vertex of the DAG as the project loader describes it.
type Node struct {
	// ID is unique, e.g. "model.gold.invoice_averages", "seed.seeds.invoices",
	// "test.not_null_invoices_customer". For sources use "source.SOURCE.TABLE":
	// the source: selector reads the source name from it.
	ID           string
	Name         string // bare name, e.g. "invoice_averages"
	Schema       string // e.g. "gold"; for sources the source name is also accepted here
	ResourceType string // "model", "seed", "test", "source", ...
	// Path is project-relative with forward slashes,
	// e.g. "models/gold/invoice_averages.sql".
	Path string
	Tags []string
	// Config is the node's flattened config for config.KEY:VALUE selectors.
	// List values are joined with "," (e.g. unique_key "customer,account"):
	// a selector value matches the whole string or any one element.
	Config map[string]string
	// TestType is "unit" or "data" for tests ("generic" and "singular" are
	// accepted as finer kinds of "data"), "" otherwise.
	TestType string
	// marks are the values of the state, result and source_status methods
	// this node answers to (set with Graph.Mark).
	marks map[string][]string
	// AttachedTo lists, for tests, the IDs of the nodes they test; indirect
	// selection uses it. When empty, DependsOn is used instead.
	AttachedTo []string
	DependsOn  []string // parent IDs
}

// Graph is an immutable, validated, acyclic dependency graph. Its methods
// are safe for concurrent use. Slices inside returned Nodes are shared with
// the graph and must not be modified.
type Graph struct {
	nodes    []Node         // sorted by ID
	index    map[string]int // ID → position in nodes
	parents  [][]int        // sorted ascending, i.e. by ID
	children [][]int        // sorted ascending, i.e. by ID
	order    []int          // topological order, ties by ID
	rank     []int          // position of each node in order
}

// DuplicateError reports two nodes with the same ID.
type DuplicateError struct {
	ID string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("duplicate node %q", e.ID)
}

// UnknownParentError reports a dependency on a node that does not exist.
type UnknownParentError struct {
	ID         string // the node that declares the dependency
	Parent     string // the missing parent
	Suggestion string // closest existing ID, or ""
}

func (e *UnknownParentError) Error() string {
	msg := fmt.Sprintf("%s depends on unknown node %q", e.ID, e.Parent)
	if e.Suggestion != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggestion)
	}
	return msg
}

// CycleError reports every dependency cycle found: one per strongly
// connected component (the shortest through its smallest ID), plus every
// self-dependency. Each cycle is a path of node IDs that starts and ends with
// the same ID, in data-flow order: every node is followed by a node that
// depends on it. Cycles are sorted so the output is deterministic.
type CycleError struct {
	Cycles [][]string
}

func (e *CycleError) Error() string {
	lines := make([]string, len(e.Cycles))
	for i, c := range e.Cycles {
		lines[i] = "dependency cycle: " + strings.Join(c, " → ")
	}
	return strings.Join(lines, "\n")
}

// New validates nodes and builds the graph. It reports all problems at once,
// joined with errors.Join: every *DuplicateError, every *UnknownParentError
// and one *CycleError holding every cycle (use errors.As to get them).
func New(nodes []Node) (*Graph, error) {
	var errs []error
	sorted := make([]Node, 0, len(nodes))
	seen := make(map[string]bool, len(nodes))
	for _, n := range nodes {
		if seen[n.ID] {
			errs = append(errs, &DuplicateError{ID: n.ID})
			continue
		}
		seen[n.ID] = true
		sorted = append(sorted, cloneNode(n))
	}
	slices.SortFunc(sorted, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })

	g := &Graph{
		nodes:    sorted,
		index:    make(map[string]int, len(sorted)),
		parents:  make([][]int, len(sorted)),
		children: make([][]int, len(sorted)),
	}
	for i, n := range sorted {
		g.index[n.ID] = i
	}
	var ids []string // built lazily: only needed for suggestions
	for i, n := range sorted {
		for _, p := range n.DependsOn {
			j, ok := g.index[p]
			if !ok {
				if ids == nil {
					ids = make([]string, len(sorted))
					for k, m := range sorted {
						ids[k] = m.ID
					}
				}
				errs = append(errs, &UnknownParentError{ID: n.ID, Parent: p, Suggestion: textutil.Suggest(p, ids)})
				continue
			}
			g.parents[i] = append(g.parents[i], j)
		}
		slices.Sort(g.parents[i])
		g.parents[i] = slices.Compact(g.parents[i])
		for _, j := range g.parents[i] {
			g.children[j] = append(g.children[j], i)
		}
	}
	// children were appended in ascending i, so they are already sorted.

	if cycles := g.cycles(); len(cycles) > 0 {
		errs = append(errs, &CycleError{Cycles: cycles})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	g.topoSort()
	return g, nil
}

func cloneNode(n Node) Node {
	n.Tags = slices.Clone(n.Tags)
	n.AttachedTo = slices.Clone(n.AttachedTo)
	n.DependsOn = slices.Clone(n.DependsOn)
	if n.Config != nil {
		c := make(map[string]string, len(n.Config))
		for k, v := range n.Config {
			c[k] = v
		}
		n.Config = c
	}
	return n
}

// intHeap is a min-heap of node positions; positions sorted by ID make
// Kahn's ready set break ties by ID.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (g *Graph) topoSort() {
	n := len(g.nodes)
	indeg := make([]int, n)
	ready := &intHeap{}
	for i := range n {
		indeg[i] = len(g.parents[i])
		if indeg[i] == 0 {
			*ready = append(*ready, i)
		}
	}
	heap.Init(ready)
	g.order = make([]int, 0, n)
	g.rank = make([]int, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		g.rank[i] = len(g.order)
		g.order = append(g.order, i)
		for _, c := range g.children[i] {
			indeg[c]--
			if indeg[c] == 0 {
				heap.Push(ready, c)
			}
		}
	}
}

// Len is the number of nodes.
func (g *Graph) Len() int { return len(g.nodes) }

// Node returns the node with the given ID.
func (g *Graph) Node(id string) (Node, bool) {
	i, ok := g.index[id]
	if !ok {
		return Node{}, false
	}
	return g.nodes[i], true
}

// Nodes returns every node in topological order.
func (g *Graph) Nodes() []Node {
	out := make([]Node, len(g.order))
	for k, i := range g.order {
		out[k] = g.nodes[i]
	}
	return out
}

// Order returns every node ID in topological order: parents before children,
// ties broken by ID, so the order is stable from run to run.
func (g *Graph) Order() []string {
	return g.idsOf(g.order)
}

// Rank is the position of id in Order, or -1 when id is unknown.
func (g *Graph) Rank(id string) int {
	i, ok := g.index[id]
	if !ok {
		return -1
	}
	return g.rank[i]
}

// Parents returns the direct parents of id, sorted by ID.
func (g *Graph) Parents(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.idsOf(g.parents[i])
}

// Children returns the direct children of id, sorted by ID.
func (g *Graph) Children(id string) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	return g.idsOf(g.children[i])
}

// Ancestors returns the nodes id depends on, up to depth edges away
// (-1 = all), in topological order, without id itself.
func (g *Graph) Ancestors(id string, depth int) []string {
	return g.reach(id, depth, g.parents)
}

// Descendants returns the nodes that depend on id, up to depth edges away
// (-1 = all), in topological order, without id itself.
func (g *Graph) Descendants(id string, depth int) []string {
	return g.reach(id, depth, g.children)
}

func (g *Graph) reach(id string, depth int, edges [][]int) []string {
	i, ok := g.index[id]
	if !ok {
		return nil
	}
	set := make([]bool, len(g.nodes))
	g.expand([]int{i}, depth, edges, set)
	set[i] = false
	return g.idsOf(g.inOrder(set))
}

// expand marks in set every node reachable from start within depth edges
// (-1 = unlimited), start included. Breadth-first, so depth is the shortest
// distance from any start node.
func (g *Graph) expand(start []int, depth int, edges [][]int, set []bool) {
	visited := make([]bool, len(g.nodes))
	frontier := make([]int, 0, len(start))
	for _, s := range start {
		if !visited[s] {
			visited[s] = true
			set[s] = true
			frontier = append(frontier, s)
		}
	}
	for d := 0; len(frontier) > 0 && (depth < 0 || d < depth); d++ {
		var next []int
		for _, n := range frontier {
			for _, m := range edges[n] {
				if !visited[m] {
					visited[m] = true
					set[m] = true
					next = append(next, m)
				}
			}
		}
		frontier = next
	}
}

// inOrder lists the positions marked in set, in topological order.
func (g *Graph) inOrder(set []bool) []int {
	var out []int
	for _, i := range g.order {
		if set[i] {
			out = append(out, i)
		}
	}
	return out
}

func (g *Graph) idsOf(pos []int) []string {
	if len(pos) == 0 {
		return nil
	}
	out := make([]string, len(pos))
	for k, i := range pos {
		out[k] = g.nodes[i].ID
	}
	return out
}

// Mark makes node id match method:value (method is MethodState,
// MethodResult or MethodSourceStatus): those selectors compare the project
// with a previous run's artifacts, which the graph does not read itself.
func (g *Graph) Mark(id, method, value string) {
	i, ok := g.index[id]
	if !ok {
		return
	}
	n := &g.nodes[i]
	if n.marks == nil {
		n.marks = map[string][]string{}
	}
	if !slices.Contains(n.marks[method], value) {
		n.marks[method] = append(n.marks[method], value)
	}
}
