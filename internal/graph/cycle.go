package graph

import (
	"slices"
)

// cycles finds one cycle per strongly connected component with more than one
// node, plus every self-dependency. Listing all elementary cycles can grow
// exponentially; one per component names every knot the user has to untie.
func (g *Graph) cycles() [][]string {
	var out [][]string
	for _, comp := range g.sccs() {
		inComp := make(map[int]bool, len(comp))
		for _, i := range comp {
			inComp[i] = true
		}
		if len(comp) > 1 {
			out = append(out, g.idsOf(g.shortestCycle(slices.Min(comp), inComp)))
		}
		for _, i := range comp {
			if _, self := slices.BinarySearch(g.children[i], i); self {
				out = append(out, []string{g.nodes[i].ID, g.nodes[i].ID})
			}
		}
	}
	slices.SortFunc(out, slices.Compare)
	return out
}

// shortestCycle returns the shortest path start → … → start inside one
// component, following children in ID order so the choice is deterministic.
func (g *Graph) shortestCycle(start int, inComp map[int]bool) []int {
	prev := map[int]int{}
	queue := []int{start}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, c := range g.children[n] {
			if !inComp[c] {
				continue
			}
			if c == start {
				path := []int{start}
				for m := n; m != start; m = prev[m] {
					path = append(path, m)
				}
				path = append(path, start)
				slices.Reverse(path)
				return path
			}
			if _, seen := prev[c]; !seen {
				prev[c] = n
				queue = append(queue, c)
			}
		}
	}
	return []int{start, start} // unreachable for a real component
}

// sccs returns the strongly connected components (Tarjan's algorithm) that
// contain a cycle: more than one node, or one node depending on itself.
func (g *Graph) sccs() [][]int {
	n := len(g.nodes)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0

	// Iterative depth-first search: a chain of many thousand models must not
	// depend on goroutine stack growth.
	type frame struct{ node, child int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			v := f.node
			if f.child < len(g.children[v]) {
				w := g.children[v][f.child]
				f.child++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[v] = min(low[v], index[w])
				}
				continue
			}
			call = call[:len(call)-1]
			if len(call) > 0 {
				p := call[len(call)-1].node
				low[p] = min(low[p], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 {
				out = append(out, comp)
			} else if _, self := slices.BinarySearch(g.children[v], v); self {
				out = append(out, comp)
			}
		}
	}
	return out
}
