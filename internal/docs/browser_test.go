package docs_test

import (
	"context"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/docs"
)

// graphCheck reads a drawn graph back from the DOM: its node and edge
// ids, edges that do not run left to right, and boxes of one layer that
// overlap (the layout must avoid both).
const graphCheck = `((sel) => {
  const view = document.querySelector(sel);
  const pos = new Map(), boxes = [];
  view.querySelectorAll('g.gnode').forEach(g => {
    const m = /translate\(([-\d.e]+),([-\d.e]+)\)/.exec(g.getAttribute('transform'));
    const p = [+m[1], +m[2]];
    boxes.push(p);
    if (g.dataset.id) pos.set(g.dataset.id, p);
    if (g.dataset.node) pos.set(g.dataset.node + '|' + g.dataset.column, p);
  });
  const edges = [], backward = [];
  view.querySelectorAll('path.gedge').forEach(p => {
    edges.push(p.dataset.from + '>' + p.dataset.to);
    const a = pos.get(p.dataset.from), b = pos.get(p.dataset.to);
    if (a && b && !(a[0] < b[0])) backward.push(p.dataset.from + '>' + p.dataset.to);
  });
  boxes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let overlaps = 0;
  for (let i = 1; i < boxes.length; i++)
    if (boxes[i][0] === boxes[i-1][0] && boxes[i][1] - boxes[i-1][1] < 40) overlaps++;
  return {nodes: [...pos.keys()].sort(), boxes: boxes.length, edges: edges.sort(), backward, overlaps,
    layoutMs: +(view.dataset.layoutMs || 0)};
})`

type drawn struct {
	Nodes    []string `json:"nodes"`
	Boxes    int      `json:"boxes"`
	Edges    []string `json:"edges"`
	Backward []string `json:"backward"`
	Overlaps int      `json:"overlaps"`
	LayoutMs int      `json:"layoutMs"`
}

func (c *cdp) graph(selector string) drawn {
	c.t.Helper()
	var g drawn
	c.eval(graphCheck+"("+strconv.Quote(selector)+")", &g)
	if len(g.Backward) > 0 || g.Overlaps > 0 {
		c.t.Errorf("%s: edges drawn right to left %v, %d overlapping boxes", selector, g.Backward, g.Overlaps)
	}
	return g
}

// serveDir serves dir with docs.Serve until the test ends.
func serveDir(t *testing.T, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- docs.Serve(ctx, ln, dir) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String() + "/"
}

