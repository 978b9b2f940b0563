// Command compile measures `ingot compile` on synthetic projects: for each
// size it generates a project of N models (bronze/silver/gold folders,
// chains and fan-in, macros, vars, property yml files) in a temporary
// directory, then runs the real ingot binary as a child process several
// times and prints the best and median wall time and the peak resident
// memory of the child. Run it from the repository root:
//
//	go run ./bench/compile                      # N = 1,000 and 10,000, 5 runs each
//	go run ./bench/compile -n 500 -runs 3
//	go run ./bench/compile -write p10k -n 10000   # only generate
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
)

func main() {
	sizes := flag.String("n", "1000,10000", "comma-separated project sizes (models)")
	runs := flag.Int("runs", 5, "measured runs per size")
	write := flag.String("write", "", "only generate a project of the (single) -n size into this directory, then exit")
	keep := flag.Bool("keep", false, "keep the generated projects and print where they are")
	bin := benchproc.BinFlag()
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *sizes, *runs, *write, *keep, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "bench/compile:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, sizesFlag string, runs int, write string, keep bool, bin string) error {
	sizes, err := parseSizes(sizesFlag)
	if err != nil {
		return err
	}
	if write != "" {
		if len(sizes) != 1 {
			return errors.New("-write takes a single -n size")
		}
		st, err := generate(write, sizes[0])
		if err != nil {
			return err
		}
		fmt.Printf("wrote %d models (%d files, %s) to %s\n", st.Models(), st.Files, benchproc.MB(st.Bytes), write)
		return nil
	}
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	tmp, cleanup, err := benchproc.WorkDir("", "compile", keep)
	if err != nil {
		return err
	}
	defer cleanup()
	exe, err := benchproc.Binary(ctx, bin, tmp)
	if err != nil {
		return err
	}
	fmt.Printf("ingot compile: parse + graph + render + write target/compiled; %d runs per size\n", runs)
	for _, n := range sizes {
		dir := filepath.Join(tmp, fmt.Sprintf("project-%d", n))
		start := time.Now()
		st, err := generate(dir, n)
		if err != nil {
			return fmt.Errorf("generating %d models: %w", n, err)
		}
		fmt.Printf("\nN=%d: bronze %d, silver %d, gold %d; %d files, %s of sources (generated in %s)\n",
			st.Models(), st.Bronze, st.Silver, st.Gold, st.Files, benchproc.MB(st.Bytes), benchproc.Secs(time.Since(start)))
		var walls, cpus benchproc.Durations
		var peak int64
		for i := range runs {
			// Each run writes every compiled file anew. The previous target
			// is moved aside rather than deleted: on some file systems
			// deleting thousands of files slows the creation of the next
			// ones, which would be measured as compile time.
			if i > 0 {
				if err := os.Rename(filepath.Join(dir, "target"), filepath.Join(tmp, fmt.Sprintf("old-target-%d-%d", n, i))); err != nil {
					return err
				}
			}
			r, err := benchproc.Run(ctx, dir, exe, "compile")
			if err != nil {
				return err
			}
			if want := fmt.Sprintf("Compiled %d models", st.Models()); !strings.Contains(string(r.Stdout), want) {
				return fmt.Errorf("at N=%d: expected %q, got %q", n, want, strings.TrimSpace(string(r.Stdout)))
			}
			walls = append(walls, r.Wall)
			cpus = append(cpus, r.User+r.Sys)
			peak = max(peak, r.MaxRSS)
			fmt.Printf("  run %d: wall %s, cpu %s, peak RSS %s\n", i+1, benchproc.Secs(r.Wall), benchproc.Secs(r.User+r.Sys), benchproc.MB(r.MaxRSS))
		}
		fmt.Printf("  N=%d: wall best %s, median %s; cpu median %s; peak RSS %s\n",
			n, benchproc.Secs(walls.Best()), benchproc.Secs(walls.Median()), benchproc.Secs(cpus.Median()), benchproc.MB(peak))
	}
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 3 {
			return nil, fmt.Errorf("-n: %q is not a model count of at least 3", f)
		}
		out = append(out, n)
	}
	return out, nil
}
