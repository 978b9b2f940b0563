package postgres

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// statements records what an adapter sends.
type statements struct {
	mu   sync.Mutex
	list []string
}

func (s *statements) add(sql string) {
	s.mu.Lock()
	s.list = append(s.list, sql)
	s.mu.Unlock()
}

func (s *statements) reset() {
	s.mu.Lock()
	s.list = nil
	s.mu.Unlock()
}

func (s *statements) all() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.list...)
}

// matching returns the recorded statements containing sub.
func (s *statements) matching(sub string) []string {
	var out []string
	for _, st := range s.all() {
		if strings.Contains(st, sub) {
			out = append(out, st)
		}
	}
	return out
}

// env is an adapter on a fresh database.
type env struct {
	t    *testing.T
	db   *pgtest.Database
	a    *Adapter
	sent *statements
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	e := &env{t: t, db: db, sent: &statements{}}
	e.a = e.open(adapter.Target{})
	return e
}

// open opens another adapter on the env's database; tgt's DSN is filled in.
func (e *env) open(tgt adapter.Target) *Adapter {
	e.t.Helper()
	o := optionsOf(tgt)
	o.DSN = e.db.DSN
	tgt.Name, tgt.Type, tgt.Options = "test", "postgres", o
	if tgt.OnStatement == nil {
		tgt.OnStatement = e.sent.add
	}
	if tgt.Threads == 0 {
		tgt.Threads = 4
	}
	a, err := Open(context.Background(), tgt)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { a.Close() })
	return a
}

func (e *env) exec(sql string) {
	e.t.Helper()
	if _, err := e.a.Exec(context.Background(), sql); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
}

// rows returns the result of sql formatted one row per string, sorted.
func (e *env) rows(sql string) []string {
	e.t.Helper()
	r, err := e.a.Query(context.Background(), sql, 0)
	if err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return format(r)
}

func format(r *adapter.Rows) []string {
	out := []string{}
	for _, row := range r.Rows {
		parts := make([]string, len(row))
		for i, v := range row {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	sort.Strings(out)
	return out
}

func (e *env) wantRows(sql string, want ...string) {
	e.t.Helper()
	if want == nil {
		want = []string{}
	}
	sort.Strings(want)
	if got := e.rows(sql); !reflect.DeepEqual(got, want) {
		e.t.Errorf("%s:\n got %q\nwant %q", sql, got, want)
	}
}

func (e *env) materialize(m adapter.Materialization) (adapter.Result, error) {
	return e.a.Materialize(context.Background(), m)
}

func (e *env) mustMaterialize(m adapter.Materialization) adapter.Result {
	e.t.Helper()
	res, err := e.materialize(m)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// leftovers lists relations whose name shows an unfinished build.
func (e *env) leftovers() []string {
	e.t.Helper()
	return e.rows(`select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
		where c.relname like '%ingot_tmp%' or c.relname like 'ingot_new_rows%'`)
}

func rel(schema, name string) adapter.Relation { return adapter.Relation{Schema: schema, Name: name} }
