package lineage

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/datatest"
	"github.com/ingot-dev/ingot/internal/project"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/ (review every change by reading the model's SQL)")

// exampleManifest compiles the repository's example project for DuckDB.
func exampleManifest(t *testing.T) *compile.Manifest { return exampleFor(t, "duckdb") }

// exampleFor compiles the example for the engine named (duckdb, postgres).
func exampleFor(t *testing.T, engine string) *compile.Manifest {
	t.Helper()
	ctx := context.Background()
	p, err := project.Load(ctx, project.Options{Dir: filepath.Join("..", "..")})
	if err != nil {
		t.Fatal(err)
	}
	engines, err := adapter.NewRegistry(duckdb.Engine(), postgres.Engine())
	if err != nil {
		t.Fatal(err)
	}
	m, err := compile.Build(ctx, p, compile.Options{TargetName: "dev", RunStarted: time.Date(2024, 5, 28, 12, 0, 0, 0, time.UTC)}.WithEngine(engines, engine))
	if err != nil {
		t.Fatal(err)
	}
	if err := datatest.Add(ctx, m); err != nil {
		t.Fatal(err)
	}
	return m
}

// render writes a model's lineage one column a line:
// "column <- node.column, ..." and the note, if any, indented below.
func render(lm *Model) string {
	var b strings.Builder
	if lm.Note != "" {
		fmt.Fprintf(&b, "# %s\n", lm.Note)
	}
	for _, c := range lm.Columns {
		from := make([]string, len(c.From))
		for i, e := range c.From {
			from[i] = e.Node + "." + e.Column
		}
		fmt.Fprintf(&b, "%s %s <- %s\n", c.Name, c.Type, strings.Join(from, ", "))
		if c.Note != "" {
			fmt.Fprintf(&b, "    note: %s\n", c.Note)
		}
	}
	return b.String()
}

// TestGoldModels compares the lineage of every gold model of the example
// with testdata/gold/<model>.txt. Each golden file was checked by reading
// the model's SQL, column by column.
func TestGoldModels(t *testing.T) {
	m := exampleManifest(t)
	res, err := Compute(context.Background(), m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for id := range res.Models {
		if strings.HasPrefix(id, "model.gold.") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	if len(ids) < 10 {
		t.Fatalf("traced %d gold models, want the example's 10: %v", len(ids), ids)
	}
	for _, id := range ids {
		name := strings.TrimPrefix(id, "model.gold.")
		got := render(res.Models[id])
		path := filepath.Join("testdata", "gold", name+".txt")
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v (run with -update, then review)", id, err)
		}
		if got != string(want) {
			t.Errorf("%s lineage differs from %s:\n--- got\n%s--- want\n%s", id, path, got, want)
		}
	}
}

// edgesOnly keeps the "column <- parents" part of rendered lineage: what
// does not depend on DuckDB binding the SQL.
func edgesOnly(rendered string) string {
	var out []string
	for _, l := range strings.Split(rendered, "\n") {
		name, rest, ok := strings.Cut(l, " ")
		_, from, ok2 := strings.Cut(rest, "<- ")
		if ok && ok2 && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") {
			out = append(out, name+" <- "+from)
		}
	}
	return strings.Join(out, "\n")
}

// TestGoldModelsPostgres: compiled for PostgreSQL the gold models use the
// postgres__ macros, some of which DuckDB cannot bind (make_interval);
// lineage then reads names from the SQL alone and must find the same
// edges as the golden files.
func TestGoldModelsPostgres(t *testing.T) {
	res, err := Compute(context.Background(), exampleFor(t, "postgres"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	unbound := 0
	for id, lm := range res.Models {
		if !strings.HasPrefix(id, "model.gold.") {
			continue
		}
		if strings.Contains(lm.Note, "could not bind") {
			unbound++
		}
		want, err := os.ReadFile(filepath.Join("testdata", "gold", strings.TrimPrefix(id, "model.gold.")+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		if got, w := edgesOnly(render(lm)), edgesOnly(string(want)); got != w {
			t.Errorf("%s on postgres:\n--- got\n%s\n--- want\n%s", id, got, w)
		}
	}
	if unbound == 0 {
		t.Errorf("every gold model bound on postgres; the test means to cover SQL DuckDB cannot bind")
	}
}

// TestCompiledGiven: SQL a command rendered with the warehouse (run_query
// returning rows) is traced as given, dynamic columns included.
func TestCompiledGiven(t *testing.T) {
	m := exampleManifest(t)
	id := "model.gold.chatbot_sessions"
	plain, err := Compute(context.Background(), m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// the SQL rendered with one boolean answer key, as run_query would
	// give it after a build
	sqlText := strings.Replace(plain.Models[id].Compiled,
		"\nfrom sessions as s",
		",\n  bool_or(case when l.answer_key = 'opt_in' then l.answer_bool end) as \"opt_in\"\nfrom sessions as s", 1)
	if sqlText == plain.Models[id].Compiled {
		t.Fatal("the model's SQL changed: update the test's insertion point")
	}
	res, err := Compute(context.Background(), m, Options{Compiled: map[string]string{id: sqlText}})
	if err != nil {
		t.Fatal(err)
	}
	lm := res.Models[id]
	if lm.Note != "" {
		t.Errorf("model note %q, want none: the run_query columns are in the SQL", lm.Note)
	}
	last := lm.Columns[len(lm.Columns)-1]
	want := "model.silver.chatbot_answers.answer_bool, model.silver.chatbot_answers.answer_key"
	var got []string
	for _, e := range last.From {
		got = append(got, e.Node+"."+e.Column)
	}
	if last.Name != "opt_in" || last.Type != "BOOLEAN" || strings.Join(got, ", ") != want {
		t.Errorf("dynamic column: %s %s <- %s, want opt_in BOOLEAN <- %s", last.Name, last.Type, strings.Join(got, ", "), want)
	}
}
