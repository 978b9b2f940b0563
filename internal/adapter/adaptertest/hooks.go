package adaptertest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// RunHooks checks pre_hook and post_hook inside a build's transaction and
// the transaction: false hooks outside it, for models and seeds.
func RunHooks(t *testing.T, o Opener) {
	// Each hook logs its phase and whether silver.h exists at that moment.
	const audit = "INSERT INTO audit.log SELECT '%s', (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'silver' AND table_name = 'h')"
	hook := func(phase string) string { return fmt.Sprintf(audit, phase) }
	tests := []struct {
		name         string
		materialized string
		incremental  bool
		m            adapter.Materialization
		wantErr      string
		notErr       string
		wantLog      []string
		wantRows     []string // silver.h afterwards; nil: absent
	}{
		{
			name:     "hooks run around the build, in its transaction",
			m:        adapter.Materialization{Hooks: adapter.Hooks{BeforeBegin: []string{hook("before")}, PreHooks: []string{hook("pre"), " "}, PostHooks: []string{hook("post"), "  "}, AfterCommit: []string{hook("after")}}},
			wantLog:  []string{"after|1", "before|0", "post|1", "pre|0"},
			wantRows: []string{"1", "2"},
		},
		{
			name:    "failing pre hook stops the build and is named",
			m:       adapter.Materialization{Hooks: adapter.Hooks{PreHooks: []string{hook("pre"), "SELECT * FROM missing_table"}}},
			wantErr: "pre_hook 2 (SELECT * FROM missing_table)",
		},
		{
			name:    "failing post hook rolls the build and the other hooks back",
			m:       adapter.Materialization{Hooks: adapter.Hooks{BeforeBegin: []string{hook("before")}, PreHooks: []string{hook("pre"), "CREATE TABLE audit.pre_hook_ran (x INTEGER)"}, PostHooks: []string{"INSERT INTO nowhere VALUES (1)"}}},
			wantErr: "post_hook 1 (INSERT INTO nowhere VALUES (1))",
			notErr:  "was built",
			wantLog: []string{"before|0"},
		},
		{
			name:         "failing post hook of a view leaves no view",
			materialized: "view",
			m:            adapter.Materialization{Hooks: adapter.Hooks{PostHooks: []string{"INSERT INTO nowhere VALUES (1)"}}},
			wantErr:      "post_hook 1",
		},
		{
			name:        "failing post hook of an incremental build keeps the old rows",
			incremental: true,
			m:           adapter.Materialization{Hooks: adapter.Hooks{PostHooks: []string{"INSERT INTO nowhere VALUES (1)"}}},
			wantErr:     "post_hook 1",
			wantRows:    []string{"0"},
		},
		{
			name:     "failing hook after the commit fails the model but the table stays",
			m:        adapter.Materialization{Hooks: adapter.Hooks{AfterCommit: []string{hook("after"), "INSERT INTO nowhere VALUES (1)"}}},
			wantErr:  "the relation was built, but post_hook 2",
			wantLog:  []string{"after|1"},
			wantRows: []string{"1", "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := o.Open(t, nil)
			ctx := context.Background()
			if err := a.EnsureSchema(ctx, "audit"); err != nil {
				t.Fatal(err)
			}
			exec(t, a, "CREATE TABLE audit.log (phase VARCHAR(10), n BIGINT)")
			m := tt.m
			m.Relation, m.Materialized, m.SQL = rel("silver", "h"), "table", "SELECT * FROM (VALUES (1), (2)) t(n)"
			if tt.materialized != "" {
				m.Materialized = tt.materialized
			}
			if tt.incremental {
				mustMaterialize(t, a, adapter.Materialization{Relation: m.Relation, Materialized: "table", SQL: "SELECT 0 AS n"})
				m.Materialized, m.Incremental = "incremental", true
			}
			_, err := a.Materialize(ctx, m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				if tt.notErr != "" && strings.Contains(err.Error(), tt.notErr) {
					t.Errorf("error %v contains %q", err, tt.notErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			wantRows(t, a, "SELECT * FROM audit.log", tt.wantLog...)
			wantRows(t, a, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'pre_hook_ran'", "0")
			kind, _, _ := a.Describe(ctx, m.Relation)
			if tt.wantRows == nil {
				if kind != adapter.KindNone {
					t.Errorf("silver.h exists (%v) after a failed build", kind)
				}
				return
			}
			wantRows(t, a, "SELECT * FROM silver.h", tt.wantRows...)
		})
	}

	t.Run("pre hooks run on the build's session", func(t *testing.T) {
		a := o.Open(t, nil)
		res := mustMaterialize(t, a, adapter.Materialization{
			Relation: rel("gold", "hooked"), Materialized: "table",
			SQL:   "SELECT v FROM hook_value",
			Hooks: adapter.Hooks{PreHooks: []string{"CREATE TEMPORARY TABLE hook_value AS SELECT 'from pre-hook' AS v"}},
		})
		if res.RowsAffected != 1 {
			t.Errorf("rows = %d", res.RowsAffected)
		}
		wantRows(t, a, "SELECT * FROM gold.hooked", "from pre-hook")
	})

	t.Run("transaction false", func(t *testing.T) {
		d := o.Dialect
		if d.NoTransaction == "" {
			t.Skipf("%s: the engine refuses no statement inside a transaction", t.Name())
		}
		a := o.Open(t, nil)
		r := rel("gold", "hooked")
		mustMaterialize(t, a, adapter.Materialization{Relation: r, Materialized: "table", SQL: "SELECT 'old' AS v"})
		stmt := func(rel string) string { return strings.ReplaceAll(d.NoTransaction, "{rel}", rel) }
		// Outside the transaction the statement runs; one failing after the
		// commit leaves the new table.
		_, err := a.Materialize(context.Background(), adapter.Materialization{
			Relation: r, Materialized: "table", SQL: "SELECT 'newer' AS v",
			Hooks: adapter.Hooks{BeforeBegin: []string{stmt("gold.hooked")}, AfterCommit: []string{stmt("gold.hooked"), "INSERT INTO nowhere VALUES (1)"}},
		})
		if err == nil || !strings.Contains(err.Error(), "the relation was built, but post_hook 2") {
			t.Errorf("err = %v", err)
		}
		wantRows(t, a, "SELECT * FROM gold.hooked", "newer")
		// Inside it the statement fails, and the build with it.
		_, err = a.Materialize(context.Background(), adapter.Materialization{
			Relation: r, Materialized: "table", SQL: "SELECT 'newest' AS v",
			Hooks: adapter.Hooks{PostHooks: []string{stmt("gold.hooked")}},
		})
		if err == nil || !strings.Contains(err.Error(), d.NoTransactionError) {
			t.Errorf("err = %v, want %q", err, d.NoTransactionError)
		}
		wantRows(t, a, "SELECT * FROM gold.hooked", "newer")
	})

	t.Run("seed", func(t *testing.T) {
		a := o.Open(t, nil)
		ctx := context.Background()
		root := t.TempDir()
		file := WriteFile(t, root, "seeds/s.csv", "a\n1\n2\n")
		s := adapter.Seed{Relation: rel("seeds", "s"), Root: root, Files: []string{file}, Format: "csv"}
		s.Hooks = adapter.Hooks{
			BeforeBegin: []string{"CREATE SCHEMA IF NOT EXISTS audit", "CREATE TABLE IF NOT EXISTS audit.log (phase VARCHAR(10), n BIGINT)"},
			PostHooks:   []string{"INSERT INTO audit.log SELECT 'post', count(*) FROM seeds.s"},
			AfterCommit: []string{"INSERT INTO audit.log SELECT 'after', count(*) FROM seeds.s"},
		}
		if o.Dialect.NoTransaction != "" {
			s.AfterCommit = append(s.AfterCommit, strings.ReplaceAll(o.Dialect.NoTransaction, "{rel}", "seeds.s"))
		}
		if _, err := a.LoadSeed(ctx, s); err != nil {
			t.Fatal(err)
		}
		wantRows(t, a, "SELECT phase, n FROM audit.log", "after|2", "post|2")

		// A failing post-hook rolls the load back, the pre-hook's insert too.
		WriteFile(t, root, "seeds/s.csv", "a\n1\n2\n3\n")
		s.Hooks = adapter.Hooks{
			PreHooks:  []string{"INSERT INTO audit.log VALUES ('pre', 0)"},
			PostHooks: []string{"INSERT INTO nowhere VALUES (1)"},
		}
		if _, err := a.LoadSeed(ctx, s); err == nil || !strings.Contains(err.Error(), "post_hook 1 (INSERT INTO nowhere VALUES (1))") {
			t.Fatalf("err = %v", err)
		}
		wantRows(t, a, "SELECT count(*) FROM seeds.s", "2")
		wantRows(t, a, "SELECT phase, n FROM audit.log", "after|2", "post|2")
		noLeftovers(t, o, a, "")
	})
}
