package artifacts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/datatest"
	"github.com/ingot-dev/ingot/internal/exampletest"
	"github.com/ingot-dev/ingot/internal/lineage"
	"github.com/ingot-dev/ingot/internal/project"
)

// manifestWithLineage compiles the project in dir for DuckDB, traces its
// columns and writes target/manifest.json with them, as docs generate does.
func manifestWithLineage(t *testing.T, dir string) string {
	t.Helper()
	ctx := context.Background()
	p, err := project.Load(ctx, project.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	engines, err := adapter.NewRegistry(duckdb.Engine())
	if err != nil {
		t.Fatal(err)
	}
	started := time.Date(2024, 5, 28, 12, 0, 0, 0, time.UTC)
	m, err := compile.Build(ctx, p, compile.Options{TargetName: "dev", RunStarted: started}.WithEngine(engines, "duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if err := datatest.Add(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := m.BuildGraph(); err != nil {
		t.Fatal(err)
	}
	lin, err := lineage.Compute(ctx, m, lineage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "target-lineage")
	meta := artifacts.Metadata{Version: "test", GeneratedAt: started, Project: p.Name, Target: "dev", TargetType: "duckdb", Command: "docs"}
	if err := artifacts.WriteManifest(out, meta, m, artifacts.WithLineage(lin)); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, "manifest.json")
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// at walks v by keys ("nodes", "model.x", ...).
func at(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func shapesProject(t *testing.T) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", "shapes.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := txtar.Write(ar, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestManifestShape checks, in Go, what tools reading dbt's manifest and
// the docs site rely on.
func TestManifestShape(t *testing.T) {
	man := readJSON(t, manifestWithLineage(t, shapesProject(t)))
	if got := at(man, "metadata", "dbt_schema_version"); got != artifacts.ManifestSchema {
		t.Errorf("dbt_schema_version = %v", got)
	}
	rev := "model.marts.revenue"
	checks := []struct {
		path []string
		want any
	}{
		{[]string{"nodes", rev, "fqn"}, []any{"shop", "marts", "revenue"}},
		{[]string{"nodes", rev, "path"}, "marts/revenue.sql"},
		{[]string{"nodes", rev, "checksum", "name"}, "sha256"},
		{[]string{"nodes", rev, "depends_on", "nodes"}, []any{"model.staging.big", "model.staging.orders_v", "seed.seeds.customers"}},
		{[]string{"nodes", rev, "refs"}, []any{map[string]any{"name": "big", "package": nil, "version": nil}, map[string]any{"name": "orders_v", "package": nil, "version": nil}, map[string]any{"name": "customers", "package": nil, "version": nil}}},
		{[]string{"nodes", rev, "config", "post-hook"}, []any{map[string]any{"sql": "select 2", "transaction": false}}},
		{[]string{"nodes", rev, "description"}, "Revenue per customer name."},
		{[]string{"nodes", rev, "meta", "owner"}, "finance"},
		{[]string{"nodes", rev, "meta", "ingot", "materialized"}, "table"},
		{[]string{"nodes", rev, "meta", "ingot", "lineage_note"}, nil},
		{[]string{"nodes", "model.staging.uses_run_query", "meta", "ingot", "lineage_note"}, "the template calls run_query: columns it adds when the model is built (from data) are not traced"},
		{[]string{"nodes", rev, "compiled"}, true},
		// lineage: a declared column, and the undeclared ones added
		{[]string{"nodes", rev, "columns", "name", "meta", "ingot_lineage"}, []any{map[string]any{"node": "seed.seeds.customers", "column": "name"}}},
		{[]string{"nodes", rev, "columns", "name", "description"}, ""},
		{[]string{"nodes", rev, "columns", "total", "meta", "ingot_lineage"}, []any{map[string]any{"node": "model.staging.orders_v", "column": "amount"}}},
		{[]string{"nodes", rev, "columns", "n", "meta", "ingot_lineage"}, []any{}},
		{[]string{"nodes", rev, "columns", "n", "meta", "ingot_lineage_note"}, "no parent column: counts rows (count(*))"},
		{[]string{"nodes", rev, "columns", "n", "data_type"}, "BIGINT"},
		{[]string{"nodes", "model.staging.orders_v", "columns", "amount", "meta", "ingot_lineage"}, []any{map[string]any{"node": "source.erp.orders", "column": "amount"}}},
		// an ephemeral model inlined as a CTE is the parent, not what it reads
		{[]string{"nodes", "model.marts.big_ids", "columns", "id", "meta", "ingot_lineage"}, []any{map[string]any{"node": "model.staging.big", "column": "id"}}},
		{[]string{"nodes", "model.staging.big", "columns", "id", "meta", "ingot_lineage"}, []any{map[string]any{"node": "model.staging.orders_v", "column": "id"}}},
		{[]string{"nodes", "model.staging.orders_v", "config", "pre-hook"}, []any{map[string]any{"sql": "select 1", "transaction": true}}},
		// seeds have no refs nor nodes to depend on in dbt's schema
		{[]string{"nodes", "seed.seeds.customers", "refs"}, nil},
		{[]string{"nodes", "seed.seeds.customers", "depends_on"}, map[string]any{"macros": []any{}}},
		{[]string{"nodes", "test.accepted_values_revenue_name", "test_metadata", "name"}, "accepted_values"},
		{[]string{"nodes", "test.accepted_values_revenue_name", "column_name"}, "name"},
		{[]string{"nodes", "test.accepted_values_revenue_name", "attached_node"}, rev},
		{[]string{"sources", "source.erp.orders", "freshness", "warn_after"}, map[string]any{"count": 12.0, "period": "hour"}},
		{[]string{"sources", "source.erp.orders", "loaded_at_field"}, "_loaded_at"},
		{[]string{"exposures", "exposure.shop.dashboard", "depends_on", "nodes"}, []any{"model.marts.revenue", "source.erp.orders"}},
		{[]string{"docs", "doc.shop.revenue", "block_contents"}, "Revenue per customer name."},
		{[]string{"macros", "macro.shop.noop", "macro_sql"}, "select 1"},
		{[]string{"unit_tests", "unit_test.revenue.revenue_sums", "model"}, "revenue"},
		{[]string{"unit_tests", "unit_test.revenue.revenue_sums", "given"}, nil},
		{[]string{"child_map", "model.staging.orders_v"}, []any{"model.marts.revenue", "model.staging.big", "model.staging.uses_run_query", "test.relationships_revenue_total"}},
		{[]string{"parent_map", "exposure.shop.dashboard"}, []any{"model.marts.revenue", "source.erp.orders"}},
	}
	for _, c := range checks {
		got := at(man, c.path...)
		if c.path[len(c.path)-1] == "given" {
			if g, _ := got.([]any); len(g) != 3 {
				t.Errorf("%s: got %v, want 3 fixtures", strings.Join(c.path, "."), got)
			}
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s = %#v, want %#v", strings.Join(c.path, "."), got, c.want)
		}
	}
	for _, id := range []string{"model.marts.revenue", "source.erp.orders", "unit_test.revenue.revenue_sums"} {
		if at(man, "nodes", id) != nil && !strings.HasPrefix(id, "model.") {
			t.Errorf("%s is in nodes; dbt keeps it in its own map", id)
		}
	}
}

// dbtParserPython is the interpreter with dbt-artifacts-parser installed:
// $INGOT_DBT_ARTIFACTS_PYTHON (CI points it at a venv's python), else python3.
func dbtParserPython(t *testing.T) string {
	t.Helper()
	py := os.Getenv("INGOT_DBT_ARTIFACTS_PYTHON")
	if py == "" {
		py = "python3"
	}
	out, err := exec.Command(py, "-c", "import dbt_artifacts_parser.parser").CombinedOutput()
	if err != nil {
		msg := "python with the PyPI package dbt-artifacts-parser is needed (pip install dbt-artifacts-parser; set INGOT_DBT_ARTIFACTS_PYTHON to its interpreter): " + strings.TrimSpace(string(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return py
}

// parseScript loads each file with dbt-artifacts-parser and prints the
// class it parsed into, failing on any validation error.
const parseScript = `
import json, sys
from dbt_artifacts_parser.parser import parse_manifest, parse_run_results
for kind, path in zip(sys.argv[1::2], sys.argv[2::2]):
    with open(path) as f:
        doc = json.load(f)
    parsed = parse_manifest(doc) if kind == "manifest" else parse_run_results(doc)
    count = len(parsed.nodes) if kind == "manifest" else len(parsed.results)
    print(kind, type(parsed).__name__, count)
`

// TestDBTArtifactsParser builds the example into a temporary DuckDB file
// and loads its manifest.json and run_results.json, the example's manifest
// with lineage and the shapes project's, with the PyPI package
// dbt-artifacts-parser (its ManifestV12 and RunResultsV6 models forbid
// unknown keys, so a stray field fails). Skipped without that package,
// except under CI=true.
func TestDBTArtifactsParser(t *testing.T) {
	py := dbtParserPython(t)
	dir := exampletest.Temp(t, filepath.Join("..", ".."))
	profiles := "default:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ingot.duckdb, threads: 2}\n"
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Main(context.Background(), []string{"ingot", "--project-dir", dir, "build"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("ingot build exited %d:\n%s\n%s", code, stdout.String(), stderr.String())
	}
	args := []string{"-c", parseScript,
		"manifest", filepath.Join(dir, "target", "manifest.json"),
		"run_results", filepath.Join(dir, "target", "run_results.json"),
		"manifest", manifestWithLineage(t, dir),
		"manifest", manifestWithLineage(t, shapesProject(t)),
	}
	out, err := exec.Command(py, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dbt-artifacts-parser rejected the artifacts: %v\n%s", err, out)
	}
	want := []string{"manifest ManifestV12 ", "run_results RunResultsV6 ", "manifest ManifestV12 ", "manifest ManifestV12 "}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(want) {
		t.Fatalf("parser printed %q", out)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) || strings.HasSuffix(lines[i], " 0") {
			t.Errorf("line %d: %q, want %q and some nodes", i+1, lines[i], w)
		}
	}
	t.Logf("dbt-artifacts-parser: %s", strings.Join(lines, "; "))
}
