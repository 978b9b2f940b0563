// Package benchproc runs the real ingot binary as a child process for the
// benchmarks in bench/: it builds the binary once, runs commands, and reads
// each child's wall time, CPU time and peak resident memory from the
// kernel's rusage, which covers the whole process (Go heap, DuckDB and all).
package benchproc

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ingotPackage is built by Binary; naming the package rather than a path
// lets the benchmarks run from any directory inside the module.
const ingotPackage = "github.com/ingot-dev/ingot/cmd/ingot"

// BinFlag registers the -bin flag shared by the benchmarks.
func BinFlag() *string {
	return flag.String("bin", "", "use this ingot binary instead of building one with go build")
}

// Binary returns the ingot binary to measure: bin when set, else a fresh
// `go build -o` into dir.
func Binary(ctx context.Context, bin, dir string) (string, error) {
	if bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", fmt.Errorf("-bin: %w", err)
		}
		return abs, nil
	}
	out := filepath.Join(dir, "ingot")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, ingotPackage)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", ingotPackage, err)
	}
	fmt.Fprintf(os.Stderr, "built ingot in %.1fs\n", time.Since(start).Seconds())
	return out, nil
}

// Result is one finished child process.
type Result struct {
	Wall     time.Duration
	User     time.Duration
	Sys      time.Duration
	MaxRSS   int64 // bytes; -1 where the platform does not report it
	Stdout   []byte
	Stderr   []byte
	ExitCode int
}

// Run runs bin with args in dir and fails unless it exits 0; the error
// carries the tail of the child's output.
func Run(ctx context.Context, dir, bin string, args ...string) (Result, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	// Colour and terminal detection must not differ between runs.
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	r := Result{Wall: wall, MaxRSS: -1, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), ExitCode: -1}
	if ps := cmd.ProcessState; ps != nil {
		r.ExitCode = ps.ExitCode()
		r.User = ps.UserTime()
		r.Sys = ps.SystemTime()
		r.MaxRSS = maxRSS(ps)
	}
	if err != nil {
		return r, fmt.Errorf("%s %s: %w\n%s", filepath.Base(bin), strings.Join(args, " "), err, tail(stdout.Bytes(), stderr.Bytes()))
	}
	return r, nil
}

// tail is the end of a child's output, enough to see why it failed.
func tail(stdout, stderr []byte) string {
	const keep = 3000
	s := string(stdout) + string(stderr)
	if len(s) > keep {
		s = "…" + s[len(s)-keep:]
	}
	return s
}

// Durations summarises repeated measurements.
type Durations []time.Duration

// Best is the fastest run.
func (d Durations) Best() time.Duration { return slices.Min(d) }

// Median is the middle run (the mean of the two middle ones for an even count).
func (d Durations) Median() time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// MB formats bytes as mebibytes.
func MB(b int64) string {
	if b < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
}

// Ms formats a duration in milliseconds.
func Ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// Secs formats a duration in seconds.
func Secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

// WorkDir creates a temporary directory (under parent, "" for the system
// default) for a benchmark's projects and files. The returned cleanup
// removes it unless keep is set, in which case its path is printed.
func WorkDir(parent, name string, keep bool) (string, func(), error) {
	dir, err := os.MkdirTemp(parent, "ingot-bench-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	if keep {
		fmt.Printf("files kept in %s\n", dir)
		return dir, func() {}, nil
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}
