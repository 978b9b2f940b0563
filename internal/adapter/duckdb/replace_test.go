package duckdb

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/adaptertest"
)

// The replace path follows the capabilities the adapter is opened with:
// DuckDB's own (a transaction), or those of an engine running on DuckDB
// that declares fewer. What a failing post-hook leaves is what
// Caps.HookFailure documents.
func TestReplacePathsFollowCaps(t *testing.T) {
	tests := []struct {
		name string
		caps adapter.Caps
		// statement prefixes a rebuild sends, in order
		want []string
		// statement fragments it never sends
		never []string
		// rows a rebuild with a failing post-hook leaves
		afterHookFailure string
	}{
		{
			name: "transactional DDL: build, drop and rename in the transaction",
			caps: caps,
			want: []string{"BEGIN TRANSACTION", `CREATE OR REPLACE TABLE "s"."t__ingot_tmp" AS`, `DROP TABLE IF EXISTS "s"."t"`,
				`ALTER TABLE "s"."t__ingot_tmp" RENAME TO "t"`, "COMMIT"},
			afterHookFailure: "1",
		},
		{
			name:             "atomic replace only: one statement in place, hooks around it",
			caps:             adapter.Caps{AtomicReplace: true},
			want:             []string{`CREATE OR REPLACE TABLE "s"."t" AS`},
			never:            []string{"BEGIN", tmpSuffix},
			afterHookFailure: "2",
		},
		{
			name: "neither: build aside, then drop and rename",
			caps: adapter.Caps{},
			want: []string{`CREATE OR REPLACE TABLE "s"."t__ingot_tmp" AS`, `DROP TABLE IF EXISTS "s"."t"`,
				`ALTER TABLE "s"."t__ingot_tmp" RENAME TO "t"`},
			never:            []string{"BEGIN"},
			afterHookFailure: "2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			sent := &adaptertest.Statements{}
			tgt := testTarget("")
			tgt.OnStatement = sent.Add
			a, err := OpenWith(ctx, tgt, tt.caps)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			table := func(sql string, h adapter.Hooks) (adapter.Result, error) {
				return a.Materialize(ctx, adapter.Materialization{Relation: adapter.Relation{Schema: "s", Name: "t"},
					Materialized: "table", SQL: sql, Hooks: h})
			}
			// A view in the way is replaced by the table on every path.
			if _, err := a.Materialize(ctx, adapter.Materialization{Relation: adapter.Relation{Schema: "s", Name: "t"},
				Materialized: "view", SQL: "select 0 as n"}); err != nil {
				t.Fatal(err)
			}
			if _, err := table("select 1 as n", adapter.Hooks{}); err != nil {
				t.Fatal(err)
			}
			sent.Reset()
			res, err := table("select 1 as n union all select 1", adapter.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			if res.RowsAffected != 2 {
				t.Errorf("rows affected %d, want 2", res.RowsAffected)
			}
			var got []string
			for _, q := range sent.All() {
				for _, w := range tt.want {
					if strings.HasPrefix(q, w) {
						got = append(got, w)
					}
				}
				for _, n := range tt.never {
					if strings.Contains(q, n) {
						t.Errorf("sent %q", q)
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rebuild sent %q\nwant in order %q\nall: %q", got, tt.want, sent.All())
			}

			_, err = table("select 2 as n", adapter.Hooks{PostHooks: []string{"select error('hook boom')"}})
			if err == nil || !strings.Contains(err.Error(), "post_hook 1") || !strings.Contains(err.Error(), "hook boom") {
				t.Fatalf("failing post-hook: %v", err)
			}
			if kept := tt.afterHookFailure == "2"; kept != strings.Contains(err.Error(), "the table was built, but") {
				t.Errorf("error %q does not say what stays", err)
			}
			if got := adaptertest.Rows(t, a, "select distinct n from s.t"); !slices.Equal(got, []string{tt.afterHookFailure}) {
				t.Errorf("after a failing post-hook the table holds %v, want %s (%s)", got, tt.afterHookFailure, tt.caps.HookFailure())
			}
			if got := adaptertest.Rows(t, a, "select count(*) from information_schema.tables where table_name like '%"+tmpSuffix+"'"); !slices.Equal(got, []string{"0"}) {
				t.Errorf("temporary tables left: %v", got)
			}

			// A failing build leaves the old rows and no temporary table.
			if _, err := table("select error('build boom') as n", adapter.Hooks{}); err == nil || !strings.Contains(err.Error(), "build boom") {
				t.Fatalf("failing build: %v", err)
			}
			if got := adaptertest.Rows(t, a, "select distinct n from s.t"); !slices.Equal(got, []string{tt.afterHookFailure}) {
				t.Errorf("after a failing build the table holds %v, want %s", got, tt.afterHookFailure)
			}
			if got := adaptertest.Rows(t, a, "select count(*) from information_schema.tables where table_name like '%"+tmpSuffix+"'"); !slices.Equal(got, []string{"0"}) {
				t.Errorf("temporary tables left after a failing build: %v", got)
			}
			// A failing pre-hook builds nothing on any path.
			if _, err := table("select 9 as n", adapter.Hooks{PreHooks: []string{"select error('pre boom')"}}); err == nil || !strings.Contains(err.Error(), "pre_hook 1") {
				t.Fatalf("failing pre-hook: %v", err)
			}
			if got := adaptertest.Rows(t, a, "select distinct n from s.t"); !slices.Equal(got, []string{tt.afterHookFailure}) {
				t.Errorf("after a failing pre-hook the table holds %v, want %s", got, tt.afterHookFailure)
			}

			// A view replaces the table, hooks run on every path.
			if _, err := a.Materialize(ctx, adapter.Materialization{Relation: adapter.Relation{Schema: "s", Name: "t"},
				Materialized: "view", SQL: "select 3 as n", Hooks: adapter.Hooks{PreHooks: []string{"create table s.audit as select 1 as x"}}}); err != nil {
				t.Fatal(err)
			}
			if got := adaptertest.Rows(t, a, "select n from s.t union all select x from s.audit order by 1"); !slices.Equal(got, []string{"1", "3"}) {
				t.Errorf("view and hook: %v", got)
			}
		})
	}
}
