package lineage

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
)

// parents of the shape tests: three tables and a source whose columns are
// not known.
var shapeParents = map[string]string{
	"s.orders":    "id INTEGER, customer_id INTEGER, amount DECIMAL(10,2), status VARCHAR, ordered_at TIMESTAMP, tags VARCHAR[], addr STRUCT(city VARCHAR, zip VARCHAR)",
	"s.customers": "id INTEGER, name VARCHAR, region VARCHAR",
	"s.regions":   "region VARCHAR, manager VARCHAR",
}

func shapeWalker(t *testing.T) *walker {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	w := &walker{ctx: context.Background(), db: db, rels: map[string]*rel{}, ephemeral: map[string]*rel{}, schemas: map[string]bool{}}
	for full, defs := range shapeParents {
		schema, name, _ := strings.Cut(full, ".")
		n := &compile.Node{ID: "model." + full, Relation: adapter.Relation{Schema: schema, Name: name}}
		r := &rel{name: name, node: n.ID, known: true}
		for _, d := range splitDefs(defs) {
			cname, typ, _ := strings.Cut(d, " ")
			r.cols = append(r.cols, col{name: cname, typ: typ, from: []Edge{{Node: n.ID, Column: cname}}})
		}
		w.register(n, r)
	}
	w.rels[relKey("s", "raw_events")] = &rel{name: "raw_events", node: "source.erp.raw_events", why: "source.erp.raw_events declares no columns (list them under its columns: in yml)"}
	return w
}

