package compile

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/project"
)

func TestInjectCTEs(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"select 1", "with a as (x)\nselect 1"},
		{"with b as (y) select * from b", "with a as (x),\nb as (y) select * from b"},
		{"-- note\nWITH b as (y) select 1", "-- note\nWITH a as (x),\nb as (y) select 1"},
		{"/* c */ with recursive r as (y) select 1", "/* c */ with recursive a as (x),\nr as (y) select 1"},
		{"select 'with x' as w", "with a as (x)\nselect 'with x' as w"},
	}
	for _, tt := range tests {
		if got := InjectCTEs(tt.sql, []string{"a as (x)"}); got != tt.want {
			t.Errorf("InjectCTEs(%q) =\n%q\nwant\n%q", tt.sql, got, tt.want)
		}
	}
}

func build(t *testing.T, files map[string]string) (*Manifest, error) {
	t.Helper()
	dir := t.TempDir()
	files["project.yml"] = "name: p\nvars: {v: 1}\nmodels:\n  gold: {materialized: table}\n"
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := project.Load(context.Background(), project.Options{Dir: dir})
	if err != nil {
		return nil, err
	}
	m, err := Build(context.Background(), p, Options{TargetName: "dev", TargetType: "duckdb"})
	if err != nil {
		return nil, err
	}
	return m, m.BuildGraph()
}

func TestBuildResolvesRefs(t *testing.T) {
	m, err := build(t, map[string]string{
		"models/silver/a.sql": "select 1 as id",
		"models/gold/b.sql":   "{{ if is_incremental }}{{ ref \"c\" }}{{ end }}select * from {{ ref \"silver.a\" }}",
		"models/gold/c.sql":   "{{ config \"schema\" \"mart\" \"materialized\" \"ephemeral\" }}select * from {{ ref \"a\" }}",
		"models/gold/d.sql":   "select * from {{ ref \"c\" }} join {{ ref \"seed_x\" }} using (id)",
		"seeds/seed_x.csv":    "id\n1\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	deps := func(id string) string { return strings.Join(m.Nodes[id].DependsOn, ",") }
	if got := deps("model.gold.b"); got != "model.mart.c,model.silver.a" {
		t.Errorf("b deps = %s (refs in untaken branches count)", got)
	}
	if got := deps("model.gold.d"); got != "model.mart.c,seed.seeds.seed_x" {
		t.Errorf("d deps = %s", got)
	}
	sql, err := m.Render(context.Background(), "model.gold.d", RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := "with __ingot_cte__c as (\nselect * from \"silver\".\"a\"\n)\nselect * from __ingot_cte__c join \"seeds\".\"seed_x\" using (id)"
	if sql != want {
		t.Errorf("render =\n%s\nwant\n%s", sql, want)
	}
	got := strings.Join(m.Graph.Order(), " ")
	if got != "model.silver.a model.mart.c model.gold.b seed.seeds.seed_x model.gold.d" {
		t.Errorf("order = %s", got)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"unknown and self ref", map[string]string{
			"models/gold/a.sql": "select * from {{ ref \"bb\" }}",
			"models/gold/b.sql": "select * from {{ ref \"b\" }}",
		}, []string{`models/gold/a.sql:1:18: unknown ref "bb" (did you mean "b"?)`, "refers to itself"}},
		{"ambiguous", map[string]string{
			"models/gold/a.sql":   "select 1",
			"models/silver/a.sql": "select 1",
			"models/gold/c.sql":   "select * from {{ ref \"a\" }}",
		}, []string{`ambiguous ref "a": it could be "gold.a" (models/gold/a.sql) or "silver.a" (models/silver/a.sql)`}},
		{"cycle", map[string]string{
			"models/gold/a.sql": "select * from {{ ref \"b\" }}",
			"models/gold/b.sql": "select * from {{ ref \"a\" }}",
		}, []string{"dependency cycle: a -> b -> a", "a: models/gold/a.sql"}},
		{"unknown source", map[string]string{
			"models/gold/a.sql": "select * from {{ source \"erp\" \"x\" }}",
		}, []string{`unknown source "erp" "x"; declare it under sources:`}},
		{"bad materialization", map[string]string{
			"models/gold/a.sql": "{{ config \"materialized\" \"tabel\" }}select 1",
		}, []string{`unknown materialization "tabel"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(t, tt.files)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error:\n%s\nwant %q", err, w)
				}
			}
		})
	}
}

func TestRenderInlineEphemeral(t *testing.T) {
	m, err := build(t, map[string]string{
		"models/silver/a.sql": "select 1 as id",
		"models/gold/e.sql":   "{{ config \"materialized\" \"ephemeral\" }}select id from {{ ref \"a\" }}",
	})
	if err != nil {
		t.Fatal(err)
	}
	sql, err := m.RenderInline(context.Background(), "--inline", `select * from {{ ref "e" }}`)
	if err != nil {
		t.Fatal(err)
	}
	want := "with __ingot_cte__e as (\nselect id from \"silver\".\"a\"\n)\nselect * from __ingot_cte__e"
	if sql != want {
		t.Errorf("got\n%s\nwant\n%s", sql, want)
	}
}

// A snapshot's legacy target_schema is used as written under both rules
// (dbt does not pass it through generate_schema_name); its schema config is
// a custom schema like a model's.
func TestSnapshotSchema(t *testing.T) {
	files := map[string]string{
		"snapshots/s1.sql": `{{ config "unique_key" "id" "strategy" "check" "check_cols" "all" "target_schema" "snaps" }}select 1 as id`,
		"snapshots/s2.sql": `{{ config "unique_key" "id" "strategy" "check" "check_cols" "all" "schema" "hist" }}select 1 as id`,
		"snapshots/s3.sql": `{{ config "unique_key" "id" "strategy" "check" "check_cols" "all" "schema" "hist" "target_schema" "snaps" }}select 1 as id`,
		"snapshots/s4.sql": `{{ config "unique_key" "id" "strategy" "check" "check_cols" "all" }}select 1 as id`,
	}
	for _, tt := range []struct {
		rules string
		want  map[string]string
	}{
		{"folders", map[string]string{"s1": "snaps.s1", "s2": "hist.s2", "s3": "hist.s3", "s4": "snapshots.s4"}},
		{"dbt", map[string]string{"s1": "snaps.s1", "s2": "analytics_hist.s2", "s3": "snaps.s3", "s4": "analytics.s4"}},
	} {
		dir := t.TempDir()
		files["project.yml"] = "name: p\nschema-rules: " + tt.rules + "\n"
		for p, c := range files {
			full := filepath.Join(dir, filepath.FromSlash(p))
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		p, err := project.Load(context.Background(), project.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		m, err := Build(context.Background(), p, Options{TargetName: "dev", TargetType: "duckdb", TargetSchema: "analytics"})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, n := range m.Nodes {
			if n.Kind == KindSnapshot {
				got[n.Name] = n.Relation.String()
			}
		}
		for name, want := range tt.want {
			if got[name] != want {
				t.Errorf("%s rules: snapshot %s is %s, want %s", tt.rules, name, got[name], want)
			}
		}
	}
}
