package datatest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

// baseFiles is a small project every test extends: a seed, a view over it
// and a table model.
func baseFiles() map[string]string {
	return map[string]string{
		"project.yml":         "name: shop\nmodels:\n  silver: {materialized: table}\n",
		"profiles.yml":        "default:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ingot.duckdb}\n",
		"seeds/customers.csv": "id,name,signed_up\n1,Ana,2024-01-05\n2,Bo,2024-02-01\n3,Cy,2024-03-09\n",
		"models/silver/orders.sql": "select * from (values (10, 1, 5.5, 'placed', date '2024-05-01'), (11, 2, 7.0, 'shipped', date '2024-05-02'), " +
			"(12, 9, 3.0, 'lost', date '2024-05-03'), (12, null, -1.0, 'placed', date '2024-05-04')) as t(order_id, customer_id, amount, status, ordered_at)",
	}
}

// writeProject writes files (base files overlaid with extra) into a
// temporary directory.
func writeProject(t *testing.T, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files := baseFiles()
	for k, v := range extra {
		files[k] = v
	}
	for name, content := range files {
		if content == "" {
			continue // "" deletes a base file
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// plan loads the project in dir and plans its tests; the error is the
// planner's (or the loader's).
func plan(t *testing.T, dir string) (*compile.Manifest, error) {
	t.Helper()
	return planFor(t, dir, "duckdb")
}

// planFor plans for a target engine ("duckdb" or "postgres").
func planFor(t *testing.T, dir, engine string) (*compile.Manifest, error) {
	t.Helper()
	ctx := context.Background()
	p, err := project.Load(ctx, project.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	engines, err := adapter.NewRegistry(duckdb.Engine(), postgres.Engine())
	if err != nil {
		return nil, err
	}
	m, err := compile.Build(ctx, p, compile.Options{TargetName: "dev", RunStarted: time.Date(2024, 5, 6, 12, 0, 0, 0, time.UTC)}.WithEngine(engines, engine))
	if err != nil {
		return nil, err
	}
	if err := Add(ctx, m); err != nil {
		return m, err
	}
	return m, m.BuildGraph()
}

func mustPlan(t *testing.T, extra map[string]string) *compile.Manifest {
	t.Helper()
	m, err := plan(t, writeProject(t, extra))
	if err != nil {
		t.Fatalf("planning: %v", err)
	}
	return m
}

// warehouse is an in-memory DuckDB holding the project's seeds and
// non-ephemeral models, built in dependency order.
func warehouse(t *testing.T, m *compile.Manifest) adapter.Adapter {
	t.Helper()
	a, err := duckdb.Open(context.Background(), adapter.Target{Type: "duckdb"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	build(t, m, a)
	return a
}

// build loads the seeds and builds the non-ephemeral models of m into a.
func build(t *testing.T, m *compile.Manifest, a adapter.Adapter) {
	t.Helper()
	ctx := context.Background()
	for _, id := range m.Graph.Order() {
		n := m.Nodes[id]
		switch {
		case n.Kind == compile.KindSeed:
			if _, err := a.LoadSeed(ctx, adapter.Seed{Relation: n.Relation, Root: m.Project.Root, Files: n.Seed.Files, Format: n.Seed.Format}); err != nil {
				t.Fatal(err)
			}
		case n.Kind == compile.KindModel && n.Materialized() != "ephemeral":
			sql, err := m.Render(ctx, id, compile.RenderOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := a.CreateTableAs(ctx, n.Relation, sql); err != nil {
				t.Fatalf("building %s: %v", id, err)
			}
		}
	}
}

// testIDs lists the test nodes of m of one test type, sorted.
func testIDs(m *compile.Manifest, typ string) []string {
	var out []string
	for _, id := range m.IDs() {
		if n := m.Nodes[id]; n.Kind == compile.KindTest && (typ == "" || n.TestType == typ) {
			out = append(out, id)
		}
	}
	return out
}

// errText flattens a planning error into its messages, one per line.
func errText(err error) string {
	var msgs []string
	for _, e := range diag.Flatten(err) {
		msgs = append(msgs, e.Error())
	}
	return strings.Join(msgs, "\n")
}

// scratch opens unit tests' in-memory DuckDB, as the CLI gives it.
func scratch(ctx context.Context) (adapter.Adapter, error) {
	return duckdb.Open(ctx, duckdb.InMemory("unit_tests", map[string]string{"threads": "1"}))
}
