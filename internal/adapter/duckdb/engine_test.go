package duckdb

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// fakeSource is one profiles.yml output as DecodeOptions sees it.
type fakeSource struct {
	keys map[string]any
	root string
}

func (f fakeSource) Decode(v any) error {
	b, err := yaml.Marshal(f.keys)
	if err != nil {
		return err
	}
	return yaml.UnmarshalWithOptions(b, v, yaml.Strict())
}

func (f fakeSource) Errorf(key, format string, args ...any) error {
	return fmt.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
}

func (f fakeSource) Path(p string) string {
	if p == "" || p == ":memory:" {
		return p
	}
	return filepath.Join(f.root, p)
}

func TestDecodeOptions(t *testing.T) {
	root := t.TempDir()
	rel := func(p string) string {
		if r, err := filepath.Rel(root, p); err == nil && filepath.IsAbs(p) {
			return r
		}
		return p
	}
	tests := []struct {
		name       string
		engine     *adapter.Engine
		keys       map[string]any
		wantFields [][2]string
		wantFiles  []string
		wantErr    string
	}{
		{name: "a database file", engine: Engine(), keys: map[string]any{"path": "w.duckdb"},
			wantFields: [][2]string{{"path", "w.duckdb"}},
			wantFiles:  []string{filepath.Join(root, "w.duckdb"), filepath.Join(root, "w.duckdb.wal")}},
		{name: "in memory", engine: Engine(), keys: map[string]any{}, wantFields: [][2]string{{"path", ":memory:"}}},
		{name: "unknown key", engine: Engine(), keys: map[string]any{"paht": "w.duckdb"}, wantErr: "paht"},
		{name: "a lake on a sqlite catalog", engine: LakeEngine(), keys: map[string]any{"catalog": "lake/c.sqlite", "data_path": "lake/data", "extension_directory": "ext"},
			wantFields: [][2]string{{"catalog", "sqlite: lake/c.sqlite"}, {"data_path", "lake/data"}, {"extension_directory", filepath.Join(root, "ext")}}},
		{name: "a lake on a postgres catalog, its password masked", engine: LakeEngine(),
			keys:       map[string]any{"catalog": map[string]any{"postgres": map[string]any{"dbname": "lake", "password": "s3cret", "host": "db"}}, "data_path": "s3://b/p"},
			wantFields: [][2]string{{"catalog", "postgres: dbname=lake host=db password=" + adapter.Mask}, {"data_path", "s3://b/p"}, {"extension_directory", "(DuckDB's own)"}}},
		{name: "a postgres catalog needs a data path", engine: LakeEngine(), keys: map[string]any{"catalog": map[string]any{"postgres": "dbname=lake"}},
			wantErr: "data_path: a ducklake target with a postgres catalog needs data_path"},
		{name: "a lake needs a catalog", engine: LakeEngine(), keys: map[string]any{"data_path": "d"}, wantErr: "needs catalog:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(adapter.ExtensionDirEnv, "")
			opts, err := tt.engine.DecodeOptions(fakeSource{keys: tt.keys, root: root})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := opts.Fields(rel); !slices.Equal(got, tt.wantFields) {
				t.Errorf("fields %q, want %q", got, tt.wantFields)
			}
			if got := opts.(adapter.LocalFiles).WarehouseFiles(); !slices.Equal(got, tt.wantFiles) {
				t.Errorf("warehouse files %q, want %q", got, tt.wantFiles)
			}
		})
	}
}

func TestLakeCatalog(t *testing.T) {
	abs := func(p string) string { return "/p/" + p }
	tests := []struct {
		in      any
		want    adapter.LakeCatalog
		wantErr string
	}{
		{in: "c.sqlite", want: adapter.LakeCatalog{Kind: adapter.CatalogSQLite, Path: "/p/c.sqlite"}},
		{in: "c.ducklake", want: adapter.LakeCatalog{Kind: adapter.CatalogDuckDB, Path: "/p/c.ducklake"}},
		{in: map[string]any{"duckdb": "c.db"}, want: adapter.LakeCatalog{Kind: adapter.CatalogDuckDB, Path: "/p/c.db"}},
		{in: map[string]any{"postgres": map[string]any{"dbname": "lake", "user": "o'neil x", "port": 5433}},
			want: adapter.LakeCatalog{Kind: adapter.CatalogPostgres, DSN: `dbname=lake port=5433 user='o\'neil x'`}},
		{in: "", wantErr: "catalog: is empty"},
		{in: map[string]any{"sqlite": "a", "duckdb": "b"}, wantErr: "needs exactly one of sqlite:, duckdb: or postgres:, not duckdb, sqlite"},
		{in: map[string]any{"sqlite": 3}, wantErr: "catalog: sqlite: must be a file path"},
		{in: map[string]any{"mysql": "x"}, wantErr: `unknown kind "mysql"`},
		{in: map[string]any{"postgres": map[string]any{"hots": "db"}}, wantErr: `unknown field "hots"`},
		{in: map[string]any{"postgres": map[string]any{"host": ""}}, wantErr: "needs at least dbname"},
		{in: map[string]any{"postgres": " "}, wantErr: "catalog: postgres: is empty"},
		{in: map[string]any{"postgres": 5}, wantErr: "must be a mapping of connection fields or a connection string"},
		{in: 5, wantErr: "must be a file path or a mapping"},
	}
	for _, tt := range tests {
		got, err := lakeCatalog(tt.in, abs)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%v: %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// ExecInTx commits all of its statements or none.
func TestExecInTx(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, testTarget(""))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	counts, err := a.ExecInTx(ctx, []string{"create table t (n int)", "insert into t values (1), (2)"})
	if err != nil || len(counts) != 2 || counts[1] != 2 {
		t.Fatalf("counts %v, %v", counts, err)
	}
	if _, err := a.ExecInTx(ctx, []string{"insert into t values (3)", "insert into nowhere values (4)"}); err == nil {
		t.Fatal("a failing statement did not fail the transaction")
	}
	rows, err := a.Query(ctx, "select count(*) from t", 0)
	if err != nil {
		t.Fatal(err)
	}
	if n := rows.Rows[0][0]; n != int64(2) {
		t.Errorf("%v rows after a rolled-back transaction, want 2", n)
	}
}
