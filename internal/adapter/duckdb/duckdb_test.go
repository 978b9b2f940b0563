package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func openTest(t *testing.T, path string) *Adapter {
	t.Helper()
	a, err := Open(context.Background(), adapter.Target{Name: "dev", Type: "duckdb", Threads: 4, Options: Options{Path: path}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// rowsOf runs q and renders each row as "v1|v2|…" (NULL for nil).
func rowsOf(t *testing.T, a *Adapter, q string) []string {
	t.Helper()
	res, err := a.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for _, r := range res.Rows {
		parts := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func leftovers(t *testing.T, a *Adapter) []string {
	t.Helper()
	return rowsOf(t, a, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_name LIKE '%__ingot_%' ORDER BY 1")
}

func rel(schema, name string) adapter.Relation { return adapter.Relation{Schema: schema, Name: name} }

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		target   adapter.Target
		wantErr  string
		wantFile string
	}{
		{name: "in memory", target: adapter.Target{Options: Options{Path: ""}}},
		{name: "explicit memory", target: adapter.Target{Options: Options{Path: ":memory:"}}},
		{name: "file in new directory", target: adapter.Target{Options: Options{Path: filepath.Join(dir, "a", "b", "x.duckdb")}}, wantFile: filepath.Join(dir, "a", "b", "x.duckdb")},
		{name: "settings", target: adapter.Target{Settings: map[string]string{"threads": "2", "memory_limit": "1GB"}}},
		{name: "bad setting name", target: adapter.Target{Settings: map[string]string{"threads; drop": "2"}}, wantErr: `invalid setting name "threads; drop"`},
		{name: "unknown setting", target: adapter.Target{Settings: map[string]string{"no_such_setting": "2"}}, wantErr: "SET no_such_setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Open(context.Background(), tt.target)
			if tt.wantErr != "" {
				if err == nil {
					a.Close()
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			info, err := a.Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Engine != "duckdb" || !strings.HasPrefix(info.Version, "v1.") {
				t.Errorf("info = %+v", info)
			}
			if tt.wantFile != "" {
				if _, err := os.Stat(tt.wantFile); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
			for k, v := range tt.target.Settings {
				// Every pooled connection gets the settings.
				for range 3 {
					got := rowsOf(t, a, "SELECT current_setting('"+k+"')::VARCHAR")
					if k == "threads" && got[0] != v {
						t.Errorf("%s = %v, want %s", k, got, v)
					}
				}
			}
		})
	}
}

func TestMaterialize(t *testing.T) {
	type step struct {
		m       adapter.Materialization
		wantErr string
		kind    adapter.Kind
		rows    []string // select * from the relation order by all
		msg     string
	}
	table := func(sql string) adapter.Materialization {
		return adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "table", SQL: sql}
	}
	view := func(sql string) adapter.Materialization {
		return adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "view", SQL: sql}
	}
	inc := func(sql string, opts func(*adapter.Materialization)) adapter.Materialization {
		m := adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "incremental", SQL: sql, Incremental: true}
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
	base := "SELECT * FROM (VALUES (1, 'a'), (2, 'b')) t(id, v)"

	tests := []struct {
		name  string
		steps []step
	}{
		{"table then rebuild", []step{
			{m: table(base), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}, msg: "CREATE TABLE (2 rows)"},
			{m: table("SELECT 3 AS id, 'c' AS v;  \n"), kind: adapter.KindTable, rows: []string{"3|c"}},
		}},
		{"failing rebuild keeps the old table", []step{
			{m: table(base), rows: []string{"1|a", "2|b"}},
			{m: table("SELECT id, CAST(v AS INTEGER) AS v FROM (VALUES (1, 'x')) t(id, v)"), wantErr: "Could not convert", kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: table("SELECT error('boom') AS id"), wantErr: "boom", kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: table("SELECT nope FROM nowhere"), wantErr: "nowhere", kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
		}},
		{"view to table to view", []step{
			{m: view(base), kind: adapter.KindView, rows: []string{"1|a", "2|b"}, msg: "CREATE VIEW"},
			{m: view("SELECT 5 AS id, 'e' AS v"), kind: adapter.KindView, rows: []string{"5|e"}},
			{m: table(base), kind: adapter.KindTable, rows: []string{"1|a", "2|b"}},
			{m: view("SELECT 7 AS id"), kind: adapter.KindView, rows: []string{"7"}},
			{m: view("SELECT broken("), wantErr: "syntax error", kind: adapter.KindView, rows: []string{"7"}},
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
		{"merge where every column is a key", []step{
			{m: table(base)},
			{m: inc("SELECT * FROM (VALUES (2, 'b'), (3, 'c')) t(id, v)", keys("merge", "id", "v")), rows: []string{"1|a", "2|b", "3|c"}},
		}},
		{"merge keeps table columns the model no longer has", []step{
			{m: table("SELECT * FROM (VALUES (1, 'a', 'keep'), (2, 'b', 'keep')) t(id, v, extra)")},
			{m: inc("SELECT * FROM (VALUES (2, 'B'), (3, 'c')) t(id, v)", keys("merge", "id")), rows: []string{"1|a|keep", "2|B|keep", "3|c|NULL"}, msg: "MERGE 2"},
		}},
		{"merge with a key twice among the new rows updates the old row once", []step{
			{m: table(base)},
			{m: inc("SELECT * FROM (VALUES (2, 'B'), (2, 'B'), (3, 'c')) t(id, v)", keys("merge", "id")), rows: []string{"1|a", "2|B", "3|c"}},
		}},
		{"delete+insert", []step{
			{m: table("SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (2, 'bb'), (NULL, 'n')) t(id, v)")},
			{m: inc("SELECT * FROM (VALUES (2, 'B'), (NULL, 'N'), (4, 'd')) t(id, v)", keys("delete+insert", "id")),
				rows: []string{"1|a", "2|B", "4|d", "NULL|N"}, msg: "DELETE 3, INSERT 3"},
		}},
		{"on_schema_change fail lists the columns", []step{
			{m: table(base)},
			{m: inc("SELECT 3 AS id, 'c' AS v, true AS flag", schema("fail")), wantErr: "new columns flag", rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 3 AS id", schema("fail")), wantErr: "missing columns v", rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 3 AS id, 'c' AS v", schema("fail")), rows: []string{"1|a", "2|b", "3|c"}},
		}},
		{"on_schema_change append_new_columns", []step{
			{m: table(base)},
			{m: inc("SELECT 3 AS id, 'c' AS v, true AS flag", schema("append_new_columns")), rows: []string{"1|a|NULL", "2|b|NULL", "3|c|true"}},
			{m: inc("SELECT 4 AS id, false AS flag", schema("append_new_columns")), rows: []string{"1|a|NULL", "2|b|NULL", "3|c|true", "4|NULL|false"}},
		}},
		{"on_schema_change ignore writes common columns", []step{
			{m: table(base)},
			{m: inc("SELECT 3 AS id, 'c' AS v, true AS flag", nil), rows: []string{"1|a", "2|b", "3|c"}},
			{m: inc("SELECT 4 AS id", schema("ignore")), rows: []string{"1|a", "2|b", "3|c", "4|NULL"}},
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
			{m: inc("SELECT error('nope') AS id, 'x' AS v", keys("delete+insert", "id")), wantErr: "nope", rows: []string{"1|a", "2|b"}},
			{m: inc("SELECT 'x' AS id, 'y' AS v", nil), wantErr: "Could not convert", rows: []string{"1|a", "2|b"}},
		}},
		{"config errors", []step{
			{m: inc(base, keys("merge")), wantErr: "incremental_strategy merge needs a unique_key"},
			{m: inc(base, keys("delete+insert")), wantErr: "needs a unique_key"},
			{m: inc(base, keys("upsert", "id")), wantErr: `unknown incremental_strategy "upsert"`},
			{m: inc(base, schema("sync_all_columns")), wantErr: `unknown on_schema_change "sync_all_columns"`},
			{m: adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "snapshot", SQL: base}, wantErr: `unknown materialization "snapshot"`},
		}},
		{"unique_key not in the model", []step{
			{m: table(base)},
			{m: inc("SELECT 1 AS id, 'z' AS v", keys("merge", "nope")), wantErr: `unique_key column "nope" is not among the model's columns`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openTest(t, filepath.Join(t.TempDir(), "w.duckdb"))
			ctx := context.Background()
			for i, st := range tt.steps {
				res, err := a.Materialize(ctx, st.m)
				if st.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), st.wantErr) {
						t.Fatalf("step %d: error %v, want one containing %q", i, err, st.wantErr)
					}
					if !strings.Contains(err.Error(), st.m.Relation.String()) {
						t.Errorf("step %d: error %q does not name the relation", i, err)
					}
				} else if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if st.msg != "" && res.Message != st.msg {
					t.Errorf("step %d: message %q, want %q", i, res.Message, st.msg)
				}
				if st.kind != "" {
					kind, _, err := a.Describe(ctx, st.m.Relation)
					if err != nil {
						t.Fatal(err)
					}
					if kind != st.kind {
						t.Errorf("step %d: kind %q, want %q", i, kind, st.kind)
					}
				}
				if st.rows != nil {
					got := rowsOf(t, a, "SELECT * FROM "+a.Dialect().RelationSQL(st.m.Relation)+" ORDER BY ALL")
					if strings.Join(got, "\n") != strings.Join(st.rows, "\n") {
						t.Errorf("step %d: rows\n got %q\nwant %q", i, got, st.rows)
					}
				}
				if l := leftovers(t, a); len(l) > 0 {
					t.Errorf("step %d: temporary relations left: %v", i, l)
				}
			}
		})
	}
}

func TestMaterializeRowsAffected(t *testing.T) {
	a := openTest(t, "")
	res, err := a.Materialize(context.Background(), adapter.Materialization{
		Relation: rel("gold", "r"), Materialized: "table", SQL: "SELECT * FROM range(1234)"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsAffected != 1234 {
		t.Errorf("rows affected = %d", res.RowsAffected)
	}
	res, err = a.Materialize(context.Background(), adapter.Materialization{
		Relation: rel("gold", "v"), Materialized: "view", SQL: "SELECT 1"})
	if err != nil {
		t.Fatal(err)
	}
	if res.RowsAffected != -1 {
		t.Errorf("view rows affected = %d", res.RowsAffected)
	}
}

func TestHooks(t *testing.T) {
	const audit = "INSERT INTO audit SELECT '%s', (SELECT count(*) FROM information_schema.tables WHERE table_name = 'h')"
	hook := func(phase string) string { return fmt.Sprintf(audit, phase) }
	tests := []struct {
		name         string
		materialized string
		incremental  bool
		m            adapter.Materialization
		wantErr      string
		wantLog      []string
		wantRows     []string // silver.h afterwards; nil: absent
	}{
		{
			name:     "hooks run around the build, in its transaction",
			m:        adapter.Materialization{Hooks: adapter.Hooks{BeforeBegin: []string{hook("before")}, PreHooks: []string{hook("pre")}, PostHooks: []string{hook("post"), "  "}, AfterCommit: []string{hook("after")}}},
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
			m:       adapter.Materialization{Hooks: adapter.Hooks{BeforeBegin: []string{hook("before")}, PreHooks: []string{hook("pre")}, PostHooks: []string{"INSERT INTO nowhere VALUES (1)"}}},
			wantErr: "post_hook 1 (INSERT INTO nowhere VALUES (1))",
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
			m:        adapter.Materialization{Hooks: adapter.Hooks{AfterCommit: []string{"INSERT INTO nowhere VALUES (1)"}}},
			wantErr:  "the relation was built, but post_hook 1",
			wantRows: []string{"1", "2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openTest(t, "")
			ctx := context.Background()
			if _, err := a.Exec(ctx, "CREATE TABLE audit (phase VARCHAR, n BIGINT)"); err != nil {
				t.Fatal(err)
			}
			m := tt.m
			m.Relation, m.Materialized, m.SQL = rel("silver", "h"), "table", "SELECT * FROM range(1, 3)"
			if tt.materialized != "" {
				m.Materialized = tt.materialized
			}
			if tt.incremental {
				if _, err := a.Exec(ctx, "CREATE SCHEMA silver; CREATE TABLE silver.h AS SELECT 0 AS range"); err != nil {
					t.Fatal(err)
				}
				m.Materialized, m.Incremental = "incremental", true
			}
			_, err := a.Materialize(ctx, m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if got := rowsOf(t, a, "SELECT * FROM audit ORDER BY ALL"); strings.Join(got, ",") != strings.Join(tt.wantLog, ",") {
				t.Errorf("audit = %q, want %q", got, tt.wantLog)
			}
			kind, _, _ := a.Describe(ctx, rel("silver", "h"))
			if tt.wantRows == nil {
				if kind != adapter.KindNone {
					t.Errorf("silver.h exists (%v) after a failed build", kind)
				}
				return
			}
			if got := rowsOf(t, a, "SELECT * FROM silver.h ORDER BY ALL"); strings.Join(got, ",") != strings.Join(tt.wantRows, ",") {
				t.Errorf("rows = %q, want %q", got, tt.wantRows)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	const long = "SELECT count(*) AS n FROM range(10000000000) a WHERE a.range % 7 = 3"
	tests := []struct {
		name string
		run  func(ctx context.Context, a *Adapter) error
	}{
		{"table", func(ctx context.Context, a *Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "table", SQL: long})
			return err
		}},
		{"incremental", func(ctx context.Context, a *Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "incremental", Incremental: true, SQL: long})
			return err
		}},
		{"pre hook", func(ctx context.Context, a *Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: rel("silver", "sales"), Materialized: "table", SQL: "SELECT 9 AS n", Hooks: adapter.Hooks{PreHooks: []string{long}}})
			return err
		}},
		{"query", func(ctx context.Context, a *Adapter) error {
			_, err := a.Query(ctx, long, 10)
			return err
		}},
		{"exec", func(ctx context.Context, a *Adapter) error {
			_, err := a.Exec(ctx, "CREATE TABLE big AS "+long)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openTest(t, filepath.Join(t.TempDir(), "w.duckdb"))
			if _, err := a.Materialize(context.Background(), adapter.Materialization{
				Relation: rel("silver", "sales"), Materialized: "table", SQL: "SELECT 1 AS n"}); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			err := tt.run(ctx, a)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if l := leftovers(t, a); len(l) > 0 {
				t.Errorf("temporary relations left: %v", l)
			}
			if got := rowsOf(t, a, "SELECT * FROM silver.sales"); strings.Join(got, ",") != "1" {
				t.Errorf("old table changed: %q", got)
			}
			// The pool stays usable after an interrupted statement.
			if _, err := a.Materialize(context.Background(), adapter.Materialization{
				Relation: rel("silver", "sales"), Materialized: "table", SQL: "SELECT 2 AS n"}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestQueryValues(t *testing.T) {
	a := openTest(t, "")
	res, err := a.Query(context.Background(), `SELECT
		1::TINYINT AS i8, 2::INTEGER AS i32, 3::BIGINT AS i64, 4::UBIGINT AS u64,
		18446744073709551615::UBIGINT AS u64max,
		170141183460469231731687303715884105727::HUGEINT AS huge, 5::HUGEINT AS small_huge,
		1.25::DECIMAL(10,2) AS dec, 0.1::FLOAT AS f32, 0.5::DOUBLE AS f64,
		DATE '2024-05-28' AS d, TIMESTAMP '2024-05-28 10:11:12' AS ts,
		TIMESTAMPTZ '2024-05-28 10:00:00+02' AS tstz, TIME '12:30:00' AS tm,
		INTERVAL '1 year 2 months 3 days 04:05:06.5' AS iv,
		'5a36e2e6-76e6-40a5-9104-be60b5f55bc1'::UUID AS u,
		'abc'::BLOB AS b, 'txt' AS s, true AS t, NULL AS n,
		[1, 2] AS l, {'a': 1.5::DECIMAL(3,1), 'b': 'x'} AS st, MAP {'k': 1} AS m, '{"j": [1]}'::JSON AS j`, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"i8": int64(1), "i32": int64(2), "i64": int64(3), "u64": int64(4),
		"u64max": "18446744073709551615", "huge": "170141183460469231731687303715884105727", "small_huge": int64(5),
		"dec": 1.25, "f32": 0.1, "f64": 0.5,
		"d":    time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC),
		"ts":   time.Date(2024, 5, 28, 10, 11, 12, 0, time.UTC),
		"tstz": time.Date(2024, 5, 28, 8, 0, 0, 0, time.UTC),
		"tm":   "12:30:00", "iv": "1 year 2 months 3 days 04:05:06.5",
		"u": "5a36e2e6-76e6-40a5-9104-be60b5f55bc1", "b": "[97 98 99]", "s": "txt", "t": true, "n": nil,
		"l": "[1 2]", "st": "map[a:1.5 b:x]", "m": "map[k:1]", "j": "map[j:[1]]",
	}
	for i, c := range res.Columns {
		got := res.Rows[0][i]
		w := want[c.Name]
		switch w := w.(type) {
		case string:
			if s := fmt.Sprint(got); s != w {
				t.Errorf("%s (%s) = %#v, want %s", c.Name, c.Type, got, w)
			}
			if _, isStr := got.(string); (c.Name == "huge" || c.Name == "u" || c.Name == "iv") && !isStr {
				t.Errorf("%s is %T, want string", c.Name, got)
			}
		case time.Time:
			g, ok := got.(time.Time)
			if !ok || !g.Equal(w) || g.Location() != time.UTC {
				t.Errorf("%s = %#v, want %v in UTC", c.Name, got, w)
			}
		default:
			if got != w {
				t.Errorf("%s (%s) = %#v (%T), want %#v (%T)", c.Name, c.Type, got, got, w, w)
			}
		}
	}
	if res.Columns[7].Type != "DECIMAL(10,2)" {
		t.Errorf("decimal column type = %q", res.Columns[7].Type)
	}
}

func TestQueryLimit(t *testing.T) {
	a := openTest(t, "")
	tests := []struct {
		sql   string
		limit int
		want  int
	}{
		{"SELECT * FROM range(100)", 5, 5},
		{"-- comment\nWITH x AS (SELECT * FROM range(10)) SELECT * FROM x;", 3, 3},
		{"SELECT * FROM range(100) -- trailing comment", 7, 7},
		{"FROM range(4)", 0, 4},
		{"SHOW TABLES", 10, 0},
		{"DESCRIBE SELECT 1 AS x", 10, 1},
	}
	for _, tt := range tests {
		res, err := a.Query(context.Background(), tt.sql, tt.limit)
		if err != nil {
			t.Fatalf("%q: %v", tt.sql, err)
		}
		if len(res.Rows) != tt.want {
			t.Errorf("%q limit %d: %d rows, want %d", tt.sql, tt.limit, len(res.Rows), tt.want)
		}
	}
}

func TestRelations(t *testing.T) {
	a := openTest(t, "")
	ctx := context.Background()
	var stmts []string
	var mu sync.Mutex
	a.onStmt = func(s string) { mu.Lock(); stmts = append(stmts, s); mu.Unlock() }

	if err := a.CreateTableAs(ctx, rel("test_failures", "t1"), "SELECT 1 AS a, 'x' AS b"); err != nil {
		t.Fatal(err)
	}
	kind, cols, err := a.Describe(ctx, rel("TEST_FAILURES", "T1"))
	if err != nil {
		t.Fatal(err)
	}
	if kind != adapter.KindTable || fmt.Sprint(cols) != "[{a INTEGER} {b VARCHAR}]" {
		t.Errorf("describe = %s %v", kind, cols)
	}
	// CreateTableAs replaces tables and views alike.
	if _, err := a.Exec(ctx, "CREATE VIEW test_failures.v1 AS SELECT 1 AS a"); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateTableAs(ctx, rel("test_failures", "v1"), "SELECT 2.5::DECIMAL(4,1) AS a"); err != nil {
		t.Fatal(err)
	}
	if kind, cols, _ := a.Describe(ctx, rel("test_failures", "v1")); kind != adapter.KindTable || cols[0].Type != "DECIMAL(4,1)" {
		t.Errorf("v1 = %s %v", kind, cols)
	}
	n, err := a.Exec(ctx, "INSERT INTO test_failures.t1 VALUES (2, 'y'), (3, 'z')")
	if err != nil || n != 2 {
		t.Errorf("exec = %d, %v", n, err)
	}
	for _, r := range []adapter.Relation{rel("test_failures", "t1"), rel("test_failures", "v1"), rel("test_failures", "none"), rel("nope", "none")} {
		if err := a.DropRelation(ctx, r); err != nil {
			t.Errorf("drop %s: %v", r, err)
		}
		if kind, _, _ := a.Describe(ctx, r); kind != adapter.KindNone {
			t.Errorf("%s still exists", r)
		}
	}
	if kind, cols, err := a.Describe(ctx, rel("main", "missing")); kind != adapter.KindNone || cols != nil || err != nil {
		t.Errorf("missing relation: %v %v %v", kind, cols, err)
	}
	if got := a.Dialect().RelationSQL(rel(`we"ird`, "x y")); got != `"we""ird"."x y"` {
		t.Errorf("RelationSQL = %s", got)
	}
	release, err := a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	release()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(stmts, "\n"), "INSERT INTO test_failures.t1") {
		t.Errorf("OnStatement missed statements: %q", stmts)
	}
}

func TestConcurrentBuilds(t *testing.T) {
	a := openTest(t, filepath.Join(t.TempDir(), "w.duckdb"))
	ctx := context.Background()
	root := t.TempDir()
	csvPath := filepath.Join(root, "seeds", "s.csv")
	if err := os.MkdirAll(filepath.Dir(csvPath), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(csvPath, []byte("id,v\n1,a\n2,b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for round := range 2 {
		for i := range 12 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				schema := []string{"bronze", "silver", "gold"}[i%3]
				m := adapter.Materialization{Relation: rel(schema, fmt.Sprintf("m%d", i)), Materialized: []string{"table", "view", "incremental"}[(i+round)%3],
					SQL: fmt.Sprintf("SELECT %d AS id, range AS r FROM range(1000)", i), Incremental: round > 0, UniqueKey: []string{"r"}}
				if _, err := a.Materialize(ctx, m); err != nil {
					errs <- err
				}
				s := adapter.Seed{Relation: rel("seeds", fmt.Sprintf("s%d", i)), Root: root, Files: []string{csvPath}, Format: "csv"}
				if _, err := a.LoadSeed(ctx, s); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := rowsOf(t, a, "SELECT count(*) FROM information_schema.tables WHERE table_schema IN ('bronze', 'silver', 'gold', 'seeds')"); got[0] != "24" {
		t.Errorf("relations = %s, want 24", got[0])
	}
}

func TestLoadSeed(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := openTest(t, filepath.Join(t.TempDir(), "w.duckdb"))
	ctx := context.Background()

	good := write("seeds/invoices.csv", "id,amount,day\n1,10.5,2024-05-28\n2,,2024-05-29\n")
	bad := write("seeds/bad/invoices.csv", "id,amount,day\n1,10.5,2024-05-28\n2,3\n")
	jsonArr := write("seeds/arr.json", `[{"a": 1}, {"a": 2}]`)
	jsonLines := write("seeds/lines.json", "{\"a\": 3}\n{\"a\": 4}\n")
	h13 := write("seeds/chatbot/hour=13.json", `[{"msg": "hi"}]`)
	h14 := write("seeds/chatbot/hour=14.json", `[{"msg": "yo"}, {"msg": "ok"}]`)
	pq := filepath.Join(root, "seeds", "p.parquet")
	if _, err := a.Exec(ctx, "COPY (SELECT range AS id, 'p' || range AS name FROM range(3)) TO '"+pq+"' (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	xl := filepath.Join(root, "seeds", "book.xlsx")
	f := excelize.NewFile()
	for i, row := range [][]any{{"k", "amount"}, {"a", 1.5}, {"b", nil}, {"c", 3}} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(xl); err != nil {
		t.Fatal(err)
	}
	f.Close()

	seed := func(name, format string, files ...string) adapter.Seed {
		return adapter.Seed{Relation: rel("seeds", name), Root: root, Files: files, Format: format}
	}
	tests := []struct {
		name    string
		seed    adapter.Seed
		wantErr string
		query   string
		rows    []string
		msg     string
	}{
		{name: "csv", seed: seed("invoices", "csv", good), query: "SELECT id, amount, day::VARCHAR FROM seeds.invoices ORDER BY id",
			rows: []string{"1|10.5|2024-05-28", "2|NULL|2024-05-29"}, msg: "INSERT 2"},
		{name: "csv column_types", seed: func() adapter.Seed {
			s := seed("invoices", "csv", good)
			s.ColumnTypes = map[string]string{"amount": "decimal(12,2)"}
			return s
		}(), query: "SELECT data_type FROM information_schema.columns WHERE table_name = 'invoices' AND column_name = 'amount'", rows: []string{"DECIMAL(12,2)"}},
		{name: "malformed csv keeps the old table", seed: seed("invoices", "csv", bad),
			wantErr: `seed seeds.invoices: seeds/bad/invoices.csv:3: expected 3 fields, found 2: "2,3"`,
			query:   "SELECT count(*) FROM seeds.invoices", rows: []string{"2"}},
		{name: "json array", seed: seed("arr", "json", jsonArr), query: "SELECT * FROM seeds.arr ORDER BY ALL", rows: []string{"1", "2"}},
		{name: "json lines", seed: seed("lines", "json", jsonLines), query: "SELECT * FROM seeds.lines ORDER BY ALL", rows: []string{"3", "4"}, msg: "INSERT 2"},
		{name: "parquet", seed: seed("p", "parquet", pq), query: "SELECT * FROM seeds.p ORDER BY ALL", rows: []string{"0|p0", "1|p1", "2|p2"}},
		{name: "xlsx", seed: seed("book", "xlsx", xl), query: "SELECT * FROM seeds.book ORDER BY ALL", rows: []string{"a|1.5", "b|NULL", "c|3"}},
		{name: "combined with _source_file", seed: func() adapter.Seed {
			s := seed("chatbot", "json", h13, h14)
			s.SourceFileColumn = true
			return s
		}(), query: "SELECT msg, _source_file FROM seeds.chatbot ORDER BY ALL",
			rows: []string{"hi|seeds/chatbot/hour=13.json", "ok|seeds/chatbot/hour=14.json", "yo|seeds/chatbot/hour=14.json"}, msg: "INSERT 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := a.LoadSeed(ctx, tt.seed)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.msg != "" && res.Message != tt.msg {
				t.Errorf("message %q, want %q", res.Message, tt.msg)
			}
			if tt.wantErr == "" {
				// SeedColumns describes the files as LoadSeed typed them.
				_, loaded, err := a.Describe(ctx, tt.seed.Relation)
				if err != nil {
					t.Fatal(err)
				}
				described, err := a.SeedColumns(ctx, tt.seed)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(described, loaded) || len(loaded) == 0 {
					t.Errorf("SeedColumns %v, loaded table %v", described, loaded)
				}
			}
			if got := rowsOf(t, a, tt.query); strings.Join(got, "\n") != strings.Join(tt.rows, "\n") {
				t.Errorf("rows\n got %q\nwant %q", got, tt.rows)
			}
			if l := leftovers(t, a); len(l) > 0 {
				t.Errorf("temporary relations left: %v", l)
			}
		})
	}
}

// TestLockHelper is not a test: TestLocked runs the test binary with
// INGOT_TEST_DUCKDB_HOLD set, and this holds the database open until its
// stdin closes, playing the other process.
func TestLockHelper(t *testing.T) {
	path := os.Getenv("INGOT_TEST_DUCKDB_HOLD")
	if path == "" {
		t.Skip("helper process for TestLocked")
	}
	a, err := Open(context.Background(), adapter.Target{Options: Options{Path: path}})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer a.Close()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelper$")
	cmd.Env = append(os.Environ(), "INGOT_TEST_DUCKDB_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q, %v", line, err)
	}

	_, err = Open(context.Background(), adapter.Target{Options: Options{Path: path}})
	if err == nil {
		t.Fatal("opened a file another process holds")
	}
	t.Log(err)
	if !errors.Is(err, adapter.ErrLocked) {
		t.Errorf("error %v is not adapter.ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.PID != fmt.Sprint(cmd.Process.Pid) {
		t.Errorf("error %#v does not carry the holder's PID %d", err, cmd.Process.Pid)
	}
	for _, want := range []string{path, fmt.Sprintf("PID %d", cmd.Process.Pid), "wait for that process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLeadingKeyword(t *testing.T) {
	tests := map[string]string{
		"select 1":                   "select",
		"  \n-- c\n/* x */ WITH a":   "with",
		"(select 1)":                 "(",
		"/* unterminated":            "",
		"-- only a comment":          "",
		"":                           "",
		"insert into t values (1)":   "insert",
		"/* a */ /* b */from t":      "from",
		"\tValues (1)":               "values",
		"--x\r\n  Describe select 1": "describe",
	}
	for in, want := range tests {
		if got := leadingKeyword(in); got != want {
			t.Errorf("leadingKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzLeadingKeyword(f *testing.F) {
	for _, s := range []string{"select 1", "-- c\nwith", "/**/(", "/*", "--", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		kw := leadingKeyword(q)
		if kw != "(" && strings.Trim(kw, "abcdefghijklmnopqrstuvwxyz_") != "" {
			t.Fatalf("leadingKeyword(%q) = %q", q, kw)
		}
		if kw != "" && kw != "(" && !strings.Contains(strings.ToLower(q), kw) {
			t.Fatalf("leadingKeyword(%q) = %q, not in the input", q, kw)
		}
	})
}

func TestBrokenView(t *testing.T) {
	a := openTest(t, "")
	ctx := context.Background()
	for _, q := range []string{"CREATE TABLE src AS SELECT 1 AS x", "CREATE SCHEMA bronze", "CREATE VIEW bronze.v AS SELECT * FROM src", "DROP TABLE src"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	kind, _, err := a.Describe(ctx, rel("bronze", "v"))
	if kind != adapter.KindView || err == nil {
		t.Errorf("describe broken view = %q, %v; want view and the binding error", kind, err)
	}
	if _, err := a.Materialize(ctx, adapter.Materialization{Relation: rel("bronze", "v"), Materialized: "table", SQL: "SELECT 2 AS x"}); err != nil {
		t.Fatalf("replacing a broken view: %v", err)
	}
	if got := rowsOf(t, a, "SELECT * FROM bronze.v"); strings.Join(got, ",") != "2" {
		t.Errorf("rows = %q", got)
	}
}

// An error's LINE is the line of the model's SQL (as written to the
// compiled SQL file), whatever statement embeds it.
func TestErrorLineIsTheModelsLine(t *testing.T) {
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := openTest(t, "")
			ctx := context.Background()
			r := rel("gold", "m")
			if _, err := a.Materialize(ctx, adapter.Materialization{Relation: r, Materialized: "table", SQL: good}); err != nil {
				t.Fatal(err)
			}
			m := tt.m
			m.Relation, m.SQL = r, bad
			_, err := a.Materialize(ctx, m)
			if err == nil || !strings.Contains(err.Error(), "LINE 4:") {
				t.Errorf("got %v, want an error at LINE 4 (no_such_col)", err)
			}
			var qe *adapter.QueryLineError
			if !errors.As(err, &qe) || qe.Line != 4 {
				t.Errorf("error %v does not carry line 4 as an adapter.QueryLineError", err)
			}
		})
	}
}