// The site of a hand-made dbt-shaped project (testdata/shop, with column
// lineage), served and opened from file://.
func TestBrowserShop(t *testing.T) {
	dir := t.TempDir()
	site, err := docs.Load("testdata/shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := docs.Write(dir, site); err != nil {
		t.Fatal(err)
	}
	base := serveDir(t, dir)
	b := startBrowser(t)
	p := b.page(t)
	p.viewport(1440, 1000)
	p.navigate(base)

	groups := p.strings(`[...document.querySelectorAll('.group-head')].map(h => h.dataset.type + ' ' + h.querySelector('.count').textContent)`)
	if want := []string{"model 4", "seed 2", "source 1", "exposure 1", "test 4"}; !reflect.DeepEqual(groups, want) {
		t.Errorf("list groups = %v, want %v", groups, want)
	}
	// tests are folded until asked for
	if n := p.strings(`[...document.querySelectorAll('ul.group[data-type=test] li.item')].map(e => e.dataset.id)`); len(n) != 0 {
		t.Errorf("tests listed while folded: %v", n)
	}
	p.click(`.group-head[data-type=test]`)
	if n := p.strings(`[...document.querySelectorAll('ul.group[data-type=test] li.item')].map(e => e.dataset.id)`); len(n) != 4 {
		t.Errorf("tests listed after unfolding: %v", n)
	}

	// search: the exact name first, then names containing it, then
	// nodes with a column of that name (customer_revenue.n_orders)
	p.typeText("#search", "orders")
	models := p.strings(`[...document.querySelectorAll('ul.group[data-type=model] li.item')].map(e => e.dataset.id)`)
	if want := []string{"model.gold.orders", "model.silver.stg_orders", "model.gold.customer_revenue"}; !reflect.DeepEqual(models, want) {
		t.Errorf("models matching orders = %v, want %v", models, want)
	}
	p.click(`li.item[data-id="model.gold.orders"] a`)
	p.waitFor("the orders page", `document.querySelector('[data-node="model.gold.orders"] #node-graph svg')`, 10*time.Second)

	g := p.graph("#node-graph")
	wantNodes := []string{"exposure.shop.weekly_kpis", "model.gold.customer_revenue", "model.gold.orders", "model.silver.stg_customers",
		"model.silver.stg_orders", "seed.seeds.raw_customers", "seed.seeds.raw_orders", "source.erp.payments"}
	if !reflect.DeepEqual(g.Nodes, wantNodes) {
		t.Errorf("graph of orders (2 levels) = %v, want %v", g.Nodes, wantNodes)
	}
	for _, e := range []string{"model.silver.stg_orders>model.gold.orders", "model.silver.stg_customers>model.gold.orders",
		"source.erp.payments>model.silver.stg_orders", "model.gold.customer_revenue>exposure.shop.weekly_kpis"} {
		if !contains(g.Edges, e) {
			t.Errorf("graph lacks edge %s; has %v", e, g.Edges)
		}
	}
	cols := p.strings(`[...document.querySelectorAll('#columns tbody tr')].map(r => [...r.cells].slice(0, 2).map(c => c.textContent.trim()).join(' '))`)
	if want := []string{"order_id⇠ INTEGER", "customer_name⇠ VARCHAR", "amount⇠ DECIMAL(18,2)"}; !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %q, want %q", cols, want)
	}
	chips := p.strings(`[...document.querySelectorAll('#columns tr[data-column=order_id] .test-chip')].map(c => c.textContent + ':' + c.className)`)
	if want := []string{"not_null:test-chip s-pass", "unique:test-chip s-fail"}; !reflect.DeepEqual(chips, want) {
		t.Errorf("order_id tests = %q, want %q", chips, want)
	}
	if sql := p.strings(`[document.querySelector('#sql pre').textContent]`); len(sql) != 1 || sql[0][:17] != "select o.order_id" {
		t.Errorf("compiled SQL = %q", sql)
	}
	// the description's markup is text, never HTML
	if n := p.strings(`[...document.querySelectorAll('.description b, .description script')].map(e => e.tagName)`); len(n) != 0 {
		t.Errorf("description made elements %v", n)
	}

	// column lineage, both ways, on a click of the column
	p.click(`#columns button.col-link[data-column=amount]`)
	p.waitFor("the column lineage", `!document.getElementById('column-lineage').hidden && document.querySelector('#column-graph svg')`, 10*time.Second)
	cg := p.graph("#column-graph")
	if want := []string{"model.gold.customer_revenue|revenue", "model.gold.orders|amount", "model.silver.stg_orders|amount", "source.erp.payments|amount"}; !reflect.DeepEqual(cg.Nodes, want) {
		t.Errorf("column lineage of orders.amount = %v, want %v", cg.Nodes, want)
	}
	if len(cg.Edges) != 3 {
		t.Errorf("column lineage edges = %v, want 3", cg.Edges)
	}
	var hash string
	p.eval(`location.hash`, &hash)
	if hash != "#!/node/model.gold.orders/column/amount" {
		t.Errorf("hash = %q", hash)
	}
	// the page stayed: only the column part changed
	if g2 := p.graph("#node-graph"); !reflect.DeepEqual(g2.Nodes, wantNodes) {
		t.Errorf("node graph after the column click = %v", g2.Nodes)
	}

	// an untraceable column says why
	p.eval(`location.hash = '#!/node/model.gold.customer_revenue/column/n_orders'`, nil)
	p.waitFor("the n_orders note", `document.querySelector('#column-lineage .notes') && document.querySelector('#column-lineage .notes').textContent.includes('count(*) counts rows')`, 10*time.Second)
	var note string
	p.eval(`document.querySelector('#columns .lineage-note').textContent`, &note)
	if note != "Column lineage: columns that run_query adds at build time are not traced" {
		t.Errorf("model lineage note = %q", note)
	}
	var status string
	p.eval(`document.querySelector('.node-head .status').textContent`, &status)
	if status != "error" {
		t.Errorf("customer_revenue status = %q, want error", status)
	}

	// one level: parents and children only
	p.click(`#lineage button[data-depth="1"]`)
	if g1 := p.graph("#node-graph"); !reflect.DeepEqual(g1.Nodes, []string{"exposure.shop.weekly_kpis", "model.gold.customer_revenue", "model.gold.orders"}) {
		t.Errorf("1 level around customer_revenue = %v", g1.Nodes)
	}
	// clicking a node of the graph opens it
	p.click(`#node-graph g.gnode[data-id="model.gold.orders"]`)
	p.waitFor("the orders page from the graph", `document.querySelector('[data-node="model.gold.orders"]')`, 10*time.Second)
	p.noProblems()

	// offline: the same files opened from disk
	file := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "index.html")), Fragment: "!/node/model.silver.stg_orders"}).String()
	p.navigate(file)
	p.waitFor("the page from file://", `document.querySelector('[data-node="model.silver.stg_orders"] #node-graph g.gnode')`, 10*time.Second)
	if g := p.graph("#node-graph"); len(g.Nodes) < 4 {
		t.Errorf("graph from file:// = %v", g.Nodes)
	}
	p.noProblems()
}

func contains(list []string, s string) bool {
	i := sort.SearchStrings(list, s)
	return i < len(list) && list[i] == s
}
