package pgcli_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

// TestSchemaRulesDBT builds with dbt's schema rules on PostgreSQL: the
// profile's schema, <schema>_<custom> for a custom schema, public when the
// profile has none.
func TestSchemaRulesDBT(t *testing.T) {
	db := pgtest.New(t)
	dir := project(t, db, db.Password)
	ctx := context.Background()
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("project.yml", "name: p\nschema-rules: dbt\nmodels:\n  gold: {materialized: table, schema: marts}\n")
	prof, err := os.ReadFile(filepath.Join(dir, "profiles.yml"))
	if err != nil {
		t.Fatal(err)
	}
	plain := string(prof)
	write("profiles.yml", plain+"      schema: analytics\n")
	if code, out, errOut := ingot(ctx, dir, "build"); code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, errOut)
	}
	a, err := postgres.Open(ctx, adapter.Target{Type: "postgres", Options: postgres.Options{DSN: db.DSN, PgDuckdb: "off"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tables := func() string {
		t.Helper()
		r, err := a.Query(ctx, `select table_schema || '.' || table_name from information_schema.tables
			where table_schema not in ('pg_catalog', 'information_schema') order by 1`, 0)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, row := range r.Rows {
			out = append(out, row[0].(string))
		}
		return strings.Join(out, " ")
	}
	if got, want := tables(), "analytics.a analytics.nums analytics_marts.b"; got != want {
		t.Errorf("relations = %s, want %s", got, want)
	}
	write("profiles.yml", plain)
	if code, out, errOut := ingot(ctx, dir, "build"); code != 0 {
		t.Fatalf("build without a profile schema: exit %d\n%s%s", code, out, errOut)
	}
	if got := tables(); !strings.Contains(got, "public.a public.nums public_marts.b") {
		t.Errorf("without a profile schema: relations = %s, want public.a public.nums public_marts.b too", got)
	}
}
