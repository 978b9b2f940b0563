package duckdb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/laketest"
)

func TestFindExtension(t *testing.T) {
	layouts := []string{
		"duckdb_extension_ducklake/extensions/v1.5.5/ducklake.duckdb_extension", // pip install --target
		"v1.5.5/linux_amd64/ducklake.duckdb_extension",                          // DuckDB's extension directory
		"extensions/v1.5.5/ducklake.duckdb_extension",                           // an unpacked wheel
		"ducklake.duckdb_extension",
	}
	for _, l := range layouts {
		dir := t.TempDir()
		want := filepath.Join(dir, filepath.FromSlash(l))
		if err := os.MkdirAll(filepath.Dir(want), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(want, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if got, _ := findExtension(dir, "ducklake", "v1.5.5", "linux_amd64"); got != want {
			t.Errorf("layout %s: found %q", l, got)
		}
		if got, _ := findExtension(dir, "ducklake", "v1.6.0", "linux_amd64"); strings.Contains(got, "v1.5.5") {
			t.Errorf("layout %s: another DuckDB version's file was taken: %q", l, got)
		}
	}
}

func TestAttachSQL(t *testing.T) {
	tests := []struct {
		lake     adapter.Lake
		readOnly bool
		want     string
	}{
		{adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: "/p/cat.sqlite"}, DataPath: "/p/data/"}, false,
			`ATTACH 'ducklake:sqlite:/p/cat.sqlite' AS lake (META_JOURNAL_MODE 'WAL', META_BUSY_TIMEOUT 30000, DATA_PATH '/p/data/')`},
		{adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: "/p/it's.sqlite"}}, true,
			`ATTACH 'ducklake:sqlite:/p/it''s.sqlite' AS lake (META_BUSY_TIMEOUT 30000, READ_ONLY)`},
		{adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogPostgres, DSN: "dbname=lake host=db"}, DataPath: "s3://b/lake/"}, false,
			`ATTACH 'ducklake:postgres:dbname=lake host=db' AS lake (DATA_PATH 's3://b/lake/')`},
		{adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogDuckDB, Path: "/p/cat.ducklake"}, DataPath: "/p/d/"}, false,
			`ATTACH 'ducklake:duckdb:/p/cat.ducklake' AS lake (DATA_PATH '/p/d/')`},
	}
	for _, tt := range tests {
		if got := AttachSQL(tt.lake, tt.readOnly); got != tt.want {
			t.Errorf("AttachSQL:\n got %s\nwant %s", got, tt.want)
		}
	}
}

// TestLakeMissingExtension: a lake whose extensions are nowhere fails at
// once, saying how to install them offline: from an empty extension
// directory, and when DuckDB's INSTALL cannot reach its repository (here a
// closed local port, set as profiles set DuckDB settings).
func TestLakeMissingExtension(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HOME", dir) // DuckDB's own extension directory: empty
	for _, extDir := range []string{filepath.Join(dir, "ext"), ""} {
		l := &adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: filepath.Join(dir, "c.sqlite")}, DataPath: dir + "/d/", ExtensionDir: extDir}
		settings := map[string]string{"custom_extension_repository": "http://127.0.0.1:9"}
		_, err := Open(context.Background(), adapter.Target{Type: "ducklake", Options: Options{Lake: l}, Settings: settings})
		var ee *ExtensionError
		if !errors.As(err, &ee) || ee.Name != "ducklake" {
			t.Fatalf("extension_directory %q: got %v, want an ExtensionError for ducklake", extDir, err)
		}
		if !strings.Contains(err.Error(), "pip install --no-deps --target") || !strings.Contains(err.Error(), "duckdb-extension-ducklake==1.5.5") {
			t.Errorf("error does not say how to install: %v", err)
		}
		if extDir == "" && !strings.Contains(err.Error(), "127.0.0.1:9") {
			t.Errorf("error does not come from INSTALL's download: %v", err)
		}
	}
}

