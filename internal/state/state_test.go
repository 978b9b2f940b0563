package state

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/artifacts"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/lineage"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/run"
	"github.com/rogpeppe/go-internal/txtar"
)

// writeFiles writes files (name → content) under dir, through a txtar
// archive so the names are checked the way testscript checks them.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	ar := &txtar.Archive{}
	for name, body := range files {
		ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(body)})
	}
	if err := txtar.Write(ar, dir); err != nil {
		t.Fatal(err)
	}
}

func compileDir(t *testing.T, dir string) *compile.Manifest {
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
	m, err := compile.Build(ctx, p, compile.Options{TargetName: "prod"}.WithEngine(engines, "duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var project1 = map[string]string{
	"project.yml":          "name: shop\nprofile: default\nmodels:\n  silver: {materialized: table}\n",
	"macros/money.sql":     `{{ define "cents" }}cast({{ . }} * 100 as bigint){{ end }}`,
	"models/silver/a.sql":  `select 1 as id, {{ cents "2.5" }} as amount`,
	"models/silver/b.sql":  `{{ config "post_hook" "select 1" }}select id from {{ ref "a" }}`,
	"models/silver/_a.yml": "models:\n  - name: a\n    columns:\n      - {name: id, data_type: integer}\n",
}

// TestRoundTrip: the artifacts of a run, read back as a state, show what
// was written, and nothing is modified until a file changes.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, project1)
	m := compileDir(t, dir)
	target := filepath.Join(dir, "target")
	meta := artifacts.Metadata{Version: "test", GeneratedAt: time.Date(2024, 5, 28, 12, 0, 0, 0, time.UTC), Project: "shop",
		Target: "prod", TargetType: "duckdb", Command: "build", Args: []string{"build", "--target", "prod"}}
	if err := artifacts.WriteManifest(target, meta, m); err != nil {
		t.Fatal(err)
	}
	results := []run.Result{
		{ID: "model.silver.a", Node: m.Nodes["model.silver.a"], Status: run.StatusSuccess, Rows: 1, Started: meta.GeneratedAt},
		{ID: "model.silver.b", Node: m.Nodes["model.silver.b"], Status: run.StatusSkipped, Rows: -1},
	}
	if err := artifacts.WriteRunResults(target, meta, time.Second, results); err != nil {
		t.Fatal(err)
	}
	st, err := Load(target)
	if err != nil {
		t.Fatal(err)
	}
	if st.TargetName != "prod" || st.TargetType != "duckdb" || st.Command != "build" || len(st.Args) != 3 || st.Args[2] != "prod" {
		t.Errorf("got target %q (%s), command %q %q", st.TargetName, st.TargetType, st.Command, st.Args)
	}
	if st.Results["model.silver.a"] != "success" || st.Results["model.silver.b"] != "skipped" {
		t.Errorf("results %v", st.Results)
	}
	a := st.Nodes["model.silver.a"]
	if a.Relation != "silver.a" || a.MacroChecksum == "" || len(a.Checksum) != 64 {
		t.Errorf("node a as read back: %+v", a)
	}
	if isNew, mod := st.Modified(m); len(isNew)+len(mod) != 0 {
		t.Fatalf("unchanged project: new %v, modified %v", isNew, mod)
	}
	// a state written by docs generate lists undeclared columns too, with
	// their lineage and types: they are not the contract
	lin, err := lineage.Compute(context.Background(), m, lineage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	docsTarget := filepath.Join(dir, "docs-target")
	if err := artifacts.WriteManifest(docsTarget, meta, m, artifacts.WithLineage(lin)); err != nil {
		t.Fatal(err)
	}
	docsState, err := Load(docsTarget)
	if err != nil {
		t.Fatal(err)
	}
	if amount := docsState.Nodes["model.silver.a"].Columns["amount"]; amount == nil {
		t.Fatalf("the lineage manifest lacks the undeclared column amount: %v", docsState.Nodes["model.silver.a"].Columns)
	}
	if isNew, mod := docsState.Modified(m); len(isNew)+len(mod) != 0 {
		t.Fatalf("unchanged project against a docs generate manifest: new %v, modified %v", isNew, mod)
	}
	for _, tc := range []struct {
		file, body, id, why string
	}{
		{"models/silver/a.sql", `select 2 as id, {{ cents "2.5" }} as amount`, "model.silver.a", "body"},
		{"project.yml", "name: shop\nprofile: default\nmodels:\n  silver: {materialized: view}\n", "model.silver.b", "config"},
		{"macros/money.sql", `{{ define "cents" }}cast({{ . }} * 1000 as bigint){{ end }}`, "model.silver.a", "macros"},
		{"models/silver/_a.yml", "models:\n  - name: a\n    columns:\n      - {name: id, data_type: bigint}\n", "model.silver.a", "contract"},
	} {
		d := t.TempDir()
		files := map[string]string{tc.file: tc.body}
		for name, body := range project1 {
			if name != tc.file {
				files[name] = body
			}
		}
		writeFiles(t, d, files)
		_, mod := st.Modified(compileDir(t, d))
		if mod[tc.id] != tc.why {
			t.Errorf("after changing %s: %s modified %q, want %q (all: %v)", tc.file, tc.id, mod[tc.id], tc.why, mod)
		}
	}
}

// TestLegacyArtifacts: a --state folder written before manifest.json took
// dbt's shape still loads, so an upgrade does not break slim CI.
func TestLegacyArtifacts(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"manifest.json": `{"metadata": {"ingot_version": "0.1.0", "target_name": "prod", "adapter_type": "duckdb"},
  "nodes": {"model.silver.a": {"unique_id": "model.silver.a", "resource_type": "model", "schema": "silver",
    "relation_name": "silver.a", "checksum": "abc", "macro_checksum": "def", "config": {"materialized": "table"}}}}`,
		"run_results.json": `{"metadata": {"command": "run", "args": ["run", "-s", "a"]},
  "results": [{"unique_id": "model.silver.a", "status": "error"}]}`,
	})
	st, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := st.Nodes["model.silver.a"]
	if st.TargetName != "prod" || a.Relation != "silver.a" || a.Checksum != "abc" || a.MacroChecksum != "def" {
		t.Errorf("legacy manifest read as target %q, node %+v", st.TargetName, a)
	}
	if st.Command != "run" || len(st.Args) != 3 || st.Results["model.silver.a"] != "error" {
		t.Errorf("legacy run_results read as %q %q %v", st.Command, st.Args, st.Results)
	}
}
