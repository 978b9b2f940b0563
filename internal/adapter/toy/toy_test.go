// Package toy_test registers a third engine — DuckDB under another name,
// with its own quoting rule, macro prefix and fewer capabilities (no
// transactional DDL, no MERGE) — and builds the example project with it
// through the registry: what a new engine must provide, and nothing
// outside this package edited for it.
package toy_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/adaptertest"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/cli"
	"github.com/ingot-dev/ingot/internal/exampletest"
)

var plain = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// reserved are words the toy quotes although they are plain: DuckDB
// keywords a name in the example could be.
var reserved = map[string]bool{"date": true, "month": true, "year": true, "order": true, "group": true,
	"select": true, "from": true, "where": true, "table": true, "user": true, "value": true, "default": true}

// toyQuote leaves plain lower-case names bare and double-quotes the rest,
// a rule neither built-in engine uses.
func toyQuote(ident string) string {
	if plain.MatchString(ident) && !reserved[ident] {
		return ident
	}
	return adapter.QuoteIdent(ident)
}

// toyCaps declare less than DuckDB can do, so the toy takes other paths:
// tables replaced in place by one statement with hooks around it, merge
// run as delete+insert.
var toyCaps = adapter.Caps{AtomicReplace: true}

// toyEngine is the toy; every statement its adapters send goes to sent.
func toyEngine(sent func(string)) *adapter.Engine {
	duck := duckdb.Engine()
	return &adapter.Engine{
		Name:          "toy",
		DecodeOptions: duck.DecodeOptions,
		Open: func(ctx context.Context, t adapter.Target) (adapter.Adapter, error) {
			t.OnStatement = sent
			return duckdb.OpenWith(ctx, t, toyCaps)
		},
		Dialect: adapter.Dialect{
			QuoteFunc: toyQuote,
			// Its own macros first, then DuckDB's, whose SQL it runs.
			MacroPrefixes: []string{"toy", "duckdb"},
			FloatType:     "double",
			DuckDBSQL:     true,
		},
		Caps: toyCaps,
	}
}

func TestToyEngineBuildsTheExample(t *testing.T) {
	dir := exampletest.Temp(t, "../../..")
	profiles := "default:\n  target: dev\n  outputs:\n    dev: {type: toy, path: toy.duckdb, threads: 2}\n"
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(profiles), 0o644); err != nil {
		t.Fatal(err)
	}
	sent := &adaptertest.Statements{}
	reg, err := adapter.NewRegistry(duckdb.Engine(), postgres.Engine(), toyEngine(sent.Add))
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	build := func(what string) []string {
		t.Helper()
		out.Reset()
		errb.Reset()
		code := cli.MainWith(context.Background(), reg, []string{"ingot", "--project-dir", dir, "--no-color", "build"}, nil, &out, &errb)
		if code != 0 {
			t.Fatalf("%s on the toy engine: exit %d\n%s\n%s", what, code, out.String(), errb.String())
		}
		if !strings.Contains(out.String(), "on dev (toy)") || !strings.Contains(out.String(), "ERROR=0") {
			t.Errorf("%s output:\n%s", what, out.String())
		}
		defer sent.Reset()
		return sent.All()
	}
	first := build("build")
	second := build("second build")

	// The toy's caps chose its paths: tables were replaced in place by one
	// statement (DuckDB builds a temporary table and renames it in a
	// transaction), and merges ran as delete+insert.
	var inPlace int
	for _, q := range append(first, second...) {
		switch {
		case strings.Contains(q, "__ingot_tmp"):
			t.Errorf("the toy built under a temporary name, as DuckDB does: %s", adapter.Clip(q, 120))
		case strings.HasPrefix(q, "MERGE INTO"):
			t.Errorf("the toy has no MERGE but was sent: %s", adapter.Clip(q, 120))
		case strings.HasPrefix(q, `CREATE OR REPLACE TABLE "gold"."invoice_averages" AS`):
			inPlace++
		}
	}
	if inPlace != 2 {
		t.Errorf("gold.invoice_averages replaced in place %d times in two builds, want 2", inPlace)
	}
	merged := false
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "gold.notifications_per_minute") && strings.Contains(line, "OK") {
			merged = true
			if !strings.Contains(line, "DELETE") {
				t.Errorf("second build: the merge model did not run as delete+insert: %s", line)
			}
		}
	}
	if !merged {
		t.Errorf("second build did not report gold.notifications_per_minute:\n%s", out.String())
	}
	// The models' refs were written in the toy's quoting, not the built-in one.
	sql, err := os.ReadFile(filepath.Join(dir, "target", "run", "gold", "invoice_averages.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sql), "silver.") || strings.Contains(string(sql), `"silver".`) {
		t.Errorf("invoice_averages was not quoted by the toy dialect:\n%s", sql)
	}

	// An unknown engine name is refused with the registered ones.
	if err := os.WriteFile(filepath.Join(dir, "profiles.yml"), []byte(strings.Replace(profiles, "type: toy", "type: tyo", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := cli.MainWith(context.Background(), reg, []string{"ingot", "--project-dir", dir, "--no-color", "debug"}, nil, &out, &errb); code == 0 ||
		!strings.Contains(errb.String(), `has type "tyo"; ingot supports duckdb, postgres, toy`) {
		t.Errorf("unknown type: exit %d\n%s%s", code, out.String(), errb.String())
	}
}
