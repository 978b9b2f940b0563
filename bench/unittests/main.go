// Command unittests measures `ingot test -s test_type:unit`: wall time for
// the whole command and time per unit test, with no warehouse file. It runs
// on the project in -project (default: the current directory) when that
// project has unit tests, or on a generated project with -generate N
// (N gold models, each with one unit test that gives one input and leaves
// another to be typed from its seed).
//
//	go run ./bench/unittests                  # the example project
//	go run ./bench/unittests -generate 100    # a generated project
//
// Every figure is the best of -runs runs, printed; nothing is asserted.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/cli"
)

func main() {
	project := flag.String("project", ".", "project directory to test")
	generate := flag.Int("generate", 0, "generate a project with this many unit tests instead")
	keep := flag.String("keep", "", "with -generate: write the project into this directory and keep it")
	runs := flag.Int("runs", 3, "runs; the best is reported")
	threads := flag.Int("threads", 4, "--threads for ingot test")
	flag.Parse()
	if err := run(context.Background(), *project, *generate, *keep, *runs, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "unittests:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir string, generate int, keep string, runs, threads int) error {
	if generate > 0 {
		tmp := keep
		if tmp == "" {
			var err error
			if tmp, err = os.MkdirTemp("", "ingot-unittests-"); err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
		}
		if err := writeProject(tmp, generate); err != nil {
			return err
		}
		dir = tmp
	}
	var best *result
	for range max(runs, 1) {
		r, err := once(ctx, dir, threads)
		if err != nil {
			return err
		}
		if best == nil || r.wall < best.wall {
			best = r
		}
	}
	if best.tests == 0 {
		return fmt.Errorf("no unit tests in %s (use -generate N)", dir)
	}
	sort.Slice(best.each, func(i, j int) bool { return best.each[i] > best.each[j] })
	var sum time.Duration
	for _, d := range best.each {
		sum += d
	}
	fmt.Printf("ingot test -s test_type:unit --threads %d: %d unit tests (%d failed)\n", threads, best.tests, best.failed)
	fmt.Printf("  wall time, whole command:   %v (%v per test)\n", best.wall.Round(time.Millisecond), (best.wall / time.Duration(best.tests)).Round(100*time.Microsecond))
	fmt.Printf("  test time, mean per test:   %v\n", (sum / time.Duration(best.tests)).Round(100*time.Microsecond))
	fmt.Printf("  test time, slowest test:    %v\n", best.each[0].Round(100*time.Microsecond))
	if _, err := os.Stat(filepath.Join(dir, "ingot.duckdb")); err == nil && generate > 0 {
		return fmt.Errorf("a warehouse file was created")
	}
	return nil
}

type result struct {
	wall   time.Duration
	tests  int
	failed int
	each   []time.Duration
}

// once runs the command in-process and reads its JSON events.
func once(ctx context.Context, dir string, threads int) (*result, error) {
	var stdout, stderr bytes.Buffer
	args := []string{"ingot", "test", "-s", "test_type:unit", "--project-dir", dir, "--log-format", "json", "--threads", fmt.Sprint(threads)}
	start := time.Now()
	code := cli.Main(ctx, args, strings.NewReader(""), &stdout, &stderr)
	wall := time.Since(start)
	if code > 1 || (code == 1 && stdout.Len() == 0) {
		return nil, fmt.Errorf("ingot test exited %d: %s", code, stderr.String())
	}
	r := &result{wall: wall}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		var ev struct {
			Event  string  `json:"event"`
			Status string  `json:"status"`
			Time   float64 `json:"execution_time"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event != "node_finish" {
			continue
		}
		r.tests++
		if ev.Status != "pass" {
			r.failed++
		}
		r.each = append(r.each, time.Duration(ev.Time*float64(time.Second)))
	}
	return r, sc.Err()
}

// writeProject writes n seed → silver → gold chains; each gold model has a
// unit test giving its silver input and leaving its seed input empty.
func writeProject(dir string, n int) error {
	files := map[string]string{
		"project.yml":  "name: bench\nmodels:\n  silver: {materialized: table}\n  gold: {materialized: table}\n",
		"profiles.yml": "default:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ingot.duckdb}\n",
	}
	var yml strings.Builder
	yml.WriteString("unit_tests:\n")
	for i := range n {
		files[fmt.Sprintf("seeds/src_%d.csv", i)] = "id,customer,day,amount\n1,A,2024-05-01,10.50\n2,B,2024-05-02,3.25\n"
		files[fmt.Sprintf("seeds/rates_%d.csv", i)] = "customer,rate\nA,1.5\n"
		files[fmt.Sprintf("models/silver/clean_%d.sql", i)] = fmt.Sprintf(
			"select id, upper(customer) as customer, cast(day as date) as day, cast(amount as decimal(12, 2)) as amount\nfrom {{ ref \"src_%d\" }}\nwhere amount > 0\n", i)
		files[fmt.Sprintf("models/gold/report_%d.sql", i)] = fmt.Sprintf(`select c.customer,
  count(*) as orders,
  sum(c.amount) as total,
  max(c.day) as last_day,
  sum(c.amount) * coalesce(max(r.rate), 1) as weighted,
  sum(sum(c.amount)) over (order by c.customer) as running
from {{ ref "clean_%[1]d" }} as c
left join {{ ref "rates_%[1]d" }} as r on r.customer = c.customer
group by c.customer
`, i)
		fmt.Fprintf(&yml, `  - name: report_%[1]d_totals
    model: report_%[1]d
    given:
      - input: ref("clean_%[1]d")
        rows:
          - {id: 1, customer: A, day: 2024-05-01, amount: 10.5}
          - {id: 2, customer: A, day: 2024-05-03, amount: 1}
          - {id: 3, customer: B, day: 2024-05-02, amount: 2.25}
    expect:
      rows:
        - {customer: A, orders: 2, total: 11.5, last_day: 2024-05-03, weighted: 11.5, running: 11.5}
        - {customer: B, orders: 1, total: 2.25, last_day: 2024-05-02, weighted: 2.25, running: 13.75}
`, i)
	}
	files["models/gold/_unit_tests.yml"] = yml.String()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}
