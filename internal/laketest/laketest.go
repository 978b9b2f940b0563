// Package laketest gives tests a DuckLake target: the DuckDB extensions it
// needs come from the folder INGOT_DUCKDB_EXTENSION_DIR names (.ci/run
// installs them there), so that tests never depend on DuckDB's download
// server.
package laketest

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the database/sql driver Reader opens

	"github.com/ingot-dev/ingot/internal/adapter"
)

// ExtensionDir returns the extension folder. Without one the test is
// skipped, unless CI=true: CI must test the lake, so it fails instead.
func ExtensionDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv(adapter.ExtensionDirEnv)
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	msg := fmt.Sprintf("laketest: %s is not set to a folder of DuckDB extension files "+
		"(pip install --no-deps --target DIR duckdb-extension-ducklake==1.5.5 duckdb-extension-sqlite-scanner==1.5.5 duckdb-extension-postgres-scanner==1.5.5)",
		adapter.ExtensionDirEnv)
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatalf("%s; CI=true, so the lake tests must run", msg)
	}
	tb.Skip(msg)
	return ""
}

// Lake is a lake with a SQLite catalog under dir, loading its extensions
// from ExtensionDir.
func Lake(tb testing.TB, dir string) *adapter.Lake {
	tb.Helper()
	return &adapter.Lake{
		Catalog:      adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: filepath.Join(dir, "catalog.sqlite")},
		DataPath:     filepath.Join(dir, "data") + string(filepath.Separator),
		ExtensionDir: ExtensionDir(tb),
	}
}

// Output is a profiles.yml output (one flow mapping) for a lake with a
// SQLite catalog under the project's folder rel.
func Output(rel string, threads int) string {
	return fmt.Sprintf("{type: ducklake, catalog: %s/catalog.sqlite, data_path: %s/data/, threads: %d}", rel, rel, threads)
}

// Reader opens a database of its own, as a BI tool or notebook would,
// loads the extensions of a lake with a SQLite catalog from ExtensionDir
// and runs attach (duckdb.AttachSQL of the lake, read-only).
func Reader(tb testing.TB, attach string) *sql.DB {
	tb.Helper()
	db, err := OpenReader(ExtensionDir(tb), attach)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// OpenReader is Reader with the extensions from extDir (laid out as pip
// install --target puts them).
func OpenReader(extDir, attach string) (*sql.DB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	stmts := []string{"SET autoinstall_known_extensions = false"}
	for _, ext := range []string{"ducklake", "sqlite_scanner"} {
		matches, _ := filepath.Glob(filepath.Join(extDir, "duckdb_extension_"+ext, "extensions", "*", ext+".duckdb_extension"))
		if len(matches) != 1 {
			db.Close()
			return nil, fmt.Errorf("laketest: want one %s extension file under %s, found %v", ext, extDir, matches)
		}
		stmts = append(stmts, "LOAD '"+matches[0]+"'")
	}
	stmts = append(stmts, attach)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			db.Close()
			return nil, fmt.Errorf("laketest: %s: %w", s, err)
		}
	}
	return db, nil
}

// Fingerprint is a table's row count and an order-independent checksum of
// its rows.
type Fingerprint struct {
	Rows int64
	Sum  string
}

// FingerprintQuery reads a Fingerprint of relation (a FROM item).
func FingerprintQuery(relation string) string {
	return "SELECT count(*), CAST(coalesce(sum(hash(t)), 0) AS VARCHAR) FROM " + relation + " AS t"
}
