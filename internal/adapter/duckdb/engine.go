package duckdb

import (
	"context"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// Options are a DuckDB output's keys in profiles.yml.
type Options struct {
	// Path is the database file; "" or ":memory:" for in-memory.
	Path string
	// Lake, for a ducklake target, is the lake attached as the database
	// (Path is then unused).
	Lake *adapter.Lake
}

var dialect = adapter.Dialect{
	DefaultSchema: "main",
	MacroPrefixes: []string{"duckdb"},
	FloatType:     "double",
	DuckDBSQL:     true,
}

// Caps are DuckDB's: DDL is transactional, so a table is swapped in by
// rename within the build's transaction.
var caps = adapter.Caps{
	TransactionalDDL: true,
	AtomicReplace:    true,
	Merge:            true,
}

// Engine describes the DuckDB engine to the registry.
func Engine() *adapter.Engine {
	return &adapter.Engine{
		Name:          "duckdb",
		DecodeOptions: decodeOptions,
		Open: func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
			return Open(ctx, t)
		},
		Dialect: dialect,
		Caps:    caps,
		// dbt-duckdb's keys ingot reads; its extensions, attach and
		// plugins have no ingot counterpart.
		DBT: &adapter.DBTProfile{Type: "duckdb", Keys: map[string]string{"path": "path", "settings": "settings"}},
		Starter: func(project string) [][2]string {
			return [][2]string{{"path", project + ".duckdb"}}
		},
	}
}

// Dialect implements adapter.Adapter.
func (a *Adapter) Dialect() adapter.Dialect { return dialect }

// InMemory is a target for a private in-memory database with settings
// (unit tests' scratch database).
func InMemory(name string, settings map[string]string) adapter.Target {
	return adapter.Target{Name: name, Type: "duckdb", Settings: settings}
}

// optionsOf returns t's DuckDB options (in memory when t has none).
func optionsOf(t adapter.Target) Options {
	if o, ok := t.Options.(Options); ok {
		return o
	}
	return Options{}
}

func decodeOptions(src adapter.OptionSource) (adapter.Options, error) {
	var y struct {
		Path string `yaml:"path"`
	}
	if err := src.Decode(&y); err != nil {
		return nil, err
	}
	return Options{Path: src.Path(y.Path)}, nil
}

// Fields implements adapter.Options.
func (o Options) Fields(rel func(string) string) [][2]string {
	if o.Lake != nil {
		return lakeFields(o.Lake, rel)
	}
	path := ":memory:"
	if o.Path != "" && o.Path != ":memory:" {
		path = rel(o.Path)
	}
	return [][2]string{{"path", path}}
}

// WarehouseFiles implements adapter.LocalFiles: the database file and its
// write-ahead log, when the target has a file.
func (o Options) WarehouseFiles() []string {
	if o.Lake != nil {
		return nil
	}
	if o.Path == "" || o.Path == ":memory:" {
		return nil
	}
	return []string{o.Path, o.Path + ".wal"}
}
