package cli_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Faults of the machine and the network: each build must stop with a
// non-zero exit and a message saying what is wrong, never a stack trace.

func faultProject(t *testing.T, profile string) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "project.yml"), "name: faults\n")
	write(t, filepath.Join(dir, "profiles.yml"), "default:\n  target: dev\n  outputs:\n    dev: "+profile+"\n")
	write(t, filepath.Join(dir, "models/gold/g.sql"), "select 1 as n")
	return dir
}

func checkFailed(t *testing.T, code int, out, errOut string, want ...string) {
	t.Helper()
	if code == 0 {
		t.Fatalf("exit 0, want non-zero\n%s%s", out, errOut)
	}
	if strings.Contains(out+errOut, "goroutine ") || strings.Contains(out+errOut, "panic") {
		t.Errorf("output holds a stack trace:\n%s%s", out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(out+errOut, w) {
			t.Errorf("output lacks %q:\n%s%s", w, out, errOut)
		}
	}
	t.Logf("exit %d: %s%s", code, out, strings.TrimSpace(errOut))
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestFaultUnreachableServer(t *testing.T) {
	port := closedPort(t)
	dir := faultProject(t, fmt.Sprintf("{type: postgres, host: 127.0.0.1, port: %d, user: u, password: sekret42, dbname: db, connect_timeout: 2}", port))
	start := time.Now()
	code, out, errOut := ingot(context.Background(), t, dir, "build")
	checkFailed(t, code, out, errOut, `postgres target "dev"`, "127.0.0.1")
	// The connect timeout is 2 s; a hang would run until the test's own.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("failing to connect took %s with connect_timeout 2", d)
	}
}

// mountTmpfs mounts a tmpfs of size at dir with extra options, or skips
// the test saying why it cannot.
func mountTmpfs(t *testing.T, dir, size string, opts ...string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	o := strings.Join(append([]string{"size=" + size}, opts...), ",")
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
}

func TestFaultFullDisk(t *testing.T) {
	disk := filepath.Join(t.TempDir(), "disk")
	mountTmpfs(t, disk, "3m")
	dir := faultProject(t, "{type: duckdb, path: "+filepath.Join(disk, "w.duckdb")+"}")
	// A seed of about 30 MB of distinct text, which no compression fits
	// in 3 MB.
	var b strings.Builder
	b.WriteString("id,text\n")
	for i := range 300000 {
		fmt.Fprintf(&b, "%d,%x%x\n", i, i*7919, uint64(i)*0x9e3779b97f4a7c15)
	}
	write(t, filepath.Join(dir, "seeds/big.csv"), b.String())
	code, out, errOut := ingot(context.Background(), t, dir, "build")
	checkFailed(t, code, out, errOut, "space")
}

func TestFaultReadOnlyWarehouse(t *testing.T) {
	ro := filepath.Join(t.TempDir(), "ro")
	mountTmpfs(t, ro, "1m", "ro")
	dir := faultProject(t, "{type: duckdb, path: "+filepath.Join(ro, "w.duckdb")+"}")
	code, out, errOut := ingot(context.Background(), t, dir, "build")
	checkFailed(t, code, out, errOut, "w.duckdb")
}

func TestFaultReadOnlyTarget(t *testing.T) {
	dir := faultProject(t, "{type: duckdb, path: ingot.duckdb}")
	mountTmpfs(t, filepath.Join(dir, "target"), "1m", "ro")
	code, out, errOut := ingot(context.Background(), t, dir, "build")
	checkFailed(t, code, out, errOut, "target")
}
