// Command notifications benchmarks the example project's notification
// pipeline with the real CLI: it copies the project to a work directory,
// writes N generated events as seeds/notifications/events-0001.jsonl, times
// a full `ingot build --full-refresh` of the pipeline, adds 1% more events
// (a tenth of them late for minutes already written, some redelivering
// earlier messages) as events-0002.jsonl, times the incremental `ingot
// build`, and prints both times and their ratio, with the time of each step
// as ingot reports it.
//
// Each pair of builds is measured -runs times (the second file is removed
// before each full build, so every pair does the same work) and the
// medians are compared: a full build's time varies by several percent
// from one run to the next. The same is then measured without tests
// (unit and data tests: --exclude resource_type:test); -tests-only skips
// that.
//
// From the repository root:
//
//	go run ./bench/notifications                         # 10 million events
//	go run ./bench/notifications -n 100000000 -runs 1    # a production day
//	go run ./bench/notifications -n 1000000 -target pg   # PostgreSQL (PG* variables)
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"time"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
	"github.com/ingot-dev/ingot/bench/notifications/eventgen"
	"github.com/ingot-dev/ingot/internal/exampletest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// selection builds the notification pipeline and nothing else (its seed,
// models and their tests). The three gold models are named because each
// reads silver.notifications directly.
var selection = []string{"-s", "+gold.notifications_per_minute", "-s", "+gold.notifications_dashboard", "-s", "+gold.notification_billing_daily"}

type options struct {
	n         int64
	increment float64
	late      float64
	customers int
	project   string
	ingot     string
	dir       string
	keep      bool
	target    string
	testsOnly bool
	runs      int
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fl := flag.NewFlagSet("notifications", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Int64Var(&o.n, "n", 10_000_000, "events in the first batch (100000000 for a production day)")
	fl.Float64Var(&o.increment, "increment", 0.01, "size of the second batch, as a share of -n")
	fl.Float64Var(&o.late, "late", 0.1, "share of the second batch's events that arrive late (up to 6h back)")
	fl.IntVar(&o.customers, "customers", 2000, "distinct customers")
	fl.StringVar(&o.project, "project", ".", "the example project (repository root)")
	fl.StringVar(&o.ingot, "ingot", "", "ingot binary (default: go build of this module's cmd/ingot into the work directory)")
	fl.StringVar(&o.dir, "dir", "", "work directory (default: a new temporary directory)")
	fl.BoolVar(&o.keep, "keep", false, "keep the work directory")
	fl.StringVar(&o.target, "target", "", "profile target (default: the profile's, DuckDB)")
	fl.BoolVar(&o.testsOnly, "tests-only", false, "measure only builds with tests (skip the builds without tests)")
	fl.IntVar(&o.runs, "runs", 3, "pairs of builds (full, incremental) measured per mode; medians are compared")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 || o.n <= 0 || o.increment <= 0 || o.customers <= 0 || o.runs <= 0 {
		fmt.Fprintln(stderr, "notifications: need -n > 0, -increment > 0, -customers > 0, -runs > 0 and no arguments")
		return 2
	}
	if err := bench(ctx, o, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "notifications: %v\n", err)
		return 1
	}
	return 0
}

