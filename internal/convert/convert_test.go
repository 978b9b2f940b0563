package convert

import (
	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"

	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConvertPostgresProject covers what the e-commerce testscript does
// not: a postgres profile with env_var, dbt's old path keys, vars, and a
// generate_schema_name macro.
func TestConvertPostgresProject(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	writeFiles(t, src, map[string]string{
		"dbt_project.yml": "name: wh\nprofile: wh\nsource-paths: [transform]\ndata-paths: [data]\nvars: {region: eu}\n",
		"profiles.yml": `wh:
  target: prod
  outputs:
    prod:
      type: postgres
      host: "{{ env_var('PGHOST') }}"
      port: 5432
      user: etl
      pass: "{{ env_var('PGPASSWORD') }}"
      dbname: warehouse
      schema: analytics
      threads: 8
      keepalives_idle: 0
`,
		"transform/a.sql": "select '{{ var(\"region\") }}' as region\n",
		"data/codes.csv":  "code\nx\n",
		"macros/get_custom_schema.sql": `{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set default_schema = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ default_schema }}
    {%- else -%}
        {{ default_schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
`,
	})
	res, err := Convert(context.Background(), Options{Src: src, Dst: dst, Engines: engines(t)})
	if err != nil {
		t.Fatal(err)
	}
	var todo []string
	for _, x := range res.Todo {
		todo = append(todo, x.String())
	}
	if want := []string{"profiles.yml:13: output prod: keepalives_idle is not a postgres field ingot reads (not converted)"}; strings.Join(todo, "\n") != strings.Join(want, "\n") {
		t.Errorf("todo:\n%s\nwant:\n%s", strings.Join(todo, "\n"), strings.Join(want, "\n"))
	}
	proj := read(t, filepath.Join(dst, "project.yml"))
	for _, want := range []string{"schema-rules: dbt", "model-paths:\n  - transform", "seed-paths:\n  - data", "region: eu"} {
		if !strings.Contains(proj, want) {
			t.Errorf("project.yml lacks %q:\n%s", want, proj)
		}
	}
	prof := read(t, filepath.Join(dst, "profiles.yml"))
	for _, want := range []string{`host: '{{ env_var "PGHOST" }}'`, `password: '{{ env_var "PGPASSWORD" }}'`, "dbname: warehouse", "schema: analytics", "threads: 8"} {
		if !strings.Contains(prof, want) {
			t.Errorf("profiles.yml lacks %q:\n%s", want, prof)
		}
	}
	mac := read(t, filepath.Join(dst, "macros/get_custom_schema.sql"))
	for _, want := range []string{`{{ define "generate_schema_name" -}}`, `{{- $default_schema := (target).schema -}}`, `{{- if eq (kindOf $custom_schema_name) "invalid" -}}`, `{{ $default_schema }}_{{ trim $custom_schema_name }}`} {
		if !strings.Contains(mac, want) {
			t.Errorf("macro lacks %q:\n%s", want, mac)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "data/codes.csv")); err != nil {
		t.Error("seed not copied:", err)
	}
}

// TestConvertConfigOfOneNode: dbt_project.yml may configure one seed or
// model by name under its folder; ingot takes that in a property file.
func TestConvertConfigOfOneNode(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	writeFiles(t, src, map[string]string{
		"dbt_project.yml": `name: shop
seeds:
  shop:
    +schema: raw
    raw_orders:
      +column_types: {id: varchar}
models:
  shop:
    marts:
      +materialized: table
      orders:
        +materialized: view
`,
		"seeds/raw_orders.csv":    "id\n1\n",
		"models/marts/orders.sql": "select * from {{ ref('raw_orders') }}\n",
	})
	res, err := Convert(context.Background(), Options{Src: src, Dst: dst, Engines: engines(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range res.Todo {
		if !strings.HasPrefix(x.File, "profiles.yml") {
			t.Errorf("todo: %s", x)
		}
	}
	proj := read(t, filepath.Join(dst, "project.yml"))
	if strings.Contains(proj, "raw_orders") || strings.Contains(proj, "orders:") {
		t.Errorf("per-node config left in project.yml:\n%s", proj)
	}
	if got := read(t, filepath.Join(dst, "seeds/_dbt_project_config.yml")); !strings.Contains(got, "- name: raw_orders\n    config:\n      column_types:\n        id: varchar") {
		t.Errorf("seeds/_dbt_project_config.yml:\n%s", got)
	}
	if got := read(t, filepath.Join(dst, "models/marts/_dbt_project_config.yml")); !strings.Contains(got, "- name: orders\n    config:\n      materialized: view") {
		t.Errorf("models/marts/_dbt_project_config.yml:\n%s", got)
	}
}

func engines(t *testing.T) *adapter.Registry {
	t.Helper()
	reg, err := adapter.NewRegistry(duckdb.Engine(), postgres.Engine())
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
