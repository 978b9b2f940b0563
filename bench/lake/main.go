// Command lake compares a DuckLake target with a DuckDB file: it copies the
// example project to a work directory, writes N generated notification
// events as seeds/notifications/events-0001.jsonl, times `ingot build
// --full-refresh` of the whole example on the DuckDB file target and on the
// lake target (-runs times each, medians compared) and prints both and
// their ratio. Then, while one more lake build runs, a reader of its own
// (as a BI tool would) reads gold.notifications_per_minute again and
// again, and the latency of those reads is printed next to that of the
// same read with no build running.
//
// The lake needs the ducklake and sqlite_scanner extension files in
// $INGOT_DUCKDB_EXTENSION_DIR (see README, "BI tools"). From the repository
// root:
//
//	go run ./bench/lake                  # 10 million events
//	go run ./bench/lake -n 1000000 -runs 1
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
	"github.com/ingot-dev/ingot/bench/notifications/eventgen"
	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/exampletest"
	"github.com/ingot-dev/ingot/internal/laketest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const profiles = `default:
  target: dev
  outputs:
    dev: {type: duckdb, path: bench.duckdb, threads: 4}
    lake: {type: ducklake, catalog: lake/catalog.sqlite, data_path: lake/data/, threads: 4}
`

// readTable is the gold table the reader reads during a build.
const readTable = "lake.gold.notifications_per_minute"

type options struct {
	n       int64
	runs    int
	project string
	ingot   string
	keep    bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fl := flag.NewFlagSet("lake", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Int64Var(&o.n, "n", 10_000_000, "notification events")
	fl.IntVar(&o.runs, "runs", 3, "builds per target (medians are compared)")
	fl.StringVar(&o.project, "project", ".", "the example project (repository root)")
	fl.StringVar(&o.ingot, "bin", "", "ingot binary (default: go build of this module's cmd/ingot)")
	fl.BoolVar(&o.keep, "keep", false, "keep the work directory")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if o.n <= 0 || o.runs <= 0 || fl.NArg() > 0 {
		fmt.Fprintln(stderr, "lake: need -n > 0, -runs > 0 and no arguments")
		return 2
	}
	if err := bench(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "lake: %v\n", err)
		return 1
	}
	return 0
}

func bench(ctx context.Context, o options, stdout io.Writer) error {
	extDir := os.Getenv(adapter.ExtensionDirEnv)
	if extDir == "" {
		return fmt.Errorf("set %s to the folder of the DuckDB extension files (README, \"BI tools\")", adapter.ExtensionDirEnv)
	}
	root, err := filepath.Abs(o.project)
	if err != nil {
		return err
	}
	work, cleanup, err := benchproc.WorkDir("", "lake", o.keep)
	if err != nil {
		return err
	}
	defer cleanup()
	bin, err := benchproc.Binary(ctx, o.ingot, work)
	if err != nil {
		return err
	}
	proj := filepath.Join(work, "project")
	if err := exampletest.Copy(root, proj, "seeds/notifications"); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(proj, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "writing %d events ...\n", o.n)
	if _, err := eventgen.WriteFile(ctx, filepath.Join(proj, "seeds", "notifications", "events-0001.jsonl"), eventgen.Defaults(o.n)); err != nil {
		return err
	}

	medians := map[string]time.Duration{}
	for _, target := range []string{"dev", "lake"} {
		var walls benchproc.Durations
		for i := range o.runs {
			r, err := benchproc.Run(ctx, proj, bin, "build", "--full-refresh", "--target", target)
			if err != nil {
				return err
			}
			walls = append(walls, r.Wall)
			fmt.Fprintf(stdout, "%-4s build %d: %s (peak RSS %s)\n", target, i+1, benchproc.Secs(r.Wall), benchproc.MB(r.MaxRSS))
		}
		medians[target] = walls.Median()
	}
	fmt.Fprintf(stdout, "\nbuild --full-refresh of the example, %d events, median of %d:\n", o.n, o.runs)
	fmt.Fprintf(stdout, "  DuckDB file: %s\n  DuckLake:    %s\n  ratio lake/file: %.2fx (goal <= 1.3x)\n",
		benchproc.Secs(medians["dev"]), benchproc.Secs(medians["lake"]), float64(medians["lake"])/float64(medians["dev"]))

	return readLatency(ctx, extDir, proj, bin, stdout)
}

// readLatency reads readTable with no build running, then during a lake
// build, and prints the latencies of both.
func readLatency(ctx context.Context, extDir, proj, bin string, stdout io.Writer) error {
	attach := duckdb.AttachSQL(adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: filepath.Join(proj, "lake", "catalog.sqlite")}}, true)
	db, err := laketest.OpenReader(extDir, attach)
	if err != nil {
		return err
	}
	defer db.Close()
	var idle []time.Duration
	for range 50 {
		d, err := read(db)
		if err != nil {
			return fmt.Errorf("reading %s: %w", readTable, err)
		}
		idle = append(idle, d)
	}

	done := make(chan error, 1)
	go func() {
		_, err := benchproc.Run(ctx, proj, bin, "build", "--full-refresh", "--target", "lake")
		done <- err
	}()
	var during []time.Duration
	failed := 0
	for building := true; building; {
		select {
		case err := <-done:
			if err != nil {
				return err
			}
			building = false
		default:
			d, err := read(db)
			if err != nil {
				failed++
				continue
			}
			during = append(during, d)
		}
	}
	fmt.Fprintf(stdout, "\nreading %s (count and checksum of every row) from a second process:\n", readTable)
	fmt.Fprintf(stdout, "  no build running: %s\n", latencies(idle))
	fmt.Fprintf(stdout, "  during a build:   %s, %d failed\n", latencies(during), failed)
	return nil
}

func read(db *sql.DB) (time.Duration, error) {
	start := time.Now()
	var f laketest.Fingerprint
	err := db.QueryRow(laketest.FingerprintQuery(readTable)).Scan(&f.Rows, &f.Sum)
	return time.Since(start), err
}

func latencies(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no reads"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return fmt.Sprintf("%d reads, median %s, p95 %s, max %s", len(s), benchproc.Ms(q(0.5)), benchproc.Ms(q(0.95)), benchproc.Ms(s[len(s)-1]))
}
