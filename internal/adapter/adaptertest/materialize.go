package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// RunMaterialize checks view, table and incremental builds, every
// incremental strategy and on_schema_change mode, and config errors.
func RunMaterialize(t *testing.T, o Opener) {
	d := o.Dialect
	type step struct {
		m       adapter.Materialization
		wantErr string
		kind    adapter.Kind
		rows    []string // the relation's rows, any order
		cols    string   // the relation's columns, comma-separated
		msg     string
		msgHas  string
	}
	r := rel("silver", "sales")
	table := func(sql string) adapter.Materialization {
		return adapter.Materialization{Relation: r, Materialized: "table", SQL: sql}
	}
	view := func(sql string) adapter.Materialization {
		return adapter.Materialization{Relation: r, Materialized: "view", SQL: sql}
	}
	inc := func(sql string, opts func(*adapter.Materialization)) adapter.Materialization {
		m := adapter.Materialization{Relation: r, Materialized: "incremental", SQL: sql, Incremental: true}
		if opts != nil {
			opts(&m)
		}
		return m
	}
	full := func(m adapter.Materialization) adapter.Materialization { m.Incremental = false; return m }
	keys := func(strategy string, k ...string) func(*adapter.Materialization) {
		return func(m *adapter.Materialization) { m.Strategy = strategy; m.UniqueKey = k }
	}
	schema := func(osc string) func(*adapter.Materialization) {
		return func(m *adapter.Materialization) { m.OnSchemaChange = osc }
	}
	// Where the engine refuses a merge with a key twice among the new
	// rows, the step expects that error and the old rows.
	dupMerge := func(d Dialect, st step) step {
		if d.DuplicateMergeKey != "" {
			st.wantErr, st.rows = d.DuplicateMergeKey, []string{"1|a", "2|b"}
		}
		return st
	}
	base := "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, v)"

	tests := []struct {
		name  string
		steps []step
	}{
		{"table then rebuild", []step{
			{m: table(base), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}, msg: "CREATE TABLE (2 rows)"},
			{m: table("SELECT 3 AS id, 'c' AS v;  \n"), kind: adapter.KindTable, rows: []string{"3|c"}},
			// A comment as the last line must not swallow what follows the SQL.
			{m: table("SELECT 3 AS other -- trailing comment"), kind: adapter.KindTable, rows: []string{"3"}, cols: "other"},
		}},
		{"failing rebuild keeps the old table", []step{
			{m: table(base), rows: []string{"1|a", "2|b"}},
			{m: table("SELECT id, CAST(v AS INTEGER) AS v FROM (VALUES (1, 'x')) t(id, v)"), wantErr: d.ConversionError, kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: table("SELECT " + d.Failing + " AS id"), wantErr: d.FailingError, kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: table("SELECT nope FROM nowhere"), wantErr: d.MissingRelation("nowhere"), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: table("select from where"), wantErr: "syntax error", kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
		}},
		{"view to table to view", []step{
			{m: view(base), kind: adapter.KindView, rows: []string{"1|a", "2|b"}, msg: "CREATE VIEW"},
			// Other columns: CREATE OR REPLACE VIEW could not do this.
			{m: view("SELECT 'five' AS y, 5 AS z"), kind: adapter.KindView, rows: []string{"five|5"}, cols: "y,z"},
			{m: table(base), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: view("SELECT 7 AS id"), kind: adapter.KindView, rows: []string{"7"}},
			{m: view("SELECT broken("), wantErr: "syntax error", kind: adapter.KindView, rows: []string{"7"}},
			{m: view("SELECT nope FROM nowhere"), wantErr: d.MissingRelation("nowhere"), kind: adapter.KindView, rows: []string{"7"}},
		}},
		{"incremental first run builds the table", []step{
			{m: full(inc(base, nil)), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 3 AS id, 'c' AS v", nil), rows: []string{"1|a", "2|b", "3|c"}, msg: "INSERT 1"},
		}},
		{"incremental on a missing table builds it", []step{
			{m: inc(base, nil), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
		}},
		{"append", []step{
			{m: table(base)},
			{m: inc("SELECT 2 AS id, 'b2' AS v", keys("append")), rows: []string{"1|a", "2|b", "2|b2"}, msg: "INSERT 1"},
		}},
		{"merge on one key (default strategy with a key)", []step{
			{m: table(base)},
			{m: inc("SELECT * FROM (VALUES (2, 'B'), (3, 'c')) t(id, v)", keys("", "id")), rows: []string{"1|a", "2|B", "3|c"}, msg: "MERGE 2"},
		}},
		{"merge on a composite key with NULLs", []step{
			{m: table("SELECT * FROM (VALUES (1, 'x', 10), (1, NULL, 20), (2, 'y', 30)) t(k1, k2, val)")},
			{m: inc("SELECT * FROM (VALUES (1, 'x', 11), (1, NULL, 21), (3, 'z', 40)) t(k1, k2, val)", keys("merge", "k1", "k2")),
				rows: []string{"1|x|11", "1|NULL|21", "2|y|30", "3|z|40"}},
		}},
		{"merge on a composite key, all NULL", []step{
			{m: table("SELECT * FROM (VALUES (1, CAST(NULL AS INTEGER), 'a'), (1, 2, 'b'), (CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), 'n')) t(k1, k2, v)")},
			{m: inc("SELECT * FROM (VALUES (1, CAST(NULL AS INTEGER), 'A'), (CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), 'N')) t(k1, k2, v)", keys("merge", "k1", "k2")),
				rows: []string{"1|NULL|A", "1|2|b", "NULL|NULL|N"}, msg: "MERGE 2"},
			{m: inc("SELECT * FROM (VALUES (1, 2, 'B')) t(k1, k2, v)", keys("merge", "k1", "k2")),
				rows: []string{"1|NULL|A", "1|2|B", "NULL|NULL|N"}, msg: "MERGE 1"},
		}},
		{"merge where every column is a key", []step{
			{m: table(base)},
			{m: inc("SELECT * FROM (VALUES (2, 'b'), (3, 'c')) t(id, v)", keys("merge", "id", "v")), rows: []string{"1|a", "2|b", "3|c"}},
		}},
		{"merge of a key-only table", []step{
			{m: table("SELECT 1 AS id")},
			{m: inc("SELECT * FROM (VALUES (1), (2)) t(id)", keys("", "id")), rows: []string{"1", "2"}, msg: "MERGE 2"},
		}},
		{"merge keeps table columns the model no longer has", []step{
			{m: table("SELECT * FROM (VALUES (1, 'a', 'keep'), (2, 'b', 'keep')) t(id, v, extra)")},
			{m: inc("SELECT * FROM (VALUES (2, 'B'), (3, 'c')) t(id, v)", keys("merge", "id")), rows: []string{"1|a|keep", "2|B|keep", "3|c|NULL"}, msg: "MERGE 2"},
		}},
		{"merge with a key twice among the new rows updates the old row once", []step{
			{m: table(base)},
			dupMerge(d, step{m: inc("SELECT * FROM (VALUES (2, 'B'), (2, 'B'), (3, 'c')) t(id, v)", keys("merge", "id")), rows: []string{"1|a", "2|B", "3|c"}}),
		}},
		{"delete+insert", []step{
			{m: table("SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (2, 'bb'), (NULL, 'n')) t(id, v)")},
			{m: inc("SELECT * FROM (VALUES (2, 'B'), (NULL, 'N'), (4, 'd')) t(id, v)", keys("delete+insert", "id")),
				rows: []string{"1|a", "2|B", "4|d", "NULL|N"}, msg: "DELETE 3, INSERT 3"},
		}},
		{"delete+insert on a key with several rows", []step{
			{m: table("SELECT * FROM (VALUES (1, 'a'), (1, 'b'), (2, 'c')) t(day, v)")},
			{m: inc("SELECT * FROM (VALUES (1, 'x'), (3, 'y')) t(day, v)", keys("delete+insert", "day")),
				rows: []string{"1|x", "2|c", "3|y"}, msg: "DELETE 2, INSERT 2"},
		}},
		{"on_schema_change fail lists the columns", []step{
			{m: table(base)},
			{m: inc("SELECT 3 AS id, 'c' AS v, true AS flag", schema("fail")), wantErr: "new columns flag", rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 3 AS id", schema("fail")), wantErr: "missing columns v", rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 3 AS id, true AS flag", schema("fail")), wantErr: "new columns flag; missing columns v", rows: []string{"1|a", "2|b"}, cols: "id,v"},
			{m: inc("SELECT 3 AS id, 'c' AS v", schema("fail")), rows: []string{"1|a", "2|b", "3|c"}},
		}},
		{"on_schema_change append_new_columns", []step{
			{m: table(base)},
			{m: inc("SELECT 3 AS id, 'c' AS v, true AS flag", schema("append_new_columns")), rows: []string{"1|a|NULL", "2|b|NULL", "3|c|true"},
				cols: "id,v,flag", msgHas: "added columns flag"},
			{m: inc("SELECT 4 AS id, false AS flag", schema("append_new_columns")), rows: []string{"1|a|NULL", "2|b|NULL", "3|c|true", "4|NULL|false"}},
		}},
		{"on_schema_change ignore writes common columns", []step{
			{m: table(base)},
			{m: inc("SELECT 3 AS id, 'c' AS v, true AS flag", nil), rows: []string{"1|a", "2|b", "3|c"}, cols: "id,v"},
			{m: inc("SELECT 4 AS id", schema("ignore")), rows: []string{"1|a", "2|b", "3|c", "4|NULL"}, cols: "id,v"},
		}},
		{"merge with schema change append_new_columns", []step{
			{m: table(base)},
			{m: inc("SELECT 2 AS id, 'B' AS v, 9 AS n", func(m *adapter.Materialization) {
				m.UniqueKey = []string{"id"}
				m.OnSchemaChange = "append_new_columns"
			}),
				rows: []string{"1|a|NULL", "2|B|9"}},
		}},
		{"failing incremental keeps the table", []step{
			{m: table(base)},
			{m: inc("SELECT "+d.Failing+" AS id, 'x' AS v", keys("delete+insert", "id")), wantErr: d.FailingError, rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 'x' AS id, 'y' AS v", nil), wantErr: d.AppendMismatch, rows: []string{"1|a", "2|b"}},
			{m: inc("select from where", nil), wantErr: "syntax error", rows: []string{"1|a", "2|b"}},
		}},
		{"config errors", []step{
			{m: inc(base, keys("merge")), wantErr: "incremental_strategy merge needs a unique_key"},
			{m: inc(base, keys("delete+insert")), wantErr: "needs a unique_key"},
			{m: inc(base, keys("upsert", "id")), wantErr: `unknown incremental_strategy "upsert"`},
			{m: inc(base, schema("sync_all_columns")), wantErr: `unknown on_schema_change "sync_all_columns"`},
			{m: adapter.Materialization{Relation: r, Materialized: "snapshot", SQL: base}, wantErr: `unknown materialization "snapshot"`},
			{m: adapter.Materialization{Relation: rel("", "sales"), Materialized: "table", SQL: base}, wantErr: "schema"},
		}},
		{"unique_key not in the model", []step{
			{m: table(base)},
			{m: inc("SELECT 1 AS id, 'z' AS v", keys("merge", "nope")), wantErr: `unique_key column "nope" is not among the model's columns`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := o.Open(t, nil)
			ctx := context.Background()
			for i, st := range tt.steps {
				res, err := a.Materialize(ctx, st.m)
				if st.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), st.wantErr) {
						t.Fatalf("step %d: error %v, want one containing %q", i, err, st.wantErr)
					}
					if prefix := fmt.Sprintf("%s (%s): ", st.m.Relation, st.m.Materialized); !strings.HasPrefix(err.Error(), prefix) {
						t.Errorf("step %d: error %q does not start with %q", i, err, prefix)
					}
				} else if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if st.msg != "" && res.Message != st.msg {
					t.Errorf("step %d: message %q, want %q", i, res.Message, st.msg)
				}
				if st.msgHas != "" && d.ReportsAddedColumns && !strings.Contains(res.Message, st.msgHas) {
					t.Errorf("step %d: message %q does not contain %q", i, res.Message, st.msgHas)
				}
				if st.kind != "" || st.cols != "" {
					kind, cols, err := a.Describe(ctx, st.m.Relation)
					if err != nil {
						t.Fatal(err)
					}
					if st.kind != "" && kind != st.kind {
						t.Errorf("step %d: kind %q, want %q", i, kind, st.kind)
					}
					var names []string
					for _, c := range cols {
						names = append(names, c.Name)
					}
					if st.cols != "" && strings.Join(names, ",") != st.cols {
						t.Errorf("step %d: columns %v, want %s", i, names, st.cols)
					}
				}
				if st.rows != nil {
					want := slices.Clone(st.rows)
					slices.Sort(want)
					if got := Rows(t, a, selectAll(a, st.m.Relation)); !slices.Equal(got, want) {
						t.Errorf("step %d: rows\n got %q\nwant %q", i, got, want)
					}
				}
				noLeftovers(t, o, a, fmt.Sprintf("step %d: ", i))
			}
		})
	}

	t.Run("rows affected", func(t *testing.T) {
		a := o.Open(t, nil)
		res := mustMaterialize(t, a, adapter.Materialization{Relation: rel("gold", "r"), Materialized: "table", SQL: d.Series(1234)})
		if res.RowsAffected != 1234 || res.Message != "CREATE TABLE (1234 rows)" {
			t.Errorf("table result = %+v", res)
		}
		res = mustMaterialize(t, a, adapter.Materialization{Relation: rel("gold", "v"), Materialized: "view", SQL: "SELECT 1 AS x"})
		if res.RowsAffected != -1 || res.Message != "CREATE VIEW" {
			t.Errorf("view result = %+v", res)
		}
	})
}

