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

	"github.com/jackc/pgx/v5"

	"github.com/ingot-dev/ingot/internal/pgtest"
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
	checkFailed(t, code, out, errOut, `postgres target "dev"`, "check that PostgreSQL is running at 127.0.0.1:"+fmt.Sprint(port))
	// The connect timeout is 2 s; a hang would run until the test's own.
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("failing to connect took %s with connect_timeout 2", d)
	}
}

// silentServer is a loopback address that accepts TCP connections and
// never says a word, as a server behind a black-holing firewall or a hung
// host does; the connections close when the test ends.
func silentServer(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	accepted := make(chan struct{})
	go func() {
		defer close(accepted)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-accepted
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().(*net.TCPAddr).Port
}

func TestFaultSilentServer(t *testing.T) {
	port := silentServer(t)
	dir := faultProject(t, fmt.Sprintf("{type: postgres, host: 127.0.0.1, port: %d, user: u, password: sekret42, dbname: db, connect_timeout: 2}", port))
	start := time.Now()
	code, out, errOut := ingot(context.Background(), t, dir, "build")
	d := time.Since(start)
	checkFailed(t, code, out, errOut, `postgres target "dev"`,
		fmt.Sprintf("the server at 127.0.0.1:%d did not answer within connect_timeout (2s)", port), "raise connect_timeout")
	// About 2 s; the bound is loose because the machine is shared.
	if d < 2*time.Second || d > 15*time.Second {
		t.Errorf("failing took %s with connect_timeout 2, want about 2s", d)
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

// TestFaultServerStoppedMidBuild stops PostgreSQL (as a crash would) while
// a model is being built: the build must fail at once, naming the target
// and saying what to do, not hang or leave a stack trace.
func TestFaultServerStoppedMidBuild(t *testing.T) {
	pg := pgtest.NewCluster(t)
	dir := faultProject(t, fmt.Sprintf("{type: postgres, host: '%s', port: %d, user: %s, password: '%s', dbname: %s, sslmode: disable, connect_timeout: 5}",
		pg.Host, pg.Port, pg.User, pg.Password, pg.Name))
	write(t, filepath.Join(dir, "models/gold/slow.sql"), `{{ config "materialized" "table" }}select 1 as n from (select pg_sleep(60)) s`)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	type result struct {
		code        int
		out, errOut string
	}
	done := make(chan result, 1)
	go func() {
		var r result
		r.code, r.out, r.errOut = ingot(ctx, t, dir, "build")
		done <- r
	}()

	// Stop the server once the slow model's query is running on it.
	admin, err := pgx.Connect(ctx, pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	for {
		var n int
		err := admin.QueryRow(ctx, `select count(*) from pg_stat_activity where wait_event = 'PgSleep'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("build ended before the slow model ran: exit %d\n%s%s", r.code, r.out, r.errOut)
		case <-time.After(50 * time.Millisecond):
		}
	}
	admin.Close(ctx)
	stopped := time.Now()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	checkFailed(t, r.code, r.out, r.errOut, "models/gold/slow.sql", `lost the connection to postgres target "dev"`, "check that PostgreSQL is running")
	if d := time.Since(stopped); d > 30*time.Second {
		t.Errorf("the build took %s to notice the server had stopped", d)
	}
	if strings.Contains(r.out+r.errOut, pg.Password) {
		t.Errorf("output holds the password:\n%s%s", r.out, r.errOut)
	}
}
