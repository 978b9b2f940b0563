package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/docs"
	"github.com/ingot-dev/ingot/internal/exampletest"
)

const duckProfile = `default:
  target: dev
  outputs:
    dev: {type: duckdb, path: docs.duckdb, threads: 2}
`

// ingot runs the CLI in-process in dir and fails the test unless it
// exits 0.
func ingot(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"ingot", "--project-dir", dir, "--no-color"}, args...), strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("ingot %s: exit %d\n%s%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
	return out.String() + errb.String()
}

// serveCLI runs ingot docs serve --port 0 until the test ends and returns
// the URL it printed.
func serveCLI(t *testing.T, dir string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"ingot", "--project-dir", dir, "docs", "serve", "--port", "0"}, strings.NewReader(""), pw, &errb)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	url := readURL(t, sc)
	rest := make(chan string, 1)
	go func() {
		var b strings.Builder
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
		}
		rest <- b.String()
	}()
	t.Cleanup(func() {
		cancel() // what Ctrl-C does to the command
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("docs serve exited %d after Ctrl-C: %s", code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("docs serve did not stop after Ctrl-C")
		}
		if out := <-rest; !strings.HasPrefix(out, "Stopped after") {
			t.Errorf("docs serve printed %q after stopping", out)
		}
	})
	return url
}

