package parity

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/laketest"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

// TestGoldParityLake builds the example project on a DuckDB file and on a
// DuckLake lake and compares every gold table row by row.
func TestGoldParityLake(t *testing.T) {
	laketest.ExtensionDir(t)
	lakeParity(t, laketest.Output("lake", 4), func(dir string) *adapter.Lake {
		return laketest.Lake(t, filepath.Join(dir, "lake"))
	}, 1)
}

// TestGoldParityLakePostgresCatalog is TestGoldParityLake with the lake's
// catalog in PostgreSQL (the shared catalog of a team), given by fields;
// the lake is built twice.
func TestGoldParityLakePostgresCatalog(t *testing.T) {
	ext := laketest.ExtensionDir(t)
	db := pgtest.New(t)
	output := fmt.Sprintf(`
      type: ducklake
      catalog:
        postgres: {host: '%s', port: %d, user: '%s', password: '%s', dbname: '%s'}
      data_path: lake/data/
      threads: 4`, db.Host, db.Port, db.User, db.Password, db.Name)
	lakeParity(t, output, func(string) *adapter.Lake {
		return &adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogPostgres, DSN: db.DSN}, ExtensionDir: ext}
	}, 2)
}

// lakeParity builds the example on a DuckDB file and, builds times, on the
// profiles.yml output lakeOutput, then compares the gold tables with the
// lake opened as lake(dir) says.
func lakeParity(t *testing.T, lakeOutput string, lake func(dir string) *adapter.Lake, builds int) {
	t.Helper()
	dir := copyProject(t)
	profiles := `default:
  target: dev
  outputs:
    dev: {type: duckdb, path: parity.duckdb, threads: 4}
    lake: ` + lakeOutput + "\n"
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	ingot(t, dir, "build")
	for range builds {
		ingot(t, dir, "build", "--target", "lake")
	}

	ctx := context.Background()
	dk, err := duckdb.Open(ctx, adapter.Target{Type: "duckdb", Options: duckdb.Options{Path: filepath.Join(dir, "parity.duckdb")}})
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	lk, err := duckdb.Open(ctx, adapter.Target{Type: "ducklake", Options: duckdb.Options{Lake: lake(dir)}})
	if err != nil {
		t.Fatal(err)
	}
	defer lk.Close()
	compareGold(t, dir, "duckdb", dk, "lake", lk, 0)
}

// TestLakeLockPostgresCatalog: two runs on a lake whose catalog is in
// PostgreSQL exclude each other through the catalog's database, as runs on
// a SQLite catalog do through a lock file.
func TestLakeLockPostgresCatalog(t *testing.T) {
	ext := laketest.ExtensionDir(t)
	db := pgtest.New(t)
	ctx := context.Background()
	data := t.TempDir() + "/"
	open := func() adapter.Adapter {
		t.Helper()
		l := &adapter.Lake{Catalog: adapter.LakeCatalog{Kind: adapter.CatalogPostgres, DSN: db.DSN}, DataPath: data, ExtensionDir: ext}
		a, err := duckdb.Open(ctx, adapter.Target{Name: "lake", Type: "ducklake", Options: duckdb.Options{Lake: l}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	a, b := open(), open()
	release, err := a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Lock(ctx, false); !errors.Is(err, adapter.ErrLocked) {
		t.Fatalf("second run's lock: %v, want ErrLocked", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := b.Lock(waitCtx, true); err == nil || waitCtx.Err() == nil {
		t.Fatalf("waiting for a held lock returned %v before the wait ended", err)
	}
	release()
	release2, err := b.Lock(ctx, true)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	release2()
}
