package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func TestTmpName(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	tests := []struct{ name, want string }{
		{"x", "x__ingot_tmp"},
		{strings.Repeat("a", 52), strings.Repeat("a", 52) + "__ingot_tmp"},
	}
	for _, tt := range tests {
		if got := tmpName(tt.name); got != tt.want {
			t.Errorf("tmpName(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	a, b := tmpName(long), tmpName(long+"x")
	if len(a) > maxIdent || len(b) > maxIdent || a == b || !strings.HasSuffix(a, tmpSuffix) {
		t.Errorf("long names: %q (%d), %q (%d)", a, len(a), b, len(b))
	}
	if !strings.HasPrefix(a, "é") || strings.ContainsRune(a, '\uFFFD') {
		t.Errorf("long name cut badly: %q", a)
	}
}

func TestMaterializeTableAndView(t *testing.T) {
	e := newEnv(t)
	r := rel("gold", "sales")
	res := e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 1 as id, 'a' as name union all select 2, 'b';\n"})
	if res.RowsAffected != 2 || res.Message != "CREATE TABLE (2 rows)" {
		t.Errorf("result = %+v", res)
	}
	e.wantRows(`select * from gold.sales`, "1|a", "2|b")

	// Rebuild with other columns; a comment as the last line must not
	// swallow the closing parenthesis.
	e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 3 as other -- trailing comment"})
	e.wantRows(`select * from gold.sales`, "3")

	// A view replaces the table, and a view with different columns
	// replaces the view (CREATE OR REPLACE VIEW could not).
	res = e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "view", SQL: "select 4 as x"})
	if res.RowsAffected != -1 || res.Message != "CREATE VIEW" {
		t.Errorf("view result = %+v", res)
	}
	e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "view", SQL: "select 'five' as y, 5 as z"})
	e.wantRows(`select * from gold.sales`, "five|5")
	if k, _, _ := e.a.Describe(context.Background(), r); k != adapter.KindView {
		t.Errorf("kind = %q", k)
	}
	// And a table replaces the view.
	e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 6 as x"})
	if k, _, _ := e.a.Describe(context.Background(), r); k != adapter.KindTable {
		t.Errorf("kind = %q", k)
	}
	if l := e.leftovers(); len(l) > 0 {
		t.Errorf("leftovers: %v", l)
	}
}

func TestMaterializeErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		m    adapter.Materialization
		want string
	}{
		{"unknown materialization", adapter.Materialization{Relation: rel("s", "m"), Materialized: "snapshot", SQL: "select 1"}, "unknown materialization"},
		{"no schema", adapter.Materialization{Relation: rel("", "m"), Materialized: "table", SQL: "select 1"}, "schema"},
		{"bad strategy", adapter.Materialization{Relation: rel("s", "m"), Materialized: "incremental", Strategy: "upsert", SQL: "select 1"}, "unknown incremental_strategy"},
		{"merge without key", adapter.Materialization{Relation: rel("s", "m"), Materialized: "incremental", Strategy: "merge", SQL: "select 1"}, "needs a unique_key"},
		{"bad on_schema_change", adapter.Materialization{Relation: rel("s", "m"), Materialized: "incremental", OnSchemaChange: "sync", SQL: "select 1"}, "unknown on_schema_change"},
		{"sql error", adapter.Materialization{Relation: rel("s", "m"), Materialized: "table", SQL: "select * from nowhere"}, `s.m (table): ERROR: relation "nowhere" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.materialize(tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAtomicReplacement(t *testing.T) {
	for _, kind := range []string{"table", "view", "incremental"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			r := rel("silver", "orders")
			e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: kind, SQL: "select 1 as id"})

			failing := []struct {
				name string
				sql  string
			}{
				{"runtime error", "select 1 / (id - id) as id from (values (1)) v(id)"},
				{"syntax error", "select from where"},
			}
			for _, f := range failing {
				if kind == "view" && f.name == "runtime error" {
					continue // a view's query runs only when read
				}
				m := adapter.Materialization{Relation: r, Materialized: kind, SQL: f.sql, Incremental: kind == "incremental"}
				if _, err := e.materialize(m); err == nil {
					t.Fatalf("%s: rebuild succeeded", f.name)
				}
				e.wantRows(`select * from silver.orders`, "1")
			}
			if l := e.leftovers(); len(l) > 0 {
				t.Errorf("leftovers: %v", l)
			}
		})
	}
}

func TestCancelBuild(t *testing.T) {
	for _, kind := range []string{"table", "incremental"} {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			r := rel("gold", "slow")
			e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 1 as id"})

			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			_, err := e.a.Materialize(ctx, adapter.Materialization{
				Relation: r, Materialized: kind, Incremental: kind == "incremental",
				SQL: "select 2 as id from (select pg_sleep(30)) s",
			})
			if !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "canceling statement") {
				t.Fatalf("err = %v, want a cancellation", err)
			}
			e.wantRows(`select * from gold.slow`, "1")
			if l := e.leftovers(); len(l) > 0 {
				t.Errorf("leftovers: %v", l)
			}
			noSleeper(t, e)
		})
	}
}

// noSleeper waits until the server runs no pg_sleep of this database: a
// cancelled statement must stop on the server, not only in the client.
func noSleeper(t *testing.T, e *env) {
	t.Helper()
	waitFor(t, func() bool {
		return len(e.rows(`select pid from pg_stat_activity where datname = current_database()
			and query like '%pg_sleep(30)%' and pid <> pg_backend_pid() and state = 'active'`)) == 0
	})
}

func TestDependentViews(t *testing.T) {
	e := newEnv(t)
	r := rel("bronze", "customers")
	e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 1 as id, 'ann' as name, 'x' as extra"})
	// Views of other models, not part of this run, on top of it: a view of
	// a view, an option, a comment and a grant that must all survive.
	e.exec(`create schema other;
		create view other.names with (security_barrier=true) as select id, upper(name) as name from bronze.customers;
		create view other.count as select count(*) as n from other.names;
		comment on view other.names is 'it''s documented';
		grant select on other.names to public;
		grant select, update on bronze.customers to public;
		comment on table bronze.customers is 'customers';`)

	res := e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select * from (values (1, 'ann'), (2, 'bob')) v(id, name)"})
	if res.Message != "CREATE TABLE (2 rows)" {
		t.Errorf("message = %q", res.Message)
	}
	e.wantRows(`select * from other.names`, "1|ANN", "2|BOB")
	e.wantRows(`select * from other.count`, "2")
	e.wantRows(`select obj_description('other.names'::regclass, 'pg_class'), obj_description('bronze.customers'::regclass, 'pg_class')`,
		"it's documented|customers")
	e.wantRows(`select c.reloptions::text from pg_class c where oid = 'other.names'::regclass`, "{security_barrier=true}")
	e.wantRows(`select table_schema || '.' || table_name || ':' || privilege_type || ':' || is_grantable from information_schema.role_table_grants
		where grantee = 'PUBLIC' and table_schema in ('other', 'bronze')`, "other.names:SELECT:NO", "bronze.customers:SELECT:NO", "bronze.customers:UPDATE:NO")

	// The same for a view model under the views.
	e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "view", SQL: "select 3 as id, 'cy' as name"})
	e.wantRows(`select * from other.count`, "1")

	// A rebuild without a column the views use: they can not be kept, are
	// dropped and named, and the model is built.
	res = e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 1 as id"})
	if !strings.Contains(res.Message, "other.names") || !strings.Contains(res.Message, "other.count") {
		t.Errorf("message does not name the dropped views: %q", res.Message)
	}
	e.wantRows(`select * from bronze.customers`, "1")
	e.wantRows(`select relname from pg_class where relnamespace = 'other'::regnamespace`)

	// A dependent that is not a view stops the rebuild; the old table stays.
	e.exec(`create materialized view other.snap as select * from bronze.customers`)
	_, err := e.materialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: "select 9 as id"})
	if err == nil || !strings.Contains(err.Error(), "depends on") {
		t.Errorf("err = %v, want PostgreSQL's dependency error with its detail", err)
	}
	e.wantRows(`select * from bronze.customers`, "1")
}

func TestIncremental(t *testing.T) {
	type step struct {
		sql  string
		want []string
	}
	tests := []struct {
		name     string
		strategy string
		key      []string
		first    string
		steps    []step
		msg      string
	}{
		{
			name: "append", first: "select 1 as id, 'a' as v",
			steps: []step{{"select 1 as id, 'b' as v", []string{"1|a", "1|b"}}},
			msg:   "INSERT 1",
		},
		{
			name: "merge", key: []string{"id"},
			first: "select * from (values (1, 'a'), (2, 'b')) t(id, v)",
			steps: []step{{"select * from (values (2, 'B'), (3, 'c')) t(id, v)", []string{"1|a", "2|B", "3|c"}}},
			msg:   "MERGE 2",
		},
		{
			name: "merge composite key with NULLs", key: []string{"k1", "k2"},
			first: "select * from (values (1, null::int, 'a'), (1, 2, 'b'), (null::int, null::int, 'n')) t(k1, k2, v)",
			steps: []step{
				{"select * from (values (1, null::int, 'A'), (null::int, null::int, 'N')) t(k1, k2, v)", []string{"1|NULL|A", "1|2|b", "NULL|NULL|N"}},
				{"select * from (values (1, 2, 'B')) t(k1, k2, v)", []string{"1|NULL|A", "1|2|B", "NULL|NULL|N"}},
			},
			msg: "MERGE 1",
		},
		{
			name: "merge key only", key: []string{"id"},
			first: "select 1 as id",
			steps: []step{{"select * from (values (1), (2)) t(id)", []string{"1", "2"}}},
			msg:   "MERGE 2",
		},
		{
			name: "delete+insert", strategy: "delete+insert", key: []string{"day"},
			first: "select * from (values (1, 'a'), (1, 'b'), (2, 'c')) t(day, v)",
			steps: []step{{"select * from (values (1, 'x'), (3, 'y')) t(day, v)", []string{"1|x", "2|c", "3|y"}}},
			msg:   "DELETE 2, INSERT 2",
		},
		{
			name: "delete+insert with NULL key", strategy: "delete+insert", key: []string{"day"},
			first: "select * from (values (null::int, 'a'), (2, 'c')) t(day, v)",
			steps: []step{{"select * from (values (null::int, 'x')) t(day, v)", []string{"NULL|x", "2|c"}}},
			msg:   "DELETE 1, INSERT 1",
		},
	}
	for _, pre15 := range []bool{false, true} {
		for _, tt := range tests {
			name := tt.name
			if pre15 {
				if tt.key == nil || tt.strategy != "" {
					continue
				}
				name += " without MERGE"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t)
				if pre15 {
					e.a.serverVersionNum = 140000
				}
				r := rel("gold", "inc")
				m := adapter.Materialization{Relation: r, Materialized: "incremental", Strategy: tt.strategy, UniqueKey: tt.key, SQL: tt.first}
				e.mustMaterialize(m)
				var res adapter.Result
				for _, s := range tt.steps {
					m.SQL, m.Incremental = s.sql, true
					res = e.mustMaterialize(m)
					e.wantRows(`select * from gold.inc`, s.want...)
				}
				if res.Message != tt.msg {
					t.Errorf("message %q, want %q", res.Message, tt.msg)
				}
				if l := e.leftovers(); len(l) > 0 {
					t.Errorf("leftovers: %v", l)
				}
				if pre15 && len(e.sent.matching("MERGE INTO")) > 0 {
					t.Errorf("MERGE sent to a server before 15")
				}
			})
		}
	}
}

func TestIncrementalKeyMatchingUsesEquality(t *testing.T) {
	// Without NULL keys in the new rows, plain "=" is exact and lets the
	// planner use hash joins and indexes.
	e := newEnv(t)
	m := adapter.Materialization{Relation: rel("s", "t"), Materialized: "incremental", UniqueKey: []string{"id"}, SQL: "select 1 as id"}
	e.mustMaterialize(m)
	m.Incremental = true
	e.sent.reset()
	e.mustMaterialize(m)
	merges := e.sent.matching("MERGE INTO")
	if len(merges) != 1 || !strings.Contains(merges[0], `t."id" = s."id"`) {
		t.Errorf("merge statements: %q", merges)
	}
}

func TestOnSchemaChange(t *testing.T) {
	tests := []struct {
		mode    string
		wantErr string
		want    []string
		cols    string
	}{
		{"ignore", "", []string{"1|a", "2|b"}, "id,v"},
		{"", "", []string{"1|a", "2|b"}, "id,v"},
		{"fail", "new columns extra; missing columns v", []string{"1|a"}, "id,v"},
		{"append_new_columns", "", []string{"1|a|NULL", "2|NULL|x"}, "id,v,extra"},
	}
	for _, tt := range tests {
		t.Run("mode "+tt.mode, func(t *testing.T) {
			e := newEnv(t)
			r := rel("gold", "inc")
			m := adapter.Materialization{Relation: r, Materialized: "incremental", OnSchemaChange: tt.mode, SQL: "select 1 as id, 'a' as v"}
			e.mustMaterialize(m)
			m.Incremental = true
			m.SQL = "select 2 as id, 'x' as extra"
			if tt.mode == "ignore" || tt.mode == "" {
				m.SQL = "select 2 as id, 'b' as v, 'x' as extra"
			}
			res, err := e.materialize(m)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			e.wantRows(`select * from gold.inc`, tt.want...)
			e.wantRows(`select string_agg(attname, ',' order by attnum) from pg_attribute where attrelid = 'gold.inc'::regclass and attnum > 0`, tt.cols)
			if tt.mode == "append_new_columns" && !strings.Contains(res.Message, "added columns extra") {
				t.Errorf("message %q does not report the new column", res.Message)
			}
		})
	}
}

func TestHooks(t *testing.T) {
	e := newEnv(t)
	r := rel("gold", "hooked")
	res := e.mustMaterialize(adapter.Materialization{
		Relation: r, Materialized: "table",
		// The pre-hook's session setting is visible to the build: same session.
		SQL: "select current_setting('ingot.hook_value') as v",
		Hooks: adapter.Hooks{
			PreHooks:  []string{"set ingot.hook_value = 'from pre-hook'", " "},
			PostHooks: []string{"create table gold.audit as select count(*) as n from gold.hooked"},
		},
	})
	if res.RowsAffected != 1 {
		t.Errorf("rows = %d", res.RowsAffected)
	}
	e.wantRows(`select * from gold.hooked`, "from pre-hook")
	e.wantRows(`select * from gold.audit`, "1")

	_, err := e.materialize(adapter.Materialization{
		Relation: r, Materialized: "table", SQL: "select 'new' as v",
		Hooks: adapter.Hooks{PreHooks: []string{"select * from no_such_table"}},
	})
	if err == nil || !strings.Contains(err.Error(), "pre_hook 1 (select * from no_such_table)") {
		t.Errorf("err = %v", err)
	}
	e.wantRows(`select * from gold.hooked`, "from pre-hook")

	// A failing post-hook rolls the build back, pre-hooks included.
	_, err = e.materialize(adapter.Materialization{
		Relation: r, Materialized: "table", SQL: "select 'new' as v",
		Hooks: adapter.Hooks{PreHooks: []string{"create table gold.pre_hook_ran (x int)"}, PostHooks: []string{"select 1/0"}},
	})
	if err == nil || !strings.Contains(err.Error(), "post_hook 1") || strings.Contains(err.Error(), "was built") {
		t.Errorf("err = %v", err)
	}
	e.wantRows(`select * from gold.hooked`, "from pre-hook")
	e.wantRows(`select count(*) from pg_tables where tablename = 'pre_hook_ran'`, "0")

	// Hooks with transaction: false run outside it: VACUUM refuses a
	// transaction block. One failing after the commit leaves the new table.
	_, err = e.materialize(adapter.Materialization{
		Relation: r, Materialized: "table", SQL: "select 'newer' as v",
		Hooks: adapter.Hooks{BeforeBegin: []string{"vacuum gold.audit"}, AfterCommit: []string{"vacuum gold.hooked", "select 1/0"}},
	})
	if err == nil || !strings.Contains(err.Error(), "the relation was built, but post_hook 2") {
		t.Errorf("err = %v", err)
	}
	e.wantRows(`select * from gold.hooked`, "newer")

	// VACUUM inside the transaction fails, and the build with it.
	_, err = e.materialize(adapter.Materialization{
		Relation: r, Materialized: "table", SQL: "select 'newest' as v",
		Hooks: adapter.Hooks{PostHooks: []string{"vacuum gold.hooked"}},
	})
	if err == nil || !strings.Contains(err.Error(), "cannot run inside a transaction block") {
		t.Errorf("err = %v", err)
	}
	e.wantRows(`select * from gold.hooked`, "newer")
}

func TestPgDuckdb(t *testing.T) {
	tests := []struct {
		mode      string
		installed bool
		wantSet   bool
		wantInfo  string
		wantErr   string
	}{
		{"auto", false, false, "not installed", ""},
		{"", false, false, "not installed", ""},
		{"off", false, false, "not installed", ""},
		{"on", false, false, "", `pg_duckdb is "on" but the extension is not installed`},
		{"auto", true, true, "installed 0.3.1, in use", ""},
		{"on", true, true, "installed 0.3.1, in use", ""},
		{"off", true, false, "installed 0.3.1, not used (pg_duckdb: off)", ""},
		{"sometimes", false, false, "", "pg_duckdb must be auto, on or off"},
	}
	for _, tt := range tests {
		name := tt.mode
		if tt.installed {
			name += " installed"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if tt.installed {
				fakePgDuckdb(t, e)
			}
			sent := &statements{}
			tgt := adapter.Target{Name: "pg", Type: "postgres", OnStatement: sent.add, Options: Options{DSN: e.db.DSN, PgDuckdb: tt.mode}}
			a, err := Open(context.Background(), tgt)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if len(sent.matching("pg_extension")) == 0 {
				t.Errorf("no detection query sent")
			}
			info, err := a.Info(context.Background())
			if err != nil || info.Details["pg_duckdb"] != tt.wantInfo {
				t.Errorf("info = %v, %v; want pg_duckdb %q", info.Details, err, tt.wantInfo)
			}

			ctx := context.Background()
			build := func(m adapter.Materialization) {
				t.Helper()
				if _, err := a.Materialize(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			// The table records the setting its query ran under.
			probe := "select coalesce(nullif(current_setting('duckdb.force_execution', true), ''), 'unset') as force"
			table := adapter.Materialization{Relation: rel("gold", "t"), Materialized: "table", SQL: probe}
			inc := adapter.Materialization{Relation: rel("gold", "i"), Materialized: "incremental", SQL: probe}
			build(table)
			build(inc)
			inc.Incremental = true
			build(inc)
			build(adapter.Materialization{Relation: rel("gold", "v"), Materialized: "view", SQL: probe})

			want := "unset"
			if tt.wantSet {
				want = "true"
			}
			for _, q := range []string{`select distinct force from gold.t`, `select distinct force from gold.i`} {
				r, err := a.Query(ctx, q, 0)
				if err != nil {
					t.Fatal(err)
				}
				if got := format(r); len(got) != 1 || got[0] != want {
					t.Errorf("%s: %v, want %s", q, got, want)
				}
			}
			sets := sent.matching("duckdb.force_execution = true")
			if tt.wantSet {
				// One per table build and incremental run; none for the view.
				if len(sets) != 3 {
					t.Errorf("sent %d SET statements, want 3: %q", len(sets), sets)
				}
				for _, s := range sets {
					if s != forceExecutionSQL {
						t.Errorf("sent %q", s)
					}
				}
				assertFollowsBegin(t, sent.all())
			} else if len(sets) > 0 {
				t.Errorf("sent %q with pg_duckdb %s", sets, tt.mode)
			}
			// Outside a build the setting is not left behind.
			r, err := a.Query(ctx, probe, 0)
			if err != nil || format(r)[0] != "unset" {
				t.Errorf("setting leaked into the session: %v %v", r, err)
			}
		})
	}
}

// assertFollowsBegin checks that each SET LOCAL comes right after BEGIN:
// SET LOCAL outside a transaction would do nothing.
func assertFollowsBegin(t *testing.T, sent []string) {
	t.Helper()
	for i, s := range sent {
		if s == forceExecutionSQL && (i == 0 || !strings.EqualFold(sent[i-1], "begin")) {
			t.Errorf("%q not right after begin (after %q)", s, sent[max(i-1, 0)])
		}
	}
}

// fakePgDuckdb makes the test database look as if pg_duckdb were
// installed: a row in pg_extension, which is what ingot reads. The
// extension itself is not packaged for Debian, so it can not be installed
// for real here; SET duckdb.force_execution works anyway, since PostgreSQL
// accepts settings of not-loaded extensions as placeholders.
func fakePgDuckdb(t *testing.T, e *env) {
	t.Helper()
	_, err := e.a.Exec(context.Background(), `set allow_system_table_mods = on;
		insert into pg_catalog.pg_extension (oid, extname, extowner, extnamespace, extrelocatable, extversion)
		values ((select max(oid)::int + 1 from pg_catalog.pg_extension)::oid, 'pg_duckdb', 10, 'public'::regnamespace, false, '0.3.1');
		reset allow_system_table_mods`)
	if err != nil {
		t.Skipf("cannot fake the pg_duckdb extension (needs a superuser): %v", err)
	}
}

// An error's LINE is the line of the model's SQL (as written to the
// compiled SQL file), as on DuckDB.
func TestErrorLineIsTheModelsLine(t *testing.T) {
	e := newEnv(t)
	const good = "select 1 as id,\n  2 as b"
	const bad = "\nselect 1 as id,\n  2 as b,\n  no_such_col as c"
	tests := []struct {
		name string
		m    adapter.Materialization
	}{
		{"view", adapter.Materialization{Materialized: "view"}},
		{"table", adapter.Materialization{Materialized: "table"}},
		{"incremental append", adapter.Materialization{Materialized: "incremental", Incremental: true}},
		{"incremental merge", adapter.Materialization{Materialized: "incremental", Incremental: true, UniqueKey: []string{"id"}}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rel("gold", fmt.Sprintf("m%d", i))
			e.mustMaterialize(adapter.Materialization{Relation: r, Materialized: "table", SQL: good})
			m := tt.m
			m.Relation, m.SQL = r, bad
			_, err := e.a.Materialize(context.Background(), m)
			want := "LINE 4:   no_such_col as c\n" + strings.Repeat(" ", len("LINE 4:   ")) + "^"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want it to contain %q", err, want)
			}
			var qe *adapter.QueryLineError
			if !errors.As(err, &qe) || qe.Line != 4 {
				t.Errorf("error %v does not carry line 4 as an adapter.QueryLineError", err)
			}
		})
	}
	// A position outside the model's SQL leaves the error as it was.
	if got := atLine(errors.New("plain"), 3, "select 1"); got.Error() != "plain" {
		t.Errorf("atLine on a non-PostgreSQL error = %v", got)
	}
}