// splitDefs splits "a INT, b STRUCT(x INT, y INT)" at top-level commas.
func splitDefs(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// lines renders traced columns as "name <- table.col, ..." with " !" when
// there is a note (the note's start is checked where it matters).
func lines(cols []col) []string {
	var out []string
	for _, c := range cols {
		var from []string
		for _, e := range c.from {
			from = append(from, strings.TrimPrefix(e.Node, "model.s.")+"."+e.Column)
		}
		l := c.name + " <- " + strings.Join(from, ", ")
		if c.note != "" && !strings.HasPrefix(c.note, "no parent column") {
			l += " ! " + c.note
		}
		out = append(out, l)
	}
	return out
}

func TestShapes(t *testing.T) {
	tests := []struct {
		name string
		sql  string
		want []string
	}{
		{"plain and renamed columns", `select o.id, o.amount as total from s.orders o`,
			[]string{"id <- orders.id", "total <- orders.amount"}},
		{"unqualified names over a join", `select name, amount from s.orders o join s.customers c on c.id = o.customer_id`,
			[]string{"name <- customers.name", "amount <- orders.amount"}},
		{"where and join columns are not parents", `select o.status from s.orders o join s.customers c on c.id = o.customer_id where c.region = 'x'`,
			[]string{"status <- orders.status"}},
		{"CTE chain", `with a as (select id, amount * 2 as doubled from s.orders), b as (select id, doubled + 1 as plus from a) select plus from b`,
			[]string{"plus <- orders.amount"}},
		{"CTE column list", `with a(k, v) as (select id, status from s.orders) select v from a`,
			[]string{"v <- orders.status"}},
		{"subquery in FROM", `select t.n from (select name as n from s.customers) t`,
			[]string{"n <- customers.name"}},
		{"scalar subquery: its value, not its correlation", `select o.id, (select max(c.region) from s.customers c where c.id = o.customer_id) as region from s.orders o`,
			[]string{"id <- orders.id", "region <- customers.region"}},
		{"aggregate over a group", `select customer_id, sum(amount) as total, count(*) as n from s.orders group by customer_id`,
			[]string{"customer_id <- orders.customer_id", "total <- orders.amount", "n <- "}},
		{"window: argument, partition and order", `select sum(amount) over (partition by customer_id order by ordered_at) as running from s.orders`,
			[]string{"running <- orders.amount, orders.customer_id, orders.ordered_at"}},
		{"CASE: conditions and branches", `select case when status = 'paid' then amount else 0 end as paid from s.orders`,
			[]string{"paid <- orders.amount, orders.status"}},
		{"star", `select * from s.customers`,
			[]string{"id <- customers.id", "name <- customers.name", "region <- customers.region"}},
		{"t.* and another column", `select c.*, o.amount from s.orders o join s.customers c on c.id = o.customer_id`,
			[]string{"id <- customers.id", "name <- customers.name", "region <- customers.region", "amount <- orders.amount"}},
		{"star over a USING join lists the key once, from both sides", `select * from s.customers join s.regions using (region)`,
			[]string{"id <- customers.id", "name <- customers.name", "region <- customers.region, regions.region", "manager <- regions.manager"}},
		{"star EXCLUDE and REPLACE", `select * exclude (region) replace (upper(name) as name) from s.customers`,
			[]string{"id <- customers.id", "name <- customers.name"}},
		{"COLUMNS regex", `select columns('^(id|name)$') from s.customers`,
			[]string{"id <- customers.id", "name <- customers.name"}},
		{"UNION ALL by position", `select id, name from s.customers union all select customer_id, status from s.orders`,
			[]string{"id <- customers.id, orders.customer_id", "name <- customers.name, orders.status"}},
		{"UNION BY NAME", `select region from s.regions union by name select name, region from s.customers`,
			[]string{"region <- customers.region, regions.region", "name <- customers.name"}},
		{"lateral alias", `select amount * 2 as doubled, doubled + 1 as plus from s.orders`,
			[]string{"doubled <- orders.amount", "plus <- orders.amount"}},
		{"lambda parameters are not columns", `select list_transform(tags, x -> x || status) as t from s.orders`,
			[]string{"t <- orders.status, orders.tags"}},
		{"unnamed expression takes DuckDB's name", `select upper(name) from s.customers`,
			[]string{"upper(\"name\") <- customers.name"}},
		{"constant", `select 1 as one`,
			[]string{"one <- "}},
		{"recursive CTE", `with recursive r(n, who) as (select 1, name from s.customers union all select n + 1, who from r where n < 3) select who from r`,
			[]string{"who <- customers.name"}},
		{"struct field access is approximate", `select o.addr.city as city from s.orders o`,
			[]string{"city <- orders.addr ! approximate: struct field city, traced to the whole column addr"}},
		{"lateral unnest is approximate", `select o.id, u.tag from s.orders o, unnest(o.tags) as u(tag)`,
			[]string{"id <- orders.id", "tag <- orders.tags ! approximate: an element of the list unnested (lateral unnest), traced to the whole list"}},
		{"table function is not traced", `select * from range(3) r(i)`,
			[]string{"i <-  ! not traced: comes from the table function range"}},
		{"PIVOT is not traced", `select * from s.orders pivot (sum(amount) for status in ('paid', 'open'))`,
			[]string{"id <-  ! not traced: the columns of a PIVOT come from data", "customer_id <-  ! not traced: the columns of a PIVOT come from data",
				"ordered_at <-  ! not traced: the columns of a PIVOT come from data", "tags <-  ! not traced: the columns of a PIVOT come from data",
				"addr <-  ! not traced: the columns of a PIVOT come from data", "paid <-  ! not traced: the columns of a PIVOT come from data",
				"open <-  ! not traced: the columns of a PIVOT come from data"}},
		{"a relation that is not in the project", `select x from s.elsewhere`,
			[]string{"x <-  ! not traced: s.elsewhere is not a model, seed, snapshot or source of the project"}},
		{"a source without declared columns", `select e.kind from s.raw_events e`,
			[]string{"kind <-  ! source.erp.raw_events declares no columns (list them under its columns: in yml)"}},
	}
	w := shapeWalker(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, _, _ := w.traceSQL(tt.sql)
			got := lines(cols)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("%s\n got:\n  %s\nwant:\n  %s", tt.sql, strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// TestUnreadableSQL: SQL DuckDB cannot parse is a note, not a failure.
func TestUnreadableSQL(t *testing.T) {
	w := shapeWalker(t)
	cols, note, bound := w.traceSQL("select from where")
	if cols != nil || bound || !strings.HasPrefix(note, "not traced: DuckDB's parser:") {
		t.Fatalf("got %v, %q, %v; want no columns and a parser note", cols, note, bound)
	}
	_, note, bound = w.traceSQL("select 1; select 2")
	if bound || !strings.Contains(note, "2 statements") {
		t.Fatalf("two statements: got note %q", note)
	}
}

// TestUnboundSQL: SQL that parses but does not bind keeps the names the
// text gives and says why the types are missing.
func TestUnboundSQL(t *testing.T) {
	w := shapeWalker(t)
	cols, note, bound := w.traceSQL("select o.id, o.no_such_column as x, o.id + 1 from s.orders o")
	if bound || !strings.Contains(note, "could not bind") {
		t.Fatalf("got bound=%v note %q", bound, note)
	}
	got := lines(cols)
	want := []string{"id <- orders.id", "x <-  ! not traced: o.no_such_column names no column in scope"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
}