func bench(ctx context.Context, o options, stdout, stderr io.Writer) error {
	root, err := filepath.Abs(o.project)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(root, "project.yml")); err != nil {
		return fmt.Errorf("-project %s: %w", o.project, err)
	}
	work := o.dir
	if work == "" {
		var cleanup func()
		if work, cleanup, err = benchproc.WorkDir("", "notifications", o.keep); err != nil {
			return err
		}
		defer cleanup()
	} else if !o.keep {
		defer os.RemoveAll(work)
	}

	bin, err := benchproc.Binary(ctx, o.ingot, work)
	if err != nil {
		return err
	}
	proj := filepath.Join(work, "project")
	if err := copyProject(root, proj); err != nil {
		return err
	}
	events := filepath.Join(proj, "seeds", "notifications")

	cfg := eventgen.Defaults(o.n)
	cfg.Customers = o.customers
	fmt.Fprintf(stdout, "writing %d events ...\n", o.n)
	first, err := eventgen.WriteFile(ctx, filepath.Join(events, "events-0001.jsonl"), cfg)
	if err != nil {
		return err
	}

	extra := []string{}
	if o.target != "" {
		extra = append(extra, "--target", o.target)
	}
	more := cfg
	more.N = int64(float64(o.n) * o.increment)
	if more.N < 1 {
		more.N = 1
	}
	more.FirstSeq = first.NextSeq
	more.LateRate = o.late
	more.LateFrom = first.NextSeq

	type mode struct {
		name string
		args []string
	}
	modes := []mode{{"ingot build (seed, models, tests)", nil}}
	if !o.testsOnly {
		modes = append(modes, mode{"ingot build --exclude resource_type:test (seed, models)", []string{"--exclude", "resource_type:test"}})
	}
	secondPath := filepath.Join(events, "events-0002.jsonl")
	var second eventgen.Stats
	pairs := make([][]pair, len(modes))
	for mi, m := range modes {
		args := append(append([]string{}, m.args...), extra...)
		for r := 1; r <= o.runs; r++ {
			// The second batch arrives anew for every pair: gone before the
			// full build, written again (the same events) before the
			// incremental one.
			if err := os.Remove(secondPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
			fmt.Fprintf(stdout, "%s: full build %d of %d ...\n", m.name, r, o.runs)
			full, err := build(ctx, bin, proj, append([]string{"--full-refresh"}, args...))
			if err != nil {
				return err
			}
			if second, err = eventgen.WriteFile(ctx, secondPath, more); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s: incremental build %d of %d ...\n", m.name, r, o.runs)
			inc, err := build(ctx, bin, proj, args)
			if err != nil {
				return err
			}
			pairs[mi] = append(pairs[mi], pair{full, inc})
		}
	}

	fmt.Fprintf(stdout, "\nevents: %d lines (%d messages, %d redeliveries), then %d lines (%d messages, %d late, %d redeliveries)\n",
		first.Lines, first.Messages, first.Duplicates, second.Lines, second.Messages, second.Late, second.Duplicates)
	fmt.Fprintln(stdout, "\nwall-clock time of each ingot process, seed step included (seconds):")
	fmt.Fprintf(stdout, "  %-56s %9s %12s %17s\n", "", "full", "incremental", "incremental/full")
	row := func(name string, full, inc time.Duration) {
		fmt.Fprintf(stdout, "  %-56s %9.2f %12.2f %16.1f%%\n", name, full.Seconds(), inc.Seconds(), 100*inc.Seconds()/full.Seconds())
	}
	for mi, m := range modes {
		fmt.Fprintf(stdout, "  %s\n", m.name)
		var fulls, incs benchproc.Durations
		for r, p := range pairs[mi] {
			row(fmt.Sprintf("  run %d", r+1), p.full.wall, p.inc.wall)
			fulls, incs = append(fulls, p.full.wall), append(incs, p.inc.wall)
		}
		row("  median", fulls.Median(), incs.Median())
	}
	for mi, m := range modes {
		p := medianPair(pairs[mi])
		fmt.Fprintf(stdout, "\nstep times of %s, the run with the median incremental time, as ingot reports them\n(seconds; steps run concurrently where the graph allows):\n", m.name)
		fmt.Fprintf(stdout, "  %-45s %10s %12s\n", "step", "full", "incremental")
		for _, name := range stepNames(p.full, p.inc) {
			fmt.Fprintf(stdout, "  %-45s %10s %12s\n", name, seconds(p.full.steps, name), seconds(p.inc.steps, name))
		}
	}
	return nil
}

// pair is one full build and the incremental build after it.
type pair struct{ full, inc result }

// medianPair is the pair whose incremental build took the median time (the
// lower middle one for an even count).
func medianPair(ps []pair) pair {
	s := append([]pair(nil), ps...)
	sort.Slice(s, func(i, j int) bool { return s[i].inc.wall < s[j].inc.wall })
	return s[(len(s)-1)/2]
}

func seconds(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

// result of one `ingot build`.
type result struct {
	wall  time.Duration
	steps map[string]float64 // seed/model name (or "tests") → execution seconds
}

// build runs `ingot build` on the pipeline with JSON logs and collects the
// execution time of each seed and model, and of all tests together.
func build(ctx context.Context, bin, dir string, extra []string) (result, error) {
	args := append([]string{"build", "--log-format", "json"}, selection...)
	args = append(args, extra...)
	run, err := benchproc.Run(ctx, dir, bin, args...)
	res := result{wall: run.Wall, steps: map[string]float64{}}
	if err != nil {
		return res, err
	}
	sc := bufio.NewScanner(bytes.NewReader(run.Stdout))
	sc.Buffer(make([]byte, 0, 1<<20), 1<<24)
	for sc.Scan() {
		var ev struct {
			Event        string  `json:"event"`
			Relation     string  `json:"relation"`
			ResourceType string  `json:"resource_type"`
			Time         float64 `json:"execution_time"`
			Message      string  `json:"message"`
		}
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Event != "node_finish" {
			continue
		}
		key := ev.Relation
		if ev.ResourceType == "test" || key == "" {
			key = "tests (all, summed)"
		} else {
			key = ev.ResourceType + " " + key
		}
		res.steps[key] += ev.Time
	}
	return res, sc.Err()
}

func stepNames(rs ...result) []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range rs {
		for k := range r.steps {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	sort.Strings(names)
	return names
}

// copyProject copies what ingot reads (project.yml, profiles.yml, models,
// macros, tests, snapshots and seeds) into dst, leaving seeds/notifications
// empty for generated events.
func copyProject(src, dst string) error {
	if err := exampletest.Copy(src, dst, "seeds/notifications"); err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(src, "profiles.yml"))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "profiles.yml"), b, 0o644)
}
