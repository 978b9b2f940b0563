package datatest

import (
	"context"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/project"
)

// A generic test defined only in an engine's version is known by the name
// without the prefix, for every engine the registry has, a third one too:
// the prefixes come from the registry, not from a list of engine names.
func TestEngineVersionsOfTestMacros(t *testing.T) {
	duck := duckdb.Engine()
	toy := &adapter.Engine{Name: "toy", DecodeOptions: duck.DecodeOptions, Open: duck.Open,
		Dialect: adapter.Dialect{MacroPrefixes: []string{"toy", "duckdb"}}}
	reg, err := adapter.NewRegistry(duck, toy)
	if err != nil {
		t.Fatal(err)
	}
	macro := "{{ define \"toy__test_positive\" }}select * from {{ .model }} where {{ .column_name }} < 0{{ end }}\n"
	tests := []struct {
		name, test, wantErr string
	}{
		{"known by its base name", "positive", ""},
		{"suggested without its prefix", "positve", `unknown test "positve" (did you mean "positive"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dir := writeProject(t, map[string]string{"macros/tests.sql": macro, "models/silver/x.yml": genericYML("amount", tt.test)})
			p, err := project.Load(ctx, project.Options{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			m, err := compile.Build(ctx, p, compile.Options{TargetName: "dev"}.WithEngine(reg, "toy"))
			if err != nil {
				t.Fatal(err)
			}
			err = Add(ctx, m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ids := testIDs(m, ""); len(ids) != 1 || !strings.HasPrefix(ids[0], "test.positive_orders_amount") {
				t.Errorf("tests %v, want the positive test", ids)
			}
		})
	}
}

// The empty inputs a model's columns are found with name their columns as
// the scratch database's dialect quotes.
func TestEmptySQLQuotesInTheDialect(t *testing.T) {
	cols := []adapter.Column{{Name: "a`b", Type: "integer"}, {Name: "c"}}
	got := emptySQL(cols, adapter.Dialect{QuoteChar: "`"})
	want := "select cast(null as integer) as `a``b`, cast(null as varchar) as `c` where 1 = 0"
	if got != want {
		t.Errorf("emptySQL = %s, want %s", got, want)
	}
}
