package cli_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/exampletest"
	"github.com/ingot-dev/ingot/internal/laketest"
)

// What a BI tool gets on each target while ingot builds (README, "BI
// tools"): these tests run ingot as a separate process (the test binary
// is ingot on PATH, see TestMain) and read its gold tables from this one.

const readersProfiles = `default:
  target: lake
  outputs:
    lake: {type: ducklake, catalog: lake/catalog.sqlite, data_path: lake/data/, threads: 4}
    dev: {type: duckdb, path: dev.duckdb, threads: 4}
`

// exampleProject copies the example project with readersProfiles.
func exampleProject(t *testing.T) string {
	t.Helper()
	dir := exampletest.Temp(t, "../..")
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(readersProfiles), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ingotCmd(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ingot", append([]string{"--project-dir", dir, "--no-color"}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}

func runIngot(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := ingotCmd(context.Background(), dir, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ingot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

var goldTables = []string{"audience_recommendations", "chatbot_sessions", "invoice_averages", "notification_billing_daily",
	"notifications_dashboard", "notifications_per_minute", "quarantine_current", "quarantine_global", "sales_7d_by_product", "sales_7d_by_seller"}

func fingerprint(db *sql.DB, relation string) (laketest.Fingerprint, error) {
	var f laketest.Fingerprint
	err := db.QueryRow(laketest.FingerprintQuery(relation)).Scan(&f.Rows, &f.Sum)
	return f, err
}

// lakeReader attaches dir's lake read-only with the statement README
// gives BI tools, and fingerprints every gold table as built.
func lakeReader(t *testing.T, dir string) (*sql.DB, map[string]laketest.Fingerprint) {
	t.Helper()
	attach := duckdb.AttachSQL(adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: filepath.Join(dir, "lake", "catalog.sqlite")}}, true)
	db := laketest.Reader(t, attach)
	want := map[string]laketest.Fingerprint{}
	for _, g := range goldTables {
		f, err := fingerprint(db, "lake.gold."+g)
		if err != nil {
			t.Fatal(err)
		}
		if f.Rows == 0 {
			t.Fatalf("gold.%s is empty; the example should fill it", g)
		}
		want[g] = f
	}
	return db, want
}

// TestLakeReadersDuringBuilds: while one process rebuilds the gold tables
// again and again, another reads them: no read fails or waits on a lock,
// and every read sees a whole table as a finished build left it.
func TestLakeReadersDuringBuilds(t *testing.T) {
	laketest.ExtensionDir(t)
	dir := exampleProject(t)
	runIngot(t, dir, "build")
	db, want := lakeReader(t, dir)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var builds atomic.Int64
	done := make(chan error, 1)
	go func() {
		// Full refresh: every gold table is swapped on every build.
		for ctx.Err() == nil {
			out, err := ingotCmd(ctx, dir, "run", "-s", "path:models/gold", "--full-refresh").CombinedOutput()
			if ctx.Err() != nil {
				break
			}
			if err != nil {
				done <- fmt.Errorf("build %d: %v\n%s", builds.Load()+1, err, out)
				return
			}
			builds.Add(1)
		}
		done <- nil
	}()
	reads, bad := 0, 0
	for i := 0; builds.Load() < 3 || reads < 300; i++ {
		g := goldTables[i%len(goldTables)]
		f, err := fingerprint(db, "lake.gold."+g)
		reads++
		switch {
		case err != nil:
			bad++
			t.Errorf("read %d of gold.%s failed: %v", reads, g, err)
		case f != want[g]:
			bad++
			t.Errorf("read %d of gold.%s saw %+v, want the finished build's %+v", reads, g, f, want[g])
		}
		if bad > 10 {
			break
		}
		if reads > 20000 {
			t.Fatalf("%d reads and only %d builds", reads, builds.Load())
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("%d reads of gold tables during %d builds, %d bad", reads, builds.Load(), bad)
}

// TestDuckDBFileReaders documents what a BI tool gets on a DuckDB file
// target: while it holds the file the build waits (--lock-timeout) and
// then fails, and during a build it cannot open the file.
func TestDuckDBFileReaders(t *testing.T) {
	dir := exampleProject(t)
	runIngot(t, dir, "build", "--target", "dev")
	path := filepath.Join(dir, "dev.duckdb")

	reader, err := sql.Open("duckdb", path+"?access_mode=read_only")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fingerprint(reader, "gold.sales_7d_by_seller"); err != nil {
		t.Fatalf("reading between builds: %v", err)
	}
	// The build waits up to --lock-timeout for the file, then gives up.
	out, err := ingotCmd(context.Background(), dir, "build", "--target", "dev", "--lock-timeout", "1s").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "gave up after 1s") || !strings.Contains(string(out), "is locked by another process") {
		t.Errorf("build with a reader holding the file: %v\n%s\nwant it to give up after --lock-timeout, as locked", err, out)
	}
	reader.Close()

	// Readers poll the file during builds: each is refused while a build
	// holds it, and a build that starts while readers keep opening the
	// file may wait past its --lock-timeout and fail.
	refused, opened, blocked := 0, 0, 0
	for build := 0; build < 3 && refused+blocked == 0; build++ {
		cmd := ingotCmd(context.Background(), dir, "build", "--target", "dev", "--lock-timeout", "2s")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		for running := true; running; {
			select {
			case err := <-exited:
				switch {
				case err == nil:
				case strings.Contains(out.String(), "is locked by another process"):
					blocked++
				default:
					t.Fatalf("build: %v\n%s", err, out.String())
				}
				running = false
			default:
				db, err := sql.Open("duckdb", path+"?access_mode=read_only")
				if err == nil {
					err = db.Ping()
					db.Close()
				}
				switch {
				case err == nil:
					opened++ // before ingot opened the file, or after it closed it
				case strings.Contains(err.Error(), "Could not set lock"):
					refused++
				default:
					t.Fatalf("opening during the build: %v", err)
				}
				time.Sleep(2 * time.Millisecond)
			}
		}
	}
	if refused+blocked == 0 {
		t.Errorf("readers and builds never got in each other's way (%d readers opened the file)", opened)
	}
	t.Logf("during builds of the DuckDB file: %d readers refused, %d opened it before or after ingot held it, %d builds failed as locked by a reader", refused, opened, blocked)
}
