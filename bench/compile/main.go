// Command compile measures `ingot compile` and `ingot ls` on synthetic
// projects: for each size it generates a project of N models
// (bronze/silver/gold folders, chains and fan-in, macros, vars, property
// yml files) in a temporary directory, then runs the real ingot binary as
// a child process several times per command and prints the best and
// median wall time, the CPU time and the peak resident memory of the
// child, and how long writing the compiled files alone takes. Run it from
// the repository root:
//
//	go run ./bench/compile                      # N = 1,000 and 10,000, 5 runs each
//	go run ./bench/compile -n 500 -runs 3
//	go run ./bench/compile -compare old,new     # two binaries, runs interleaved
//	go run ./bench/compile -write p10k -n 10000   # only generate
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ingot-dev/ingot/bench/compile/benchproc"
)

func main() {
	sizes := flag.String("n", "1000,10000", "comma-separated project sizes (models)")
	runs := flag.Int("runs", 5, "measured runs per size")
	write := flag.String("write", "", "only generate a project of the (single) -n size into this directory, then exit")
	keep := flag.Bool("keep", false, "keep the generated projects and print where they are")
	bin := benchproc.BinFlag()
	compare := flag.String("compare", "", "comma-separated ingot binaries to measure in turn, run by run (e.g. before,after)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *sizes, *runs, *write, *keep, *bin, *compare); err != nil {
		fmt.Fprintln(os.Stderr, "bench/compile:", err)
		os.Exit(1)
	}
}

// subject is one binary being measured.
type subject struct {
	name, exe string
	compile   series
	ls        series
}

func run(ctx context.Context, sizesFlag string, runs int, write string, keep bool, bin, compare string) error {
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
	bins := []string{bin}
	if compare != "" {
		if bin != "" {
			return errors.New("-bin and -compare do not go together")
		}
		bins = strings.Split(compare, ",")
	}
	var subjects []*subject
	for _, b := range bins {
		exe, err := benchproc.Binary(ctx, strings.TrimSpace(b), tmp)
		if err != nil {
			return err
		}
		subjects = append(subjects, &subject{name: filepath.Base(exe), exe: exe})
	}
	if len(subjects) > 1 {
		// Runs of the binaries alternate so that all of them meet the
		// machine and the file system in the same state.
		fmt.Printf("comparing %d binaries, runs interleaved\n", len(subjects))
	}
	fmt.Printf("ingot compile (parse, graph, render, write target/compiled) and ingot ls (parse, graph, list); %d runs per size\n", runs)
	for _, n := range sizes {
		dir := filepath.Join(tmp, fmt.Sprintf("project-%d", n))
		start := time.Now()
		st, err := generate(dir, n)
		if err != nil {
			return fmt.Errorf("generating %d models: %w", n, err)
		}
		fmt.Printf("\nN=%d: bronze %d, silver %d, gold %d; %d files, %s of sources (generated in %s)\n",
			st.Models(), st.Bronze, st.Silver, st.Gold, st.Files, benchproc.MB(st.Bytes), benchproc.Secs(time.Since(start)))
		for _, sub := range subjects {
			sub.compile, sub.ls = series{}, series{}
		}
		moved := 0
		for i := range runs {
			for _, sub := range subjects {
				// Each run writes every compiled file anew. The previous
				// target is moved aside rather than deleted: on some file
				// systems deleting thousands of files slows the creation of
				// the next ones, which would be measured as compile time.
				if _, err := os.Stat(filepath.Join(dir, "target")); err == nil {
					moved++
					if err := os.Rename(filepath.Join(dir, "target"), filepath.Join(tmp, fmt.Sprintf("old-target-%d-%d", n, moved))); err != nil {
						return err
					}
				}
				r, err := benchproc.Run(ctx, dir, sub.exe, "compile")
				if err != nil {
					return err
				}
				if want := fmt.Sprintf("Compiled %d models", st.Models()); !strings.Contains(string(r.Stdout), want) {
					return fmt.Errorf("at N=%d: expected %q, got %q", n, want, strings.TrimSpace(string(r.Stdout)))
				}
				sub.compile.add(label("compile", sub, subjects), i, r)
			}
		}
		for i := range runs {
			for _, sub := range subjects {
				r, err := benchproc.Run(ctx, dir, sub.exe, "ls")
				if err != nil {
					return err
				}
				if got := strings.Count(string(r.Stdout), "\n"); got != st.Models() {
					return fmt.Errorf("at N=%d: ingot ls listed %d models", n, got)
				}
				sub.ls.add(label("ls", sub, subjects), i, r)
			}
		}
		// What creating the compiled files costs on this file system,
		// without ingot: the same files written by as many goroutines as
		// ingot compile uses.
		files, err := readTree(filepath.Join(dir, "target", "compiled"))
		if err != nil {
			return err
		}
		var floor benchproc.Durations
		for i := range runs {
			d, err := writeTree(filepath.Join(tmp, fmt.Sprintf("floor-%d-%d", n, i)), files)
			if err != nil {
				return err
			}
			floor = append(floor, d)
		}
		for _, sub := range subjects {
			fmt.Printf("  N=%d %s: %s\n", n, label("compile", sub, subjects), sub.compile.summary())
			fmt.Printf("  N=%d %s: %s\n", n, label("ls", sub, subjects), sub.ls.summary())
		}
		fmt.Printf("  N=%d writing the %d compiled files alone: wall median %s\n", n, len(files), benchproc.Secs(floor.Median()))
	}
	return nil
}

// label names a command, and the binary when several are compared.
func label(cmd string, sub *subject, all []*subject) string {
	if len(all) == 1 {
		return cmd
	}
	return cmd + " [" + sub.name + "]"
}

// series collects the runs of one command.
type series struct {
	walls, cpus benchproc.Durations
	peak        int64
}

// add records run i of cmd and prints it.
func (s *series) add(cmd string, i int, r benchproc.Result) {
	s.walls = append(s.walls, r.Wall)
	s.cpus = append(s.cpus, r.User+r.Sys)
	s.peak = max(s.peak, r.MaxRSS)
	fmt.Printf("  %s run %d: wall %s, cpu %s (user %s, sys %s), peak RSS %s\n", cmd, i+1,
		benchproc.Secs(r.Wall), benchproc.Secs(r.User+r.Sys), benchproc.Secs(r.User), benchproc.Secs(r.Sys), benchproc.MB(r.MaxRSS))
}

func (s *series) summary() string {
	return fmt.Sprintf("wall best %s, median %s; cpu median %s; peak RSS %s",
		benchproc.Secs(s.walls.Best()), benchproc.Secs(s.walls.Median()), benchproc.Secs(s.cpus.Median()), benchproc.MB(s.peak))
}

// readTree reads every file under root, keyed by its path relative to root.
func readTree(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files[rel], err = os.ReadFile(path)
		return err
	})
	return files, err
}

// writeTree writes files under root, which must not exist, as ingot
// compile does (each folder created once, then the files from
// 2×GOMAXPROCS goroutines), and returns how long it took.
func writeTree(root string, files map[string][]byte) (time.Duration, error) {
	start := time.Now()
	dirs := map[string]bool{}
	for rel := range files {
		dirs[filepath.Dir(filepath.Join(root, rel))] = true
	}
	for d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, err
		}
	}
	var g errgroup.Group
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for rel, data := range files {
		g.Go(func() error { return os.WriteFile(filepath.Join(root, rel), data, 0o644) })
	}
	err := g.Wait()
	return time.Since(start), err
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
