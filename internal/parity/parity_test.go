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
	"github.com/ingot-dev/ingot/internal/exampletest"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// copyProject copies the repository's example project into a temp dir.
func copyProject(t *testing.T) string { return exampletest.Temp(t, "../..") }

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

	compareGold(t, dir, "duckdb", dk, "postgres", pg, 1e-9)
}

// compareGold compares every gold table of the example built on a and on b.
func compareGold(t *testing.T, dir, aName string, a adapter.Adapter, bName string, b adapter.Adapter, relTol float64) {
	t.Helper()
	ctx := context.Background()
	tables := goldTables(t, dir)
	if len(tables) == 0 {
		t.Fatal("the example project has no gold models")
	}
	for _, name := range tables {
		t.Run(name, func(t *testing.T) {
			q := "select * from " + a.Dialect().RelationSQL(adapter.Relation{Schema: "gold", Name: name})
			ra, err := a.Query(ctx, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			rb, err := b.Query(ctx, q, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(ra.Rows) == 0 {
				t.Errorf("gold.%s is empty on %s; the example should exercise it", name, aName)
			}
			if d := CompareNamed(aName, ra, bName, rb, relTol); d != "" {
				t.Errorf("gold.%s differs between %s and %s:\n%s", name, aName, bName, d)
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
