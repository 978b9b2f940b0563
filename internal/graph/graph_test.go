package graph

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/textutil"
)

func mustNew(t *testing.T, nodes []Node) *Graph {
	t.Helper()
	g, err := New(nodes)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return g
}

// chain builds nodes from "child<-parent1,parent2" specs.
func chain(specs ...string) []Node {
	var out []Node
	for _, s := range specs {
		id, deps, _ := strings.Cut(s, "<-")
		n := Node{ID: id, Name: id, ResourceType: "model"}
		if deps != "" {
			n.DependsOn = strings.Split(deps, ",")
		}
		out = append(out, n)
	}
	return out
}

func TestOrderStableTiesByID(t *testing.T) {
	tests := []struct {
		name  string
		nodes []Node
		want  []string
	}{
		{"empty", nil, nil},
		{"independent sorted by id", chain("c", "a", "b"), []string{"a", "b", "c"}},
		{"chain against id order", chain("a<-b", "b<-c", "c"), []string{"c", "b", "a"}},
		{
			"diamond with ready ties",
			chain("d<-b,c", "c<-a", "b<-a", "a", "z", "e<-z"),
			[]string{"a", "b", "c", "d", "z", "e"},
		},
		{"duplicate parent listed twice", chain("b<-a,a", "a"), []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := mustNew(t, tt.nodes)
			if got := g.Order(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Order = %v, want %v", got, tt.want)
			}
			// Same nodes in another input order give the same order.
			rev := make([]Node, len(tt.nodes))
			for i, n := range tt.nodes {
				rev[len(rev)-1-i] = n
			}
			if got := mustNew(t, rev).Order(); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("reversed input: Order = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNavigation(t *testing.T) {
	g := mustNew(t, chain("a", "b<-a", "c<-b", "d<-c,a", "e<-d", "x"))
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"parents", g.Parents("d"), []string{"a", "c"}},
		{"children", g.Children("a"), []string{"b", "d"}},
		{"parents of root", g.Parents("a"), nil},
		{"parents of unknown", g.Parents("nope"), nil},
		{"ancestors all", g.Ancestors("e", -1), []string{"a", "b", "c", "d"}},
		{"ancestors depth 1", g.Ancestors("e", 1), []string{"d"}},
		{"ancestors depth 2 shortest path", g.Ancestors("e", 2), []string{"a", "c", "d"}},
		{"ancestors depth 0", g.Ancestors("e", 0), nil},
		{"descendants all", g.Descendants("a", -1), []string{"b", "c", "d", "e"}},
		{"descendants depth 1", g.Descendants("b", 1), []string{"c"}},
		{"descendants of leaf", g.Descendants("x", -1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if n, ok := g.Node("c"); !ok || n.ID != "c" {
		t.Fatalf("Node(c) = %v, %v", n, ok)
	}
	if _, ok := g.Node("nope"); ok {
		t.Fatal("Node(nope) found")
	}
	if g.Len() != 6 || len(g.Nodes()) != 6 || g.Nodes()[0].ID != "a" {
		t.Fatalf("Len/Nodes wrong: %d %v", g.Len(), g.Nodes())
	}
	if g.Rank("a") != 0 || g.Rank("nope") != -1 {
		t.Fatalf("Rank wrong")
	}
}

func TestNewCopiesInput(t *testing.T) {
	nodes := []Node{{ID: "a", Tags: []string{"x"}}, {ID: "b", DependsOn: []string{"a"}}}
	g := mustNew(t, nodes)
	nodes[0].Tags[0] = "changed"
	nodes[1].DependsOn[0] = "zzz"
	if n, _ := g.Node("a"); n.Tags[0] != "x" {
		t.Fatal("graph shares the caller's Tags slice")
	}
	if got := g.Parents("b"); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("Parents(b) = %v", got)
	}
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name       string
		nodes      []Node
		cycles     [][]string
		dups       []string
		unknown    []string // "id->parent"
		suggestion string
		msg        []string // substrings of Error()
	}{
		{
			name:   "self loop",
			nodes:  chain("a<-a", "b<-a"),
			cycles: [][]string{{"a", "a"}},
			msg:    []string{"dependency cycle: a → a"},
		},
		{
			name:   "two independent cycles are both reported",
			nodes:  chain("a<-c", "b<-a", "c<-b", "x<-y", "y<-x", "ok", "down<-c"),
			cycles: [][]string{{"a", "b", "c", "a"}, {"x", "y", "x"}},
			msg:    []string{"a → b → c → a", "x → y → x"},
		},
		{
			name:   "shortest cycle through the smallest id in a component",
			nodes:  chain("a<-d", "b<-a", "c<-b", "d<-c,e", "e<-a"),
			cycles: [][]string{{"a", "e", "d", "a"}},
		},
		{
			name:   "component with an extra self loop",
			nodes:  chain("a<-b", "b<-a,b"),
			cycles: [][]string{{"a", "b", "a"}, {"b", "b"}},
		},
		{
			name:  "duplicates and unknown parents are all reported",
			nodes: chain("a", "a", "b<-slver_sales", "c<-nope,a", "silver_sales"),
			dups:  []string{"a"},
			unknown: []string{
				"b->slver_sales", "c->nope",
			},
			suggestion: "silver_sales",
			msg:        []string{`duplicate node "a"`, `b depends on unknown node "slver_sales" (did you mean "silver_sales"?)`, `c depends on unknown node "nope"`},
		},
		{
			name:    "cycles are found despite unknown parents",
			nodes:   chain("a<-b,ghost", "b<-a"),
			unknown: []string{"a->ghost"},
			cycles:  [][]string{{"a", "b", "a"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := New(tt.nodes)
			if err == nil || g != nil {
				t.Fatalf("New = %v, %v; want an error", g, err)
			}
			var ce *CycleError
			if errors.As(err, &ce) != (tt.cycles != nil) {
				t.Fatalf("CycleError presence wrong: %v", err)
			}
			if ce != nil && !reflect.DeepEqual(ce.Cycles, tt.cycles) {
				t.Fatalf("cycles = %q, want %q", ce.Cycles, tt.cycles)
			}
			var dups, unknown []string
			suggestion := ""
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var de *DuplicateError
				var ue *UnknownParentError
				switch {
				case errors.As(e, &de):
					dups = append(dups, de.ID)
				case errors.As(e, &ue):
					unknown = append(unknown, ue.ID+"->"+ue.Parent)
					if ue.Suggestion != "" {
						suggestion = ue.Suggestion
					}
				}
			}
			if !reflect.DeepEqual(dups, tt.dups) || !reflect.DeepEqual(unknown, tt.unknown) || suggestion != tt.suggestion {
				t.Fatalf("dups=%v unknown=%v suggestion=%q; want %v %v %q", dups, unknown, suggestion, tt.dups, tt.unknown, tt.suggestion)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
		})
	}
}

func TestLongChain(t *testing.T) {
	// Deep graphs must not overflow anything, with or without a cycle.
	const n = 50000
	nodes := make([]Node, n)
	for i := range nodes {
		nodes[i] = Node{ID: id5(i)}
		if i > 0 {
			nodes[i].DependsOn = []string{id5(i - 1)}
		}
	}
	g := mustNew(t, nodes)
	if o := g.Order(); o[0] != id5(0) || o[n-1] != id5(n-1) {
		t.Fatal("bad order")
	}
	nodes[0].DependsOn = []string{id5(n - 1)}
	_, err := New(nodes)
	var ce *CycleError
	if !errors.As(err, &ce) || len(ce.Cycles) != 1 || len(ce.Cycles[0]) != n+1 {
		t.Fatalf("want one cycle of %d nodes, got %v", n, err != nil)
	}
}

func id5(i int) string {
	const digits = "0123456789"
	b := []byte("n00000")
	for k := 5; k > 0; k-- {
		b[k] = digits[i%10]
		i /= 10
	}
	return string(b)
}

func TestSuggest(t *testing.T) {
	cands := []string{"silver_sales", "silver_products", "gold_kpi", "invoices", "Customers"}
	tests := []struct{ in, want string }{
		{"slver_sales", "silver_sales"},
		{"silver_sale", "silver_sales"},
		{"invoice", "invoices"},
		{"customers", "Customers"},
		{"gold_kpj", "gold_kpi"},
		{"completely_else", ""},
		{"ab", ""},
		{"", ""},
		{"invoices", ""}, // exact match: nothing to suggest
	}
	for _, tt := range tests {
		if got := textutil.Suggest(tt.in, cands); got != tt.want {
			t.Errorf("Suggest(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := textutil.Suggest("abcd", []string{"abcx", "abce"}); got != "abce" {
		t.Errorf("tie should go to the alphabetically first, got %q", got)
	}
}
