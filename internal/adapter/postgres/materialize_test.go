package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/adaptertest"
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

// Before PostgreSQL 15 there is no MERGE: the merge strategy updates and
// inserts instead, with the same results (the conformance suite checks
// them with MERGE).
func TestIncrementalWithoutMerge(t *testing.T) {
	type step struct {
		sql  string
		want []string
	}
	tests := []struct {
		name  string
		key   []string
		first string
		steps []step
		msg   string
	}{
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.a.serverVersionNum = 140000
			r := rel("gold", "inc")
			m := adapter.Materialization{Relation: r, Materialized: "incremental", UniqueKey: tt.key, SQL: tt.first}
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
			if len(e.sent.Matching("MERGE INTO")) > 0 {
				t.Errorf("MERGE sent to a server before 15")
			}
		})
	}
}

func TestIncrementalKeyMatchingUsesEquality(t *testing.T) {
	// Without NULL keys in the new rows, plain "=" is exact and lets the
	// planner use hash joins and indexes.
	e := newEnv(t)
	m := adapter.Materialization{Relation: rel("s", "t"), Materialized: "incremental", UniqueKey: []string{"id"}, SQL: "select 1 as id"}
	e.mustMaterialize(m)
	m.Incremental = true
	e.sent.Reset()
	e.mustMaterialize(m)
	merges := e.sent.Matching("MERGE INTO")
	if len(merges) != 1 || !strings.Contains(merges[0], `t."id" = s."id"`) {
		t.Errorf("merge statements: %q", merges)
	}
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
			sent := &adaptertest.Statements{}
			tgt := testTarget(e.db.DSN)
			o := optionsOf(tgt)
			o.PgDuckdb = tt.mode
			tgt.Options, tgt.OnStatement = o, sent.Add
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
			if len(sent.Matching("pg_extension")) == 0 {
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
			sets := sent.Matching("duckdb.force_execution = true")
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
				assertFollowsBegin(t, sent.All())
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

// A position outside the model's SQL leaves the error as it was (the
// conformance suite checks errors inside it).
func TestAtLineLeavesOtherErrors(t *testing.T) {
	if got := atLine(errors.New("plain"), 3, "select 1"); got.Error() != "plain" {
		t.Errorf("atLine on a non-PostgreSQL error = %v", got)
	}
}