func openLake(t *testing.T, l *adapter.Lake) *Adapter {
	t.Helper()
	a, err := Open(context.Background(), adapter.Target{Name: "lake", Type: "ducklake", Options: Options{Lake: l}, Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestLakeCommits: every build of a relation is one DuckLake snapshot, so
// another reader sees the old table or the new one; past versions stay
// readable by version and by time.
func TestLakeCommits(t *testing.T) {
	ctx := context.Background()
	l := laketest.Lake(t, t.TempDir())
	a := openLake(t, l)
	r := rel("gold", "t")
	build := func(m adapter.Materialization) {
		t.Helper()
		before := len(snapshots(t, a))
		if _, err := a.Materialize(ctx, m); err != nil {
			t.Fatal(err)
		}
		if got := len(snapshots(t, a)); got != before+1 {
			t.Errorf("%s (%s, incremental %v) took %d snapshots, want 1", m.Relation, m.Materialized, m.Incremental, got-before)
		}
	}
	if err := a.EnsureSchema(ctx, "gold"); err != nil {
		t.Fatal(err)
	}
	build(adapter.Materialization{Relation: r, Materialized: "table", SQL: "SELECT range AS id, 'a' AS v FROM range(3)"})
	v1 := snapshots(t, a)[0]
	time.Sleep(10 * time.Millisecond)
	build(adapter.Materialization{Relation: r, Materialized: "table", SQL: "SELECT range AS id, 'b' AS v FROM range(5)"})
	for _, strategy := range []string{"merge", "delete+insert"} {
		build(adapter.Materialization{Relation: r, Materialized: "incremental", Incremental: true, Strategy: strategy, UniqueKey: []string{"id"},
			SQL: "SELECT 1::BIGINT AS id, 'c' AS v"})
	}
	build(adapter.Materialization{Relation: r, Materialized: "incremental", Incremental: true, Strategy: "append", SQL: "SELECT 9::BIGINT AS id, 'd' AS v"})
	if got := rowsOf(t, a, "SELECT string_agg(v, '' ORDER BY id) FROM gold.t"); got[0] != "bcbbbd" {
		t.Errorf("gold.t now holds %v", got)
	}
	if got := leftovers(t, a); len(got) > 0 {
		t.Errorf("temporary relations left: %v", got)
	}

	at, err := a.RelationAt(r, adapter.AsOf{Version: v1.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, a, "SELECT string_agg(v, '' ORDER BY id) FROM "+at); got[0] != "aaa" {
		t.Errorf("version %d holds %v, want the first build", v1.ID, got)
	}
	at, err = a.RelationAt(r, adapter.AsOf{Timestamp: v1.Time.Add(time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(t, a, "SELECT count(*) FROM "+at); got[0] != "3" {
		t.Errorf("as of %s: %v rows, want the first build's 3", v1.Time, got)
	}
	if s := snapshots(t, a)[0]; !strings.Contains(s.Changes, "insert") {
		t.Errorf("latest snapshot's changes %q do not name the append", s.Changes)
	}
}

func snapshots(t *testing.T, a *Adapter) []adapter.Snapshot {
	t.Helper()
	s, err := a.Snapshots(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLakeLock: a second ingot run on the same lake waits for the first.
func TestLakeLock(t *testing.T) {
	ctx := context.Background()
	l := laketest.Lake(t, t.TempDir())
	a, b := openLake(t, l), openLake(t, l)
	release, err := a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, false); !errors.Is(err, adapter.ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	release()
	release2, err := b.Lock(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	release2()
}

func TestNoTimeTravelOnFile(t *testing.T) {
	a := openTest(t, "")
	if _, err := a.RelationAt(rel("s", "t"), adapter.AsOf{Version: 1}); err == nil || !strings.Contains(err.Error(), "ducklake") {
		t.Errorf("RelationAt on a DuckDB file: %v", err)
	}
}

// leftovers lists temporary relations a build left behind.
func leftovers(t *testing.T, a *Adapter) []string {
	t.Helper()
	return rowsOf(t, a, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_name LIKE '%__ingot_%' ORDER BY 1")
}
