package project

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
)

// writeTree writes files (path → content) under a temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadFolderConfig(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"project.yml": `name: p
vars: {as_of: "2024-01-01", n: 3}
models:
  +tags: [all]
  gold:
    +materialized: table
    tags: [bi]
    kpi: {materialized: incremental}
seeds:
  chatbot: {combine: true}
  +schema: raw
`,
		"models/bronze/a.sql":        "select 1",
		"models/gold/b.sql":          "select 2",
		"models/gold/kpi/c.sql":      "select 3",
		"seeds/x.csv":                "a\n1\n",
		"seeds/chatbot/hour=13.json": "[]",
		"seeds/chatbot/hour=14.json": "[]",
		"seeds/chatbot/README.md":    "ignored",
		"models/gold/_props.yml":     "models:\n  - name: b\n    description: B!\n    config: {tags: [extra]}\n    columns:\n      - name: id\n        tests: [not_null, {accepted_values: {values: [1]}}]\n",
		"macros/m.sql":               `{{ define "x" }}1{{ end }}`,
		"tests/assert_something.sql": "select 1 where false",
	})
	p, err := Load(context.Background(), Options{Dir: dir, Vars: map[string]any{"n": 5}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Vars["n"] != 5 || p.Vars["as_of"] != "2024-01-01" {
		t.Errorf("vars = %v", p.Vars)
	}
	got := map[string]string{}
	for _, m := range p.Models {
		got[m.Name] = m.Schema + "|" + m.Config.Materialized() + "|" + strings.Join(m.Config.Tags(), ",")
	}
	want := map[string]string{
		"a": "bronze|view|all",
		"b": "gold|table|all,bi,extra",
		"c": "gold|incremental|all,bi",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("model %s = %q, want %q", k, got[k], v)
		}
	}
	var seeds []string
	for _, s := range p.Seeds {
		seeds = append(seeds, s.Schema+"."+s.Name+":"+s.Format+":"+strings.Repeat("f", len(s.Files)))
	}
	if strings.Join(seeds, " ") != "raw.chatbot:json:ff raw.x:csv:f" {
		t.Errorf("seeds = %v", seeds)
	}
	var b *Model
	for _, m := range p.Models {
		if m.Name == "b" {
			b = m
		}
	}
	if b.Props == nil || b.Props.Description != "B!" || len(b.Props.Tests) != 2 || b.Props.Tests[0].Column != "id" || b.Props.Tests[1].Line != 7 {
		t.Errorf("props = %+v", b.Props)
	}
	if len(p.Macros) != 1 || len(p.Tests) != 1 {
		t.Errorf("macros %d tests %d", len(p.Macros), len(p.Tests))
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown top key", map[string]string{"project.yml": "name: p\nmodel_paths: [x]\n"},
			[]string{`project.yml:2:1: unknown key "model_paths" (did you mean "model-paths"?)`}},
		{"unknown config key", map[string]string{"project.yml": "name: p\nmodels:\n  gold:\n    materialised: table\n"},
			[]string{`project.yml:4:5: unknown config key "materialised" (did you mean "materialized"?)`}},
		{"missing name", map[string]string{"project.yml": "profile: x\n"},
			[]string{`project.yml:1:1: missing required key "name"`}},
		{"bad yaml", map[string]string{"project.yml": "name: [p\n"}, []string{"project.yml:"}},
		{"props unknown model and key", map[string]string{
			"project.yml":     "name: p\n",
			"models/a.sql":    "select 1",
			"models/_p.yml":   "models:\n  - name: aa\n    description: x\n",
			"models/b/_q.yml": "models:\n  - name: a\n    descripton: x\n",
		}, []string{`models/_p.yml:2:11: model "aa" is described here but there is no such model (did you mean "a"?)`,
			`models/b/_q.yml:3:5: unknown key "descripton" (did you mean "description"?)`}},
		{"mixed combined seed formats", map[string]string{
			"project.yml":    "name: p\nseeds:\n  d: {combine: true}\n",
			"seeds/d/a.csv":  "x\n1\n",
			"seeds/d/b.json": "[]",
		}, []string{"mixes csv and json files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(context.Background(), Options{Dir: writeTree(t, tt.files)})
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%s\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestFindRootWalksUp(t *testing.T) {
	dir := writeTree(t, map[string]string{"project.yml": "name: p\n", "models/gold/x.sql": "select 1"})
	root, err := FindRoot(filepath.Join(dir, "models", "gold"))
	if err != nil || root != dir {
		t.Fatalf("FindRoot = %q, %v", root, err)
	}
	if _, err := FindRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no project.yml") {
		t.Errorf("want a clear error, got %v", err)
	}
}

func TestLoadTarget(t *testing.T) {
	engines, err := adapter.NewRegistry(duckdb.Engine(), postgres.Engine())
	if err != nil {
		t.Fatal(err)
	}
	profiles := `default:
  target: dev
  outputs:
    dev: {type: duckdb, path: wh/dev.duckdb}
    pg:
      type: postgres
      host: '{{ env_var "PGHOST" "localhost" }}'
      port: '{{ env_var "PGPORT" "5432" }}'
      password: '{{ env_var "PGPASSWORD" "" }}'
      threads: 8
`
	dir := writeTree(t, map[string]string{"project.yml": "name: p\n", "profiles.yml": profiles})
	p, err := Load(context.Background(), Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PGPORT": "6543", "PGPASSWORD": "s3cret"}
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	dev, err := p.LoadTarget(ProfileOptions{Getenv: getenv, Engines: engines})
	if err != nil {
		t.Fatal(err)
	}
	if dev.Type != "duckdb" || dev.Options.(duckdb.Options).Path != filepath.Join(dir, "wh", "dev.duckdb") || dev.Threads != 4 {
		t.Errorf("dev = %+v", dev)
	}
	pg, err := p.LoadTarget(ProfileOptions{Target: "pg", Getenv: getenv, Engines: engines})
	if err != nil {
		t.Fatal(err)
	}
	if o := pg.Options.(postgres.Options); o.Host != "localhost" || o.Port != 6543 || o.Password != "s3cret" || pg.Threads != 8 || o.PgDuckdb != "auto" {
		t.Errorf("pg = %+v", pg)
	}
	_, err = p.LoadTarget(ProfileOptions{Target: "pgg", Getenv: getenv, Engines: engines})
	if err == nil || !strings.Contains(err.Error(), `target "pgg" is not an output of profile "default" (did you mean "pg"?)`) {
		t.Errorf("unknown target error = %v", err)
	}
}

func TestConfigMerge(t *testing.T) {
	a := Config{"materialized": "view", "tags": []any{"a"}}
	b := Config{"materialized": "table", "tags": "b"}
	m := a.Merge(b)
	if m.Materialized() != "table" || strings.Join(m.Tags(), ",") != "a,b" {
		t.Errorf("merge = %v", m)
	}
	if a.Materialized() != "view" {
		t.Error("merge changed its receiver")
	}
}
