// Command runoverhead measures what `ingot run` costs per model beyond the
// engine's own work, on embedded DuckDB, with two projects:
//
//   - independent: N trivial table models (`select 1 as x`), run with
//     --threads 4, so the scheduler, the adapter round trips and the
//     atomic swap of each table are all there is;
//   - chain: M table models, each selecting from the previous one, so
//     every model waits for its parent.
//
// For each it prints the wall time of the whole `ingot run` (a child
// process of the real binary), the median, 90th percentile and maximum of
// the per-node execution_time in target/run_results.json, and wall / N.
// The first run builds every table; the next ones replace existing tables.
// Run it from the repository root:
//
//	go run ./bench/runoverhead                 # 1,000 independent, 200-model chain
//	go run ./bench/runoverhead -n 100 -chain 20 -runs 1
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
)

func main() {
	n := flag.Int("n", 1000, "independent trivial models")
	chain := flag.Int("chain", 200, "models in the chain")
	threads := flag.Int("threads", 4, "--threads for ingot run")
	runs := flag.Int("runs", 2, "runs per project (the first creates the tables, later ones replace them)")
	keep := flag.Bool("keep", false, "keep the generated projects and print where they are")
	bin := benchproc.BinFlag()
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *n, *chain, *threads, *runs, *keep, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/runoverhead:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, n, chain, threads, runs int, keep bool, bin string) error {
	if n < 1 || chain < 1 || runs < 1 || threads < 1 {
		return errors.New("-n, -chain, -runs and -threads must be at least 1")
	}
	tmp, cleanup, err := benchproc.WorkDir("", "runoverhead", keep)
	if err != nil {
		return err
	}
	defer cleanup()
	exe, err := benchproc.Binary(ctx, bin, tmp)
	if err != nil {
		return err
	}
	shapes := []struct {
		name  string
		count int
		gen   func(dir string, n int) error
	}{
		{"independent", n, genIndependent},
		{"chain", chain, genChain},
	}
	fmt.Printf("ingot run on embedded DuckDB, --threads %d\n", threads)
	for _, s := range shapes {
		dir := filepath.Join(tmp, s.name)
		if err := s.gen(dir, s.count); err != nil {
			return fmt.Errorf("generating %s project: %w", s.name, err)
		}
		fmt.Printf("\n%s: %d table models\n", s.name, s.count)
		for i := range runs {
			r, err := benchproc.Run(ctx, dir, exe, "run", "--threads", fmt.Sprint(threads))
			if err != nil {
				return err
			}
			res, err := readResults(filepath.Join(dir, "target", "run_results.json"))
			if err != nil {
				return err
			}
			if len(res.times) != s.count || res.failed > 0 {
				return fmt.Errorf("%s run %d: %d results, %d not successful (want %d successes)", s.name, i+1, len(res.times), res.failed, s.count)
			}
			label := "create"
			if i > 0 {
				label = "replace"
			}
			wall := r.Wall
			fmt.Printf("  run %d (%s): wall %s (walk %s, start-up and artifacts %s), peak RSS %s\n",
				i+1, label, benchproc.Secs(wall), benchproc.Secs(res.elapsed), benchproc.Secs(wall-res.elapsed), benchproc.MB(r.MaxRSS))
			fmt.Printf("    per model: execution_time median %s, p90 %s, max %s; wall / N %s\n",
				benchproc.Ms(res.quantile(0.5)), benchproc.Ms(res.quantile(0.9)), benchproc.Ms(res.quantile(1)),
				benchproc.Ms(wall/time.Duration(s.count)))
		}
	}
	return nil
}

// genIndependent writes n models `select 1 as x` with no dependencies.
func genIndependent(dir string, n int) error {
	return genProject(dir, "independent", n, func(i int) string { return "select 1 as x\n" })
}

// genChain writes n models, each reading the previous one.
func genChain(dir string, n int) error {
	return genProject(dir, "chain", n, func(i int) string {
		if i == 0 {
			return "select 1 as x\n"
		}
		return fmt.Sprintf("select x + 1 as x from {{ ref %q }}\n", modelName("chain", i-1))
	})
}

func modelName(folder string, i int) string { return fmt.Sprintf("%s_%05d", folder, i) }

func genProject(dir, folder string, n int, sql func(i int) string) error {
	files := map[string]string{
		"project.yml": "name: overhead\nprofile: default\nmodels:\n  " + folder + ": {materialized: table}\n",
		// threads here is overridden by --threads.
		"profiles.yml": "default:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ingot.duckdb\n      threads: 1\n",
	}
	for i := range n {
		files[filepath.Join("models", folder, modelName(folder, i)+".sql")] = sql(i)
	}
	for rel, content := range files {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			return err
		}
	}
	return nil
}

type results struct {
	elapsed time.Duration
	times   []time.Duration // sorted
	failed  int
}

func (r results) quantile(q float64) time.Duration {
	i := int(q*float64(len(r.times))+0.5) - 1
	return r.times[min(max(i, 0), len(r.times)-1)]
}

// readResults reads the per-node timings of target/run_results.json.
func readResults(path string) (results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return results{}, err
	}
	var doc struct {
		Elapsed float64 `json:"elapsed_time"`
		Results []struct {
			Status        string  `json:"status"`
			ExecutionTime float64 `json:"execution_time"`
			Message       string  `json:"message"`
		} `json:"results"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return results{}, fmt.Errorf("%s: %w", path, err)
	}
	out := results{elapsed: seconds(doc.Elapsed)}
	var firstErr string
	for _, r := range doc.Results {
		out.times = append(out.times, seconds(r.ExecutionTime))
		if r.Status != "success" {
			out.failed++
			if firstErr == "" {
				firstErr = strings.TrimSpace(r.Status + ": " + r.Message)
			}
		}
	}
	if len(out.times) == 0 {
		return results{}, fmt.Errorf("%s: no results", path)
	}
	if firstErr != "" {
		return results{}, fmt.Errorf("%d nodes failed, first: %s", out.failed, firstErr)
	}
	slices.Sort(out.times)
	return out, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
