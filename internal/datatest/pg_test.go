package datatest

import (
	"context"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/postgres"
	"github.com/ingot-dev/ingot/internal/pgtest"
	"github.com/ingot-dev/ingot/internal/run"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// TestPostgres runs data tests in PostgreSQL and unit tests in scratch
// schemas of it, with the same expectations as on DuckDB.
func TestPostgres(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	extra := unitFiles(`
  - name: sums
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 1, name: Ana, signed_up: 2024-04-28}, {id: 2, name: Bo, signed_up: 2024-05-01}]
      - input: ref("orders")
        rows:
          - {order_id: 10, customer_id: 1, amount: 5.5, ordered_at: 2024-05-01}
          - {order_id: 11, customer_id: 1, amount: 4.5, ordered_at: 2024-05-03}
    expect:
      rows:
        - {customer_id: 1, name: Ana, n_orders: 2, total: 10, days_to_first: 3}
        - {customer_id: 2, name: Bo, n_orders: 0, total: null}
  - name: wrong
    model: latest
    overrides: {is_incremental: true}
    given:
      - input: ref("orders")
        format: csv
        rows: |
          order_id,amount,ordered_at
          1,1,2024-05-01
      - input: this
        rows: [{order_id: 1, ordered_at: 2024-04-01}]
    expect:
      rows: [{order_id: 2}]
`)
	extra["models/silver/_silver.yml"] = genericYML("customer_id", "relationships: {to: ref(\"customers\"), field: id, store_failures: true}") +
		"          - not_null: {severity: warn}\n" +
		"      - name: status\n        tests: [{accepted_values: {values: [placed, shipped, lost]}}]\n" +
		"      - name: ordered_at\n        tests: [{accepted_range: {min_value: 2024-05-02}}]\n" +
		"    tests: [{recency: {field: ordered_at, datepart: day, interval: 3}}, not_empty, {unique_combination_of_columns: {combination_of_columns: [status]}}]\n"
	m, err := planFor(t, writeProject(t, extra), "postgres")
	if err != nil {
		t.Fatal(err)
	}
	a, err := postgres.Open(ctx, adapter.Target{Type: "postgres", Options: postgres.Options{DSN: db.DSN}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	// Models reading a source (no table here) or needing run_query while
	// building are left out.
	delete(m.Nodes, "model.gold.statuses")
	delete(m.Nodes, "model.gold.invoices")
	if err := m.BuildGraph(); err != nil {
		t.Fatal(err)
	}
	build(t, m, a)
	tr := New(m, a, Options{UnitInTarget: true})
	defer tr.Close()
	want := map[string]struct {
		status   string
		failures int64
	}{
		"test.relationships_orders_customer_id":     {"fail", 1},
		"test.not_null_orders_customer_id":          {"warn", 1},
		"test.accepted_values_orders_status":        {"pass", 0},
		"test.accepted_range_orders_ordered_at":     {"fail", 1},
		"test.recency_orders":                       {"pass", 0},
		"test.not_empty_orders":                     {"pass", 0},
		"test.unique_combination_of_columns_orders": {"fail", 1},
		"unit_test.customer_orders.sums":            {"pass", 0},
		"unit_test.latest.wrong":                    {"fail", 2},
	}
	for id, w := range want {
		n := m.Nodes[id]
		if n == nil {
			t.Fatalf("no test %s", id)
		}
		res := tr.RunTest(ctx, n)
		if res.Err != nil {
			t.Errorf("%s: %v\n%s", id, res.Err, res.SQL)
			continue
		}
		if res.Status != w.status || res.Failures != w.failures {
			t.Errorf("%s: %s with %d failures, want %s with %d\n%s\n%s", id, res.Status, res.Failures, w.status, w.failures, res.Detail, res.SQL)
		}
	}
	rows, err := a.Query(ctx, "select count(*) from audit.relationships_orders_customer_id", 0)
	if err != nil || rows.Rows[0][0] != int64(1) {
		t.Errorf("stored failures: %v %v", rows, err)
	}
	// Unit tests leave no scratch schema behind.
	rows, err = a.Query(ctx, "select schema_name from information_schema.schemata where schema_name like 'ingot_unit%'", 0)
	if err != nil || len(rows.Rows) != 0 {
		t.Errorf("scratch schemas left: %v %v", rows, err)
	}
	if res := tr.RunTest(ctx, m.Nodes["unit_test.latest.wrong"]); res.Status != run.StatusFail || !strings.Contains(res.Detail, "| + | 1 ") {
		t.Errorf("diff on postgres:\n%s", res.Detail)
	}
}
