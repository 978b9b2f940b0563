package duckdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// LakeEngine describes the ducklake engine: the DuckDB engine (same SQL,
// macros, materializations and unit tests) with a DuckLake lake attached
// as the database.
func LakeEngine() *adapter.Engine {
	d := dialect
	d.MacroPrefixes = []string{"ducklake", "duckdb"}
	return &adapter.Engine{
		Name:          "ducklake",
		DecodeOptions: decodeLakeOptions,
		Open: func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
			return Open(ctx, t)
		},
		Dialect: d,
		Caps:    caps,
	}
}

func decodeLakeOptions(src adapter.OptionSource) (adapter.Options, error) {
	var y struct {
		Catalog            any    `yaml:"catalog"`
		DataPath           string `yaml:"data_path"`
		ExtensionDirectory string `yaml:"extension_directory"`
	}
	if err := src.Decode(&y); err != nil {
		return nil, err
	}
	abs := func(p string) string {
		if p == "" || strings.Contains(p, "://") {
			return p
		}
		return src.Path(p)
	}
	cat, err := lakeCatalog(y.Catalog, abs)
	if err != nil {
		return nil, src.Errorf("catalog", "%v", err)
	}
	l := &adapter.Lake{Catalog: cat, DataPath: abs(y.DataPath), ExtensionDir: abs(y.ExtensionDirectory)}
	if l.DataPath == "" && cat.Kind == adapter.CatalogPostgres {
		return nil, src.Errorf("data_path", "a ducklake target with a postgres catalog needs data_path: (a folder or s3:// URL all readers can reach)")
	}
	if l.DataPath != "" && !strings.Contains(l.DataPath, "://") && !strings.HasSuffix(l.DataPath, string(filepath.Separator)) {
		// DuckLake joins file names to the data path as written.
		l.DataPath += string(filepath.Separator)
	}
	if l.ExtensionDir == "" {
		if v := os.Getenv(adapter.ExtensionDirEnv); v != "" {
			l.ExtensionDir = abs(v)
		}
	}
	return Options{Lake: l}, nil
}

// lakeCatalog reads catalog: a path (a SQLite file; a .duckdb or .ducklake
// file is a DuckDB catalog), or a mapping with one of sqlite:, duckdb: (a
// path) or postgres: (connection fields, or a key=value connection string).
func lakeCatalog(v any, abs func(string) string) (adapter.LakeCatalog, error) {
	switch v := v.(type) {
	case nil:
		return adapter.LakeCatalog{}, fmt.Errorf("a ducklake target needs catalog: (e.g. catalog: lake/catalog.sqlite)")
	case string:
		if v == "" {
			return adapter.LakeCatalog{}, fmt.Errorf("catalog: is empty; give the catalog file, e.g. lake/catalog.sqlite")
		}
		kind := adapter.CatalogSQLite
		if ext := strings.ToLower(filepath.Ext(v)); ext == ".duckdb" || ext == ".ducklake" {
			kind = adapter.CatalogDuckDB
		}
		return adapter.LakeCatalog{Kind: kind, Path: abs(v)}, nil
	case map[string]any:
		if len(v) != 1 {
			return adapter.LakeCatalog{}, fmt.Errorf("catalog: needs exactly one of sqlite:, duckdb: or postgres:, not %s", strings.Join(sortedKeys(v), ", "))
		}
		for k, val := range v {
			switch k {
			case adapter.CatalogSQLite, adapter.CatalogDuckDB:
				s, ok := val.(string)
				if !ok || s == "" {
					return adapter.LakeCatalog{}, fmt.Errorf("catalog: %s: must be a file path", k)
				}
				return adapter.LakeCatalog{Kind: k, Path: abs(s)}, nil
			case adapter.CatalogPostgres:
				dsn, err := postgresDSN(val)
				if err != nil {
					return adapter.LakeCatalog{}, err
				}
				return adapter.LakeCatalog{Kind: k, DSN: dsn}, nil
			default:
				return adapter.LakeCatalog{}, fmt.Errorf("catalog: unknown kind %q (use sqlite:, duckdb: or postgres:)", k)
			}
		}
	}
	return adapter.LakeCatalog{}, fmt.Errorf("catalog: must be a file path or a mapping (sqlite:, duckdb: or postgres:)")
}

var postgresCatalogKeys = map[string]string{"host": "host", "port": "port", "user": "user", "password": "password", "dbname": "dbname", "database": "dbname", "sslmode": "sslmode"}

// postgresDSN renders a postgres catalog's fields as a libpq key=value
// string (what DuckDB's postgres scanner reads); a string is taken as is.
func postgresDSN(v any) (string, error) {
	switch x := v.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return "", fmt.Errorf("catalog: postgres: is empty; give dbname:, host:, port:, user:, password: or a connection string")
		}
		return x, nil
	case map[string]any:
		var parts []string
		for _, k := range sortedKeys(x) {
			name, ok := postgresCatalogKeys[k]
			if !ok {
				return "", fmt.Errorf("catalog: postgres: unknown field %q (fields: dbname, host, port, user, password, sslmode)", k)
			}
			if x[k] == nil || fmt.Sprint(x[k]) == "" {
				continue
			}
			parts = append(parts, name+"="+libpqValue(fmt.Sprint(x[k])))
		}
		if len(parts) == 0 {
			return "", fmt.Errorf("catalog: postgres: needs at least dbname: (the catalog database)")
		}
		return strings.Join(parts, " "), nil
	}
	return "", fmt.Errorf("catalog: postgres: must be a mapping of connection fields or a connection string")
}

// libpqValue quotes a key=value connection string value when needed.
func libpqValue(s string) string {
	if s != "" && !strings.ContainsAny(s, ` '\`) {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// lakeFields lists a lake's settings for ingot debug.
func lakeFields(l *adapter.Lake, rel func(string) string) [][2]string {
	cat := l.Catalog.Kind + ": "
	if l.Catalog.Kind == adapter.CatalogPostgres {
		var sec adapter.Secrets
		sec.Add(adapter.DSNPasswords(l.Catalog.DSN)...)
		cat += sec.String(l.Catalog.DSN)
	} else {
		cat += rel(l.Catalog.Path)
	}
	data := "(next to the catalog)"
	if l.DataPath != "" {
		data = rel(l.DataPath)
	}
	ext := l.ExtensionDir
	if ext == "" {
		ext = "(DuckDB's own)"
	}
	return [][2]string{{"catalog", cat}, {"data_path", data}, {"extension_directory", ext}}
}
