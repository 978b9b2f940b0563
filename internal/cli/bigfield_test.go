package cli_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSeedHugeField seeds a CSV file with one 200 MB value: ingot must
// fail with the file, the line and what to do, without holding the value
// in memory many times over. ingot runs as a process of its own so that
// its peak memory can be read.
func TestSeedHugeField(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 200 MB file")
	}
	dir := faultProject(t, "{type: duckdb, path: w.duckdb}")
	if err := os.MkdirAll(filepath.Join(dir, "seeds"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "seeds", "big.csv"))
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("id,text\n1,short\n2,")
	chunk := strings.Repeat("x", 1<<20)
	for range 200 {
		w.WriteString(chunk)
	}
	w.WriteString("\n3,short\n")
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := ingotCmd(ctx, dir, "seed")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	checkFailed(t, code, string(out), "", "seeds/big.csv:3:", "longer than", "max_line_size", "Parquet seed")
	// Maxrss is in kilobytes on Linux.
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		t.Logf("peak memory of ingot seed: %d MB", ru.Maxrss/1024)
		if ru.Maxrss > 2<<20 {
			t.Errorf("ingot seed peaked at %d MB, want under 2 GB", ru.Maxrss/1024)
		}
	}
}
