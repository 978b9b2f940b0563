package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/cli"
)

// TestGeneratedProjectCompiles keeps the generator honest: every size
// gives a project that compiles without errors into one file per model.
func TestGeneratedProjectCompiles(t *testing.T) {
	for _, n := range []int{3, 60, 237} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := t.TempDir()
			st, err := generate(dir, n)
			if err != nil {
				t.Fatal(err)
			}
			if st.Models() != n {
				t.Fatalf("generated %d models, want %d", st.Models(), n)
			}
			var stdout, stderr bytes.Buffer
			if code := cli.Main(context.Background(), []string{"ingot", "compile", "--project-dir", dir}, nil, &stdout, &stderr); code != 0 {
				t.Fatalf("compile exited %d:\n%s%s", code, stdout.String(), stderr.String())
			}
			if want := fmt.Sprintf("Compiled %d models", n); !strings.Contains(stdout.String(), want) {
				t.Fatalf("stdout = %q, want %q", stdout.String(), want)
			}
			var files int
			err = filepath.WalkDir(filepath.Join(dir, "target", "compiled"), func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					files++
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if files != n {
				t.Fatalf("%d compiled files, want %d", files, n)
			}
		})
	}
}

// BenchmarkCompile runs `ingot compile` in-process, for profiling, and
// `ingot ls`, which does the same parsing and graph work without rendering
// and writing the compiled files:
//
//	go test -run '^$' -bench 'Compile/compile/10000' -benchtime 3x -cpuprofile cpu.out ./bench/compile/
func BenchmarkCompile(b *testing.B) {
	for _, cmd := range []string{"compile", "ls"} {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("%s/%d", cmd, n), func(b *testing.B) {
				dir := b.TempDir()
				if _, err := generate(dir, n); err != nil {
					b.Fatal(err)
				}
				args := []string{"ingot", cmd, "--project-dir", dir}
				b.ReportAllocs()
				for b.Loop() {
					var stderr bytes.Buffer
					if code := cli.Main(context.Background(), args, nil, io.Discard, &stderr); code != 0 {
						b.Fatalf("%s exited %d: %s", cmd, code, stderr.String())
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/model")
			})
		}
	}
}