// The acceptance test of the docs site: the example project built,
// documented and served by ingot, opened in headless Chromium; a click on
// a gold model shows its lineage and columns, a click on a column its
// column lineage. The screenshot it takes is README's
// (INGOT_UPDATE_SCREENSHOT=1 writes it to testdata/screenshot.png).
func TestBrowserExample(t *testing.T) {
	chromiumPath(t) // skip before the build where there is no browser
	dir := exampletest.Temp(t, "../..")
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(duckProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ingot(t, dir, "build")
	out := ingot(t, dir, "docs", "generate")
	if !strings.Contains(out, "target/catalog.json") || !strings.Contains(out, "target/docs/index.html") {
		t.Errorf("docs generate printed:\n%s", out)
	}
	url := serveCLI(t, dir)

	b := startBrowser(t)
	p := b.page(t)
	p.viewport(1440, 1180)
	p.navigate(url)
	p.typeText("#search", "sales_7d")
	p.click(`li.item[data-id="model.gold.sales_7d_by_seller"] a`)
	p.waitFor("the sales_7d_by_seller page", `document.querySelector('[data-node="model.gold.sales_7d_by_seller"] #node-graph svg')`, 10*time.Second)

	g := p.graph("#node-graph")
	for _, e := range []string{"model.silver.sales>model.gold.sales_7d_by_seller", "model.silver.employees>model.gold.sales_7d_by_seller"} {
		if !contains(g.Edges, e) {
			t.Errorf("lineage graph lacks %s; edges %v", e, g.Edges)
		}
	}
	// two levels up reach the bronze views the silver models read
	for _, n := range []string{"model.bronze.sales_raw", "model.bronze.employees_raw"} {
		if !contains(g.Nodes, n) {
			t.Errorf("lineage graph lacks %s; nodes %v", n, g.Nodes)
		}
	}
	cols := p.strings(`[...document.querySelectorAll('#columns tbody tr')].map(r => r.dataset.column + ' ' + r.cells[1].textContent)`)
	want := []string{"email_employee VARCHAR", "seller_name VARCHAR", "date DATE", "total_sales_value DECIMAL(18,2)", "total_quantity BIGINT", "total_sales BIGINT"}
	if !reflect.DeepEqual(cols, want) {
		t.Errorf("columns = %q, want %q (names and warehouse types)", cols, want)
	}

	p.click(`#columns button.col-link[data-column=seller_name]`)
	p.waitFor("the column lineage", `!document.getElementById('column-lineage').hidden && document.querySelector('#column-graph svg')`, 10*time.Second)
	cg := p.graph("#column-graph")
	// seller_name is e.full_name of silver.employees, which is built from
	// the bronze view's name columns
	if e := "model.silver.employees|full_name>model.gold.sales_7d_by_seller|seller_name"; !contains(cg.Edges, e) {
		t.Errorf("column lineage of seller_name lacks %s: nodes %v edges %v", e, cg.Nodes, cg.Edges)
	}
	if len(cg.Nodes) < 3 {
		t.Errorf("column lineage of seller_name stops at %v; want it traced on into bronze", cg.Nodes)
	}
	p.noProblems()

	// the pointer away, so no box shows a hover outline
	p.call("Input.dispatchMouseEvent", map[string]any{"type": "mouseMoved", "x": 0, "y": 0}, nil)
	shot := p.screenshot()
	if !bytes.HasPrefix(shot, []byte("\x89PNG")) {
		t.Fatal("the screenshot is not a PNG")
	}
	path := filepath.Join(dir, "target", "docs-screenshot.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if os.Getenv("INGOT_UPDATE_SCREENSHOT") == "1" {
		if err := os.WriteFile(filepath.Join("testdata", "screenshot.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// a column's test chip opens the test, with the query it ran
	p.click(`#columns tr[data-column=date] .test-chip`)
	p.waitFor("the test page", `document.querySelector('[data-node^="test."] #sql pre')`, 10*time.Second)
	sql := p.strings(`[document.querySelector('#sql h3').textContent, document.querySelector('#sql pre').textContent]`)
	if sql[0] != "SQL of the last run" || !strings.Contains(sql[1], `"date" is null`) {
		t.Errorf("test page SQL = %q", sql)
	}
	p.noProblems()
}

// bigProject writes a project of n models in layers of 50: each model
// reads one to three models of the layers just before it, and the first
// model feeds 60 others, more than one level of a neighbourhood shows.
func bigProject(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"project.yml":    "name: big\nprofile: default\n",
		"profiles.yml":   duckProfile,
		"seeds/base.csv": "id,v\n1,10\n2,20\n",
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		var parents []string
		layer := i / 50
		switch {
		case layer == 0:
			parents = []string{"base"}
		case i%50 < 30 && layer <= 2:
			parents = []string{"m0000", name((layer-1)*50 + 1 + r.IntN(49))}
		default:
			k := 1 + r.IntN(3)
			for j := 0; j < k; j++ {
				from := max(0, layer-1-r.IntN(3))
				parents = append(parents, name(from*50+r.IntN(50)))
			}
		}
		parents = uniq(parents)
		var b strings.Builder
		fmt.Fprintf(&b, "select p0.id, p0.v")
		for j := 1; j < len(parents); j++ {
			fmt.Fprintf(&b, " + p%d.v", j)
		}
		fmt.Fprintf(&b, " as v\nfrom {{ ref %q }} as p0", parents[0])
		for j, p := range parents[1:] {
			fmt.Fprintf(&b, "\njoin {{ ref %q }} as p%d using (id)", p, j+1)
		}
		files[filepath.Join("models", fmt.Sprintf("l%02d", layer), name(i)+".sql")] = b.String() + "\n"
	}
	for p, body := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func name(i int) string { return fmt.Sprintf("m%04d", i) }

func uniq(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// At 1,000 models the page loads, a node's graph draws its neighbourhood
// only (levels above the cap fold into one box), and the whole graph
// still lays out left to right without overlaps.
func TestBrowserThousandModels(t *testing.T) {
	chromiumPath(t)
	dir := bigProject(t, 1000)
	ingot(t, dir, "docs", "generate") // nothing built: the catalog is empty, the site complete
	url := serveCLI(t, dir)
	b := startBrowser(t)
	p := b.page(t)
	p.viewport(1440, 1000)
	start := time.Now()
	p.navigate(url)
	t.Logf("page with 1,001 nodes ready in %s", time.Since(start).Round(time.Millisecond))
	var listed int
	p.eval(`document.querySelectorAll('li.item').length`, &listed)
	if listed < 300 { // the models group shows its first LIST_CAP entries
		t.Errorf("list shows %d entries", listed)
	}

	// A model in the middle: its neighbourhood is small, shown whole.
	p.eval(`location.hash = '#!/node/model.l12.m0617'`, nil)
	p.waitFor("m0617's graph", `document.querySelector('[data-node="model.l12.m0617"] #node-graph svg')`, 20*time.Second)
	g := p.graph("#node-graph")
	want := neighbourhood(t, dir, "model.l12.m0617", 2)
	if !reflect.DeepEqual(g.Nodes, want) {
		t.Errorf("graph of m0617 = %v\nwant its 2-level neighbourhood %v", g.Nodes, want)
	}
	t.Logf("m0617: %d nodes drawn in %d ms", g.Boxes, g.LayoutMs)

	// The hub: 60 children in one level fold past the cap.
	p.eval(`location.hash = '#!/node/model.l00.m0000'`, nil)
	p.waitFor("m0000's graph", `document.querySelector('[data-node="model.l00.m0000"] #node-graph svg')`, 20*time.Second)
	g = p.graph("#node-graph")
	var folds []string
	p.eval(`[...document.querySelectorAll('#node-graph g.gnode.more')].map(g => g.dataset.more + ' ' + g.textContent)`, &folds)
	if len(folds) == 0 || g.Boxes > 1+2*2*12+4 {
		t.Errorf("hub graph: %d boxes, folds %v; want at most %d boxes with folded levels", g.Boxes, folds, 1+2*2*12+4)
	}
	t.Logf("m0000: %d boxes (folds %v) drawn in %d ms", g.Boxes, folds, g.LayoutMs)
	// unfolding shows more
	p.click(`#node-graph g.gnode.more`)
	p.waitFor("the unfolded graph", `document.querySelectorAll('#node-graph g.gnode').length > `+fmt.Sprint(g.Boxes), 20*time.Second)

	// the whole graph
	p.click(`#lineage button[data-depth="all"]`)
	p.waitFor("the whole graph", `document.querySelectorAll('#node-graph g.gnode').length >= 1001`, 60*time.Second)
	whole := p.graph("#node-graph")
	if whole.Boxes != 1001 || len(whole.Edges) < 1000 {
		t.Errorf("whole graph: %d boxes, %d edges", whole.Boxes, len(whole.Edges))
	}
	t.Logf("whole graph: %d boxes, %d edges laid out and drawn in %d ms", whole.Boxes, len(whole.Edges), whole.LayoutMs)
	p.noProblems()
}

// neighbourhood computes, from the manifest ingot wrote, the nodes within
// depth levels up and down of id: what the page must draw.
func neighbourhood(t *testing.T, dir, id string, depth int) []string {
	t.Helper()
	site, err := docs.Load(filepath.Join(dir, "target"), nil)
	if err != nil {
		t.Fatal(err)
	}
	parents := map[string][]string{}
	children := map[string][]string{}
	for _, n := range site.Nodes {
		if n.Type == "test" {
			continue
		}
		for _, p := range n.Parents {
			parents[n.ID] = append(parents[n.ID], p)
			children[p] = append(children[p], n.ID)
		}
	}
	seen := map[string]bool{id: true}
	for _, next := range []map[string][]string{parents, children} {
		frontier := []string{id}
		for d := 0; d < depth; d++ {
			var level []string
			for _, x := range frontier {
				for _, y := range next[x] {
					if !seen[y] {
						seen[y] = true
						level = append(level, y)
					}
				}
			}
			if len(level) > 12 {
				t.Fatalf("%s has %d nodes at level %d: pick a node whose levels fit", id, len(level), d+1)
			}
			frontier = level
		}
	}
	var out []string
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A port another program holds is said so, with what to do instead.
func TestServePortInUse(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "project.yml"), []byte("name: p\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := docs.Write(filepath.Join(dir, "target", "docs"), &docs.Site{Project: "p"}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), []string{"ingot", "--project-dir", dir, "docs", "serve", "--port", fmt.Sprint(port)}, strings.NewReader(""), &out, &errb)
	want := fmt.Sprintf("error: port %d is in use: pick another with --port, or --port 0 for a free one\n", port)
	if code != 1 || errb.String() != want {
		t.Errorf("docs serve on a taken port: exit %d, stderr %q; want exit 1 and %q", code, errb.String(), want)
	}
}
