package docs

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func find(t *testing.T, s *Site, id string) Node {
	t.Helper()
	for _, n := range s.Nodes {
		if n.ID == id {
			return n
		}
	}
	t.Fatalf("no node %s in the site", id)
	return Node{}
}

func colNames(cs []Column) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// The fixture is a dbt v12 manifest, catalog v1 and run-results v6 of a
// small shop project with column lineage in the columns' meta.
func TestLoadDBTShapes(t *testing.T) {
	s, err := Load("testdata/shop", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Project != "shop" || s.Target != "dev" || s.Adapter != "duckdb" || !s.Catalog {
		t.Errorf("header = %q %q %q catalog %v, want shop dev duckdb true", s.Project, s.Target, s.Adapter, s.Catalog)
	}
	orders := find(t, s, "model.gold.orders")
	if !reflect.DeepEqual(orders.Parents, []string{"model.silver.stg_customers", "model.silver.stg_orders"}) &&
		!reflect.DeepEqual(orders.Parents, []string{"model.silver.stg_orders", "model.silver.stg_customers"}) {
		t.Errorf("orders parents = %v", orders.Parents)
	}
	if orders.Materialized != "table" || orders.SQLKind != "compiled" || !strings.HasPrefix(orders.SQL, "select o.order_id") {
		t.Errorf("orders: materialized %q, sql %s %q", orders.Materialized, orders.SQLKind, orders.SQL)
	}
	if orders.WarehouseType != "BASE TABLE" || orders.Status == nil || orders.Status.Status != "success" ||
		orders.Status.StartedAt != "2024-05-28T12:00:01.100000Z" || orders.Status.Rows == nil || *orders.Status.Rows != 3 {
		t.Errorf("orders: warehouse %q status %+v", orders.WarehouseType, orders.Status)
	}
	// columns in the warehouse's order, with its types, and what yml says
	if got := colNames(orders.Columns); !reflect.DeepEqual(got, []string{"order_id", "customer_name", "amount"}) {
		t.Errorf("orders columns = %v", got)
	}
	id := orders.Columns[0]
	if id.Type != "INTEGER" || id.Declared != "integer" || id.Description != "One row per order." {
		t.Errorf("order_id = %+v", id)
	}
	if !reflect.DeepEqual(id.Lineage, []ColumnRef{{"model.silver.stg_orders", "order_id"}}) {
		t.Errorf("order_id lineage = %v", id.Lineage)
	}
	if want := []string{"test.not_null_orders_order_id", "test.unique_orders_order_id"}; !reflect.DeepEqual(id.Tests, want) {
		t.Errorf("order_id tests = %v, want %v", id.Tests, want)
	}
	// unit tests hang on the model, not a column
	if want := []string{"test.not_null_orders_order_id", "test.unique_orders_order_id", "unit_test.shop.orders.orders_join"}; !reflect.DeepEqual(orders.Tests, want) {
		t.Errorf("orders tests = %v, want %v", orders.Tests, want)
	}
	unit := find(t, s, "unit_test.shop.orders.orders_join")
	if unit.Type != "test" || unit.TestName != "unit test" || !reflect.DeepEqual(unit.AttachedTo, []string{"model.gold.orders"}) {
		t.Errorf("unit test = %+v", unit)
	}

	rev := find(t, s, "model.gold.customer_revenue")
	n := rev.Columns[2]
	if n.Name != "n_orders" || len(n.Lineage) != 0 || n.Note == "" {
		t.Errorf("n_orders = %+v, want no lineage and a note", n)
	}
	if rev.LineageNote != "columns that run_query adds at build time are not traced" || orders.LineageNote != "" {
		t.Errorf("lineage notes: customer_revenue %q, orders %q", rev.LineageNote, orders.LineageNote)
	}
	if rev.Status.Status != "error" || !strings.Contains(rev.Status.Message, "Binder Error") {
		t.Errorf("customer_revenue status = %+v", rev.Status)
	}

	test := find(t, s, "test.unique_orders_order_id")
	if test.Column != "order_id" || test.TestName != "unique" || test.Status.Status != "fail" || *test.Status.Failures != 1 {
		t.Errorf("test = %+v status %+v", test, test.Status)
	}
	src := find(t, s, "source.erp.payments")
	if src.Type != "source" || src.Name != "erp.payments" || src.Description != "Payments from the ERP." {
		t.Errorf("source = %+v", src)
	}
	// the source's undeclared warehouse column is there too, typed
	if got := colNames(src.Columns); !reflect.DeepEqual(got, []string{"order_id", "amount"}) || src.Columns[1].Description != "Amount paid." {
		t.Errorf("source columns = %+v", src.Columns)
	}
	exp := find(t, s, "exposure.shop.weekly_kpis")
	if exp.Type != "exposure" || !reflect.DeepEqual(exp.Parents, []string{"model.gold.customer_revenue"}) {
		t.Errorf("exposure = %+v", exp)
	}
	seed := find(t, s, "seed.seeds.raw_orders")
	if seed.SQL != "" || seed.SQLKind != "" || len(seed.Parents) != 0 {
		t.Errorf("seed has sql %q kind %q parents %v", seed.SQL, seed.SQLKind, seed.Parents)
	}
}

// The shapes ingot wrote before the dbt v12 manifest: depends_on and
// attached_node as lists, started_at on the result, no catalog.
func TestLoadOlderShapes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "manifest.json", `{"metadata": {"project_name": "p", "target_name": "dev"}, "nodes": {
	  "seed.s.a": {"unique_id": "seed.s.a", "name": "a", "resource_type": "seed", "depends_on": []},
	  "model.m.b": {"unique_id": "model.m.b", "name": "b", "resource_type": "model", "materialized": "view",
	    "depends_on": ["seed.s.a", "model.m.gone"], "raw_code": "select * from {{ ref \"a\" }}",
	    "columns": {"y": {"name": "y", "data_type": "int"}, "x": {"name": "x", "description": "the x"}}},
	  "model.m.c": {"unique_id": "model.m.c", "name": "c", "resource_type": "model", "depends_on": ["model.m.b"]},
	  "test.t": {"unique_id": "test.t", "name": "t", "resource_type": "test", "depends_on": ["model.m.b"], "attached_node": ["model.m.b"], "raw_code": "{{ not_null }}"}}}`)
	write(t, dir, "run_results.json", `{"metadata": {"generated_at": "2024-01-01T00:00:00Z", "command": "build"},
	  "results": [{"unique_id": "model.m.b", "status": "success", "execution_time": 0.5, "started_at": "2024-01-01T00:00:01Z", "rows_affected": 7},
	    {"unique_id": "test.t", "status": "pass", "execution_time": 0.1, "compiled_code": "select * from b where x is null"}]}`)
	s, err := Load(dir, map[string]string{"model.m.c": "select 1 as c"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Target != "dev" || s.RunCmd != "build" || s.Catalog {
		t.Errorf("site = %q %q catalog %v", s.Target, s.RunCmd, s.Catalog)
	}
	b := find(t, s, "model.m.b")
	// a parent the manifest does not have draws no edge
	if !reflect.DeepEqual(b.Parents, []string{"seed.s.a"}) {
		t.Errorf("b parents = %v", b.Parents)
	}
	if b.SQLKind != "source" || !strings.Contains(b.SQL, "ref") {
		t.Errorf("b sql = %s %q, want the template source", b.SQLKind, b.SQL)
	}
	if got := colNames(b.Columns); !reflect.DeepEqual(got, []string{"x", "y"}) || b.Columns[1].Type != "int" {
		t.Errorf("b columns = %+v, want x, y (declared type int)", b.Columns)
	}
	if b.Status == nil || b.Status.StartedAt != "2024-01-01T00:00:01Z" || *b.Status.Rows != 7 {
		t.Errorf("b status = %+v", b.Status)
	}
	if !reflect.DeepEqual(b.Tests, []string{"test.t"}) {
		t.Errorf("b tests = %v", b.Tests)
	}
	// a test's SQL is the query its last run executed
	if tt := find(t, s, "test.t"); tt.SQL != "select * from b where x is null" || tt.SQLKind != "run" {
		t.Errorf("test sql = %s %q, want the last run's query", tt.SQLKind, tt.SQL)
	}
	if c := find(t, s, "model.m.c"); c.SQL != "select 1 as c" || c.SQLKind != "compiled" {
		t.Errorf("c sql = %s %q, want the SQL handed to Load", c.SQLKind, c.SQL)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"no manifest", nil, "manifest.json: no such file: run ingot parse, compile or build first"},
		{"broken manifest", map[string]string{"manifest.json": "{\n  \"nodes\": {,}\n}"},
			"manifest.json: line 2, column 13: invalid character ','"},
		{"wrong type", map[string]string{"manifest.json": `{"nodes": {"a": {"name": 3}}}`},
			"manifest.json: line 1, column 26: json: cannot unmarshal number"},
		{"broken catalog", map[string]string{"manifest.json": `{"nodes": {}}`, "catalog.json": "{"},
			"catalog.json: "},
		{"broken results", map[string]string{"manifest.json": `{"nodes": {}}`, "run_results.json": `{"results": {}}`},
			"run_results.json: line 1, column"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range tt.files {
				write(t, dir, name, body)
			}
			_, err := Load(dir, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the file's folder", err)
			}
		})
	}
}

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPlainRelation(t *testing.T) {
	for in, want := range map[string]string{
		`"gold"."orders"`:     "gold.orders",
		`gold.orders`:         "gold.orders",
		`"lake"."gold"."x_1"`: "lake.gold.x_1",
		`"Gold"."my table"`:   `"Gold"."my table"`,
		`"a.b"."c"`:           `"a.b".c`,
		`"we""ird"."t"`:       `"we""ird".t`,
		`"unbalanced.x`:       `"unbalanced.x`,
		``:                    ``,
	} {
		if got := plainRelation(in); got != want {
			t.Errorf("plainRelation(%s) = %s, want %s", in, got, want)
		}
	}
}