// RunSwap checks that a failing rebuild of each materialization, at run
// time or at parse time, leaves the old relation and nothing temporary.
func RunSwap(t *testing.T, o Opener) {
	for _, kind := range []string{"table", "view", "incremental"} {
		t.Run(kind, func(t *testing.T) {
			a := o.Open(t, nil)
			r := rel("silver", "orders")
			mustMaterialize(t, a, adapter.Materialization{Relation: r, Materialized: kind, SQL: "SELECT 1 AS id"})
			failing := []struct{ name, sql string }{
				{"runtime error", "SELECT " + o.Dialect.Failing + " AS id FROM (VALUES (1)) v(x)"},
				{"syntax error", "select from where"},
			}
			for _, f := range failing {
				if kind == "view" && f.name == "runtime error" {
					continue // a view's query runs only when read
				}
				m := adapter.Materialization{Relation: r, Materialized: kind, SQL: f.sql, Incremental: kind == "incremental"}
				if _, err := a.Materialize(context.Background(), m); err == nil {
					t.Fatalf("%s: rebuild succeeded", f.name)
				}
				wantRows(t, a, selectAll(a, r), "1")
			}
			noLeftovers(t, o, a, "")
		})
	}
}

// RunErrorLine checks that an error's LINE is the line of the model's SQL
// (as written to the compiled SQL file), whatever statement embeds it.
func RunErrorLine(t *testing.T, o Opener) {
	const good = "SELECT 1 AS id,\n  2 AS b"
	const bad = "\nSELECT 1 AS id,\n  2 AS b,\n  no_such_col AS c"
	tests := []struct {
		name string
		m    adapter.Materialization
	}{
		{"view", adapter.Materialization{Materialized: "view"}},
		{"table", adapter.Materialization{Materialized: "table"}},
		{"incremental append", adapter.Materialization{Materialized: "incremental", Incremental: true}},
		{"incremental merge", adapter.Materialization{Materialized: "incremental", Incremental: true, UniqueKey: []string{"id"}}},
		{"incremental delete+insert", adapter.Materialization{Materialized: "incremental", Incremental: true, Strategy: "delete+insert", UniqueKey: []string{"id"}}},
	}
	a := o.Open(t, nil)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rel("gold", fmt.Sprintf("m%d", i))
			mustMaterialize(t, a, adapter.Materialization{Relation: r, Materialized: "table", SQL: good})
			m := tt.m
			m.Relation, m.SQL = r, bad
			_, err := a.Materialize(context.Background(), m)
			if err == nil || !strings.Contains(err.Error(), o.Dialect.ErrorLine) {
				t.Errorf("got %v, want it to contain %q", err, o.Dialect.ErrorLine)
			}
			var qe *adapter.QueryLineError
			if !errors.As(err, &qe) || qe.Line != 4 {
				t.Errorf("error %v does not carry line 4 as an adapter.QueryLineError", err)
			}
		})
	}
}
