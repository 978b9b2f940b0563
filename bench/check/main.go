// Command check measures `ingot check` on synthetic projects: for each size
// it generates a project of N models with bench/compile's generator (run
// as a child process with -write), declares the column types of its raw
// sources (as a project checked without a warehouse must), then runs the
// real ingot binary's check several times and prints the wall time of the
// process, its CPU time, the part ingot reports for the check itself
// (binding every model in DuckDB, after loading and parsing), and the
// peak resident memory. Run it from the repository root:
//
//	go run ./bench/check                 # N = 1,000 and 10,000, 3 runs each
//	go run ./bench/check -n 500 -runs 1
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
)

// generatorPackage writes the synthetic projects (its -write mode).
const generatorPackage = "github.com/ingot-dev/ingot/bench/compile"

func main() {
	sizes := flag.String("n", "1000,10000", "comma-separated project sizes (models)")
	runs := flag.Int("runs", 3, "measured runs per size")
	keep := flag.Bool("keep", false, "keep the generated projects and print where they are")
	bin := benchproc.BinFlag()
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *sizes, *runs, *keep, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/check:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, sizesFlag string, runs int, keep bool, bin string) error {
	var sizes []int
	for _, f := range strings.Split(sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 3 {
			return fmt.Errorf("-n: %q is not a model count of at least 3", f)
		}
		sizes = append(sizes, n)
	}
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	tmp, cleanup, err := benchproc.WorkDir("", "check", keep)
	if err != nil {
		return err
	}
	defer cleanup()
	exe, err := benchproc.Binary(ctx, bin, tmp)
	if err != nil {
		return err
	}
	gen := filepath.Join(tmp, "generate")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", gen, generatorPackage).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", generatorPackage, err, out)
	}
	fmt.Printf("ingot check: load + parse + bind every model in an in-memory DuckDB; %d runs per size\n", runs)
	for _, n := range sizes {
		dir := filepath.Join(tmp, fmt.Sprintf("project-%d", n))
		if _, err := benchproc.Run(ctx, tmp, gen, "-write", dir, "-n", strconv.Itoa(n)); err != nil {
			return err
		}
		if err := typeSources(dir); err != nil {
			return err
		}
		var walls, cpus, checks benchproc.Durations
		var peak int64
		for i := range runs {
			r, err := benchproc.Run(ctx, dir, exe, "check")
			if err != nil {
				return err
			}
			checked, elapsed, err := summary(r.Stdout)
			if err != nil {
				return fmt.Errorf("at N=%d: %w", n, err)
			}
			if checked != n {
				return fmt.Errorf("at N=%d: ingot checked %d models", n, checked)
			}
			walls, cpus, checks = append(walls, r.Wall), append(cpus, r.User+r.Sys), append(checks, elapsed)
			peak = max(peak, r.MaxRSS)
			fmt.Printf("  N=%d run %d: wall %s, cpu %s, of which check %s; peak RSS %s\n",
				n, i+1, benchproc.Secs(r.Wall), benchproc.Secs(r.User+r.Sys), benchproc.Secs(elapsed), benchproc.MB(r.MaxRSS))
		}
		fmt.Printf("  N=%d: wall best %s, median %s; check best %s, median %s; cpu median %s; peak RSS %s\n",
			n, benchproc.Secs(walls.Best()), benchproc.Secs(walls.Median()), benchproc.Secs(checks.Best()),
			benchproc.Secs(checks.Median()), benchproc.Secs(cpus.Median()), benchproc.MB(peak))
	}
	return nil
}

// sourceColumns are the columns the generator's bronze models read from
// each raw table.
const sourceColumns = `        columns:
          - {name: id, data_type: bigint}
          - {name: customer_id, data_type: bigint}
          - {name: amount_cents, data_type: bigint}
          - {name: created_at, data_type: timestamp}
          - {name: deleted, data_type: boolean}
`

var sourceTable = regexp.MustCompile(`(?m)^      - name: events_\d+\n`)

// typeSources declares the raw tables' columns in the generated sources
// yml: with no warehouse to read them from, the check would otherwise skip
// every model.
func typeSources(dir string) error {
	path := filepath.Join(dir, "models", "bronze", "_sources.yml")
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	out := sourceTable.ReplaceAllStringFunc(string(src), func(t string) string { return t + sourceColumns })
	if out == string(src) {
		return fmt.Errorf("%s: no source tables found to type", path)
	}
	return os.WriteFile(path, []byte(out), 0o644)
}

var summaryRe = regexp.MustCompile(`Checked (\d+) models?, .* in ([0-9.]+)s: 0 problems`)

// summary reads the models checked and the check's own time from ingot's
// last line.
func summary(stdout []byte) (int, time.Duration, error) {
	m := summaryRe.FindSubmatch(stdout)
	if m == nil {
		return 0, 0, fmt.Errorf("no clean check summary in output: %s", strings.TrimSpace(string(stdout)))
	}
	n, _ := strconv.Atoi(string(m[1]))
	secs, _ := strconv.ParseFloat(string(m[2]), 64)
	return n, time.Duration(secs * float64(time.Second)), nil
}
