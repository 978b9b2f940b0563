package parity

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// copyProject copies the repository's example project into a temp dir.
func copyProject(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	for _, name := range []string{"project.yml", "models", "seeds", "macros", "tests"} {
		root := filepath.Join(src, name)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && p == root {
					return nil
				}
				return err
			}
			rel, _ := filepath.Rel(src, p)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func ingot(t *testing.T, dir string, args ...string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), append([]string{"ingot", "--project-dir", dir, "--no-color"}, args...), nil, &out, &errb)
	if code != 0 {
		t.Fatalf("ingot %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	}
}

// TestGoldParity builds the example project on DuckDB and on PostgreSQL
// and compares every gold table row by row.
func TestGoldParity(t *testing.T) {
	db := pgtest.New(t)
	dir := copyProject(t)
	profiles := fmt.Sprintf(`default:
  target: dev
  outputs:
    dev: {type: duckdb, path: parity.duckdb, threads: 4}
    pg: {type: postgres, host: '%s', port: %d, user: '%s', password: '%s', dbname: '%s', sslmode: disable, threads: 4, pg_duckdb: auto}
`, db.Host, db.Port, db.User, db.Password, db.Name)
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	ingot(t, dir, "build")
	ingot(t, dir, "build", "--target", "pg")

	ctx := context.Background()
	dk, err := duckdb.Open(ctx, adapter.Target{Type: "duckdb", Options: duckdb.Options{Path: filepath.Join(dir, "parity.duckdb")}})
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	pg, err := postgres.Open(ctx, adapter.Target{Type: "postgres", Options: postgres.Options{DSN: db.DSN, PgDuckdb: "off"}})
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	tables := goldTables(t, dir)
	if len(tables) == 0 {
		t.Fatal("the example project has no gold models")
	}
	for _, name := range tables {
		t.Run(name, func(t *testing.T) {
			rel := adapter.Relation{Schema: "gold", Name: name}
			q := "select * from " + dk.Dialect().RelationSQL(rel)
			a, err := dk.Query(ctx, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			b, err := pg.Query(ctx, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(a.Rows) == 0 {
				t.Errorf("gold.%s is empty on DuckDB; the example should exercise it", name)
			}
			if d := Compare(a, b, 1e-9); d != "" {
				t.Errorf("gold.%s differs between DuckDB and PostgreSQL:\n%s", name, d)
			}
		})
	}
}

// goldTables lists the models under models/gold (by file stem).
func goldTables(t *testing.T, dir string) []string {
	var out []string
	err := filepath.WalkDir(filepath.Join(dir, "models", "gold"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".sql") {
			out = append(out, strings.TrimSuffix(filepath.Base(p), ".sql"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}
