package datatest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/run"
)

// unitFiles is a project whose gold models have unit tests in _gold.yml.
func unitFiles(unitTests string) map[string]string {
	return map[string]string{
		"models/gold/customer_orders.sql": `select c.id as customer_id, c.name, count(o.order_id) as n_orders, sum(o.amount) as total,
  min(o.ordered_at) - c.signed_up as days_to_first
from {{ ref "customers" }} as c
left join {{ ref "orders" }} as o on o.customer_id = c.id
where c.signed_up >= cast('{{ var "since" "2000-01-01" }}' as date)
group by c.id, c.name, c.signed_up
order by c.id
`,
		"models/gold/latest.sql": `{{ config "materialized" "incremental" "unique_key" "order_id" }}
select order_id, amount, ordered_at from {{ ref "orders" }}
{{ if is_incremental }}where ordered_at > (select max(ordered_at) from {{ this }}){{ end }}
`,
		"models/gold/eph_big.sql":  "{{ config \"materialized\" \"ephemeral\" }}select * from {{ ref \"orders\" }} where amount > 5",
		"models/gold/big_ids.sql":  "select order_id from {{ ref \"eph_big\" }}",
		"models/gold/invoices.sql": "select id, cast(total as decimal(12,2)) as total, paid from {{ source \"erp\" \"invoices\" }}",
		"models/gold/statuses.sql": `{{ $rows := run_query (printf "select distinct status from %s order by 1" (ref "orders")) }}
select {{ range $i, $r := $rows }}{{ if $i }}, {{ end }}count(case when status = '{{ $r.status }}' then 1 end) as "{{ $r.status }}"{{ else }}1 as none{{ end }}
from {{ ref "orders" }}`,
		"models/gold/_sources.yml": "sources:\n  - name: erp\n    tables:\n      - name: invoices\n        columns:\n          - {name: id, data_type: integer}\n          - {name: total, data_type: varchar}\n          - {name: paid, data_type: boolean}\n",
		"models/gold/_gold.yml":    "unit_tests:\n" + unitTests,
	}
}

func runUnits(t *testing.T, unitTests string) (*compile.Manifest, map[string]run.Result) {
	t.Helper()
	m := mustPlan(t, unitFiles(unitTests))
	tr := New(m, nil, Options{Scratch: scratch})
	t.Cleanup(func() { tr.Close() })
	ids := testIDs(m, TypeUnit)
	results := make([]run.Result, len(ids))
	// Unit tests run concurrently, as the runner would with threads.
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { results[i] = tr.RunTest(context.Background(), m.Nodes[id]) })
	}
	wg.Wait()
	out := map[string]run.Result{}
	for i, id := range ids {
		out[m.Nodes[id].Name] = results[i]
	}
	return m, out
}

func TestUnitTests(t *testing.T) {
	tests := []struct {
		name   string
		yml    string
		status string
		detail []string // substrings of Detail (or of the error)
	}{
		{name: "dict rows typed like the seed", status: "pass", yml: `
  - name: t
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
`},
		{name: "input not given is empty", status: "pass", yml: `
  - name: t
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 1, name: Ana, signed_up: 2024-04-28}]
    expect:
      rows: [{customer_id: 1, n_orders: 0, total: null, days_to_first: null}]
`},
		{name: "failure shows a diff", status: "fail", detail: []string{
			"1 missing, 1 unexpected; 2 expected, 2 actual",
			"|   | customer_id | name | n_orders |",
			"|   | 1           | Ana  | 1        |",
			"| - | 2           | Bo   | 5        |",
			"| + | 2           | Bo   | 0        |",
		}, yml: `
  - name: t
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 1, name: Ana, signed_up: 2024-04-28}, {id: 2, name: Bo, signed_up: 2024-05-01}]
      - input: ref("orders")
        rows: [{order_id: 10, customer_id: 1, amount: 5.5, ordered_at: 2024-05-01}]
    expect:
      rows: [{customer_id: 1, name: Ana, n_orders: 1}, {customer_id: 2, name: Bo, n_orders: 5}]
`},
		{name: "csv fixtures and vars", status: "pass", yml: `
  - name: t
    model: customer_orders
    overrides: {vars: {since: "2024-05-01"}}
    given:
      - input: ref("customers")
        format: csv
        rows: |
          id,name,signed_up
          1,Ana,2024-04-28
          2,"Bo, Jr",2024-05-01
    expect:
      format: csv
      rows: |
        customer_id,name,total
        2,"Bo, Jr",
`},
		{name: "sql fixtures", status: "pass", yml: `
  - name: t
    model: customer_orders
    given:
      - input: ref("customers")
        format: sql
        rows: "select 1 as id, 'Ana' as name, date '2024-04-30' as signed_up union all select 2, 'Bo', date '2024-04-30'"
      - input: ref("orders")
        format: sql
        rows: "select 7 as order_id, 2 as customer_id, 1.5 as amount, date '2024-05-02' as ordered_at"
    expect:
      format: sql
      rows: "select 2 as customer_id, 1.5 as total, 2 as days_to_first union all select 1, null, null"
`},
		{name: "ordered", status: "fail", detail: []string{"| - | 2 ", "| + | 1 "}, yml: `
  - name: t
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 1, name: Ana, signed_up: 2024-04-28}, {id: 2, name: Bo, signed_up: 2024-05-01}]
    expect:
      ordered: true
      rows: [{customer_id: 2}, {customer_id: 1}]
`},
		{name: "ordered pass", status: "pass", yml: `
  - name: t
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 2, name: Bo, signed_up: 2024-05-01}, {id: 1, name: Ana, signed_up: 2024-04-28}]
    expect:
      ordered: true
      rows: [{customer_id: 1}, {customer_id: 2}]
`},
		{name: "incremental with this", status: "pass", yml: `
  - name: t
    model: latest
    overrides: {macros: {is_incremental: true}}
    given:
      - input: ref("orders")
        rows:
          - {order_id: 1, amount: 1, ordered_at: 2024-05-01}
          - {order_id: 2, amount: 2, ordered_at: 2024-05-03}
      - input: this
        rows: [{order_id: 1, ordered_at: 2024-05-01}]
    expect:
      rows: [{order_id: 2, amount: 2.0, ordered_at: 2024-05-03}]
`},
		{name: "incremental this under overrides", status: "pass", yml: `
  - name: t
    model: latest
    overrides:
      is_incremental: true
      this: [{order_id: 1, ordered_at: 2024-05-02}]
    given:
      - input: ref("orders")
        rows: [{order_id: 1, amount: 1, ordered_at: 2024-05-01}, {order_id: 2, amount: 2, ordered_at: 2024-05-03}]
    expect:
      rows: [{order_id: 2}]
`},
		{name: "incremental without this rows", status: "pass", yml: `
  - name: t
    model: latest
    overrides: {is_incremental: true}
    given:
      - input: ref("orders")
        rows: [{order_id: 1, amount: 1, ordered_at: 2024-05-01}]
    expect:
      rows: []
`},
		{name: "not incremental", status: "pass", yml: `
  - name: t
    model: latest
    given:
      - input: ref("orders")
        rows: [{order_id: 1, amount: 1, ordered_at: 2024-05-01}]
    expect:
      rows: [{order_id: 1}]
`},
		{name: "through an ephemeral model", status: "pass", yml: `
  - name: t
    model: big_ids
    given:
      - input: ref("orders")
        rows: [{order_id: 1, amount: 1}, {order_id: 2, amount: 9}]
    expect:
      rows: [{order_id: 2}]
`},
		{name: "ephemeral model given", status: "pass", yml: `
  - name: t
    model: big_ids
    given:
      - input: ref("eph_big")
        rows: [{order_id: 4}]
    expect:
      rows: [{order_id: 4}]
`},
		{name: "source with declared columns", status: "pass", yml: `
  - name: t
    model: invoices
    given:
      - input: source("erp", "invoices")
        rows: [{id: 1, total: "41416.66", paid: true}, {id: 2, total: "0.5"}]
    expect:
      rows: [{id: 1, total: 41416.66, paid: "true"}, {id: 2, total: "0.50", paid: null}]
`},
		{name: "run_query sees the fixtures", status: "pass", yml: `
  - name: t
    model: statuses
    given:
      - input: ref("orders")
        rows: [{status: a}, {status: b}, {status: b}]
    expect:
      rows: [{a: 1, b: 2}]
`},
		{name: "expected column missing", status: "fail", detail: []string{"expected column nope not in the model's output (its columns: customer_id, name, n_orders, total, days_to_first)"}, yml: `
  - name: t
    model: customer_orders
    expect:
      rows: [{customer_id: 1, nope: 2}]
`},
		{name: "unknown fixture column", status: "error", detail: []string{`input ref("customers"): no column "nme" (did you mean "name"?)`}, yml: `
  - name: t
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 1, nme: Ana}]
    expect:
      rows: []
`},
		{name: "model error", status: "error", detail: []string{"running model customer_orders"}, yml: `
  - name: t
    model: customer_orders
    overrides: {vars: {since: not-a-date}}
    given:
      - input: ref("customers")
        rows: [{id: 1}]
    expect:
      rows: []
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res := runUnits(t, tt.yml)
			r := res["t"]
			text := r.Detail
			if r.Err != nil {
				text = r.Err.Error()
			}
			if r.Status != tt.status {
				t.Fatalf("status %s (failures %d), want %s\n%s\nSQL:\n%s", r.Status, r.Failures, tt.status, text, r.SQL)
			}
			for _, d := range tt.detail {
				if !strings.Contains(text, d) {
					t.Errorf("output does not contain %q:\n%s", d, text)
				}
			}
		})
	}
}

// TestUnitTestsConcurrently runs many unit tests at once on the shared
// in-memory database; each works in its own schema.
func TestUnitTestsConcurrently(t *testing.T) {
	var b strings.Builder
	for i := range 12 {
		b.WriteString(strings.ReplaceAll(`
  - name: tN
    model: customer_orders
    given:
      - input: ref("customers")
        rows: [{id: 1, name: Ana, signed_up: 2024-04-28}]
      - input: ref("orders")
        rows: [{order_id: 10, customer_id: 1, amount: 5.5, ordered_at: 2024-05-01}]
    expect:
      rows: [{customer_id: 1, n_orders: 1}]
`, "tN", "t"+string(rune('a'+i))))
	}
	_, res := runUnits(t, b.String())
	if len(res) != 12 {
		t.Fatalf("%d results", len(res))
	}
	for name, r := range res {
		if r.Status != run.StatusPass {
			t.Errorf("%s: %s %v %s", name, r.Status, r.Err, r.Detail)
		}
	}
}

func TestUnitTestNeedsNoWarehouse(t *testing.T) {
	m := mustPlan(t, unitFiles(`
  - name: t
    model: customer_orders
    expect: {rows: []}
`))
	n := m.Nodes["unit_test.customer_orders.t"]
	if n == nil || n.TestType != TypeUnit || n.AttachedTo[0] != "model.gold.customer_orders" || len(n.DependsOn) != 0 {
		t.Fatalf("unit test node %+v", n)
	}
	// Data tests need the warehouse and say so.
	m2 := mustPlan(t, map[string]string{"models/silver/_silver.yml": genericYML("order_id", "not_null")})
	res := New(m2, nil, Options{Scratch: scratch}).RunTest(context.Background(), m2.Nodes["test.not_null_orders_order_id"])
	if res.Status != run.StatusError || !strings.Contains(res.Err.Error(), "needs the warehouse") {
		t.Errorf("data test without warehouse: %s %v", res.Status, res.Err)
	}
}

func TestCompareRows(t *testing.T) {
	tests := []struct {
		name     string
		expected [][]any
		actual   [][]any
		ordered  bool
		failures int64
	}{
		{"numbers across types", [][]any{{uint64(10), 41416.66, "7"}}, [][]any{{int64(10), 41416.66, 7.0}}, false, 0},
		{"float noise", [][]any{{0.3}}, [][]any{{0.1 + 0.2}}, false, 0},
		{"dates and timestamps", [][]any{{"2024-05-28", "2024-05-28 10:00:00", "2024-05-28T10:00:00Z"}},
			[][]any{{mustTime("2024-05-28T00:00:00Z"), mustTime("2024-05-28T10:00:00Z"), "2024-05-28 10:00:00"}}, false, 0},
		{"booleans", [][]any{{true, "TRUE", "false"}}, [][]any{{true, true, false}}, false, 0},
		{"null is not the text NULL", [][]any{{nil}}, [][]any{{"NULL"}}, false, 2},
		{"duplicates count", [][]any{{"a"}, {"a"}}, [][]any{{"a"}}, false, 1},
		{"order ignored", [][]any{{"a"}, {"b"}}, [][]any{{"b"}, {"a"}}, false, 0},
		{"order kept", [][]any{{"a"}, {"b"}}, [][]any{{"b"}, {"a"}}, true, 4},
		{"extra actual row ordered", [][]any{{"a"}}, [][]any{{"a"}, {"b"}}, true, 1},
		{"different text", [][]any{{"a"}}, [][]any{{"A"}}, false, 2},
	}
	for _, tt := range tests {
		cols := make([]string, len(tt.expected[0]))
		for i := range cols {
			cols[i] = string(rune('a' + i))
		}
		got, diff := compareRows(cols, tt.expected, tt.actual, tt.ordered)
		if got != tt.failures {
			t.Errorf("%s: %d failures, want %d\n%s", tt.name, got, tt.failures, diff)
		}
		if (got == 0) != (diff == "") {
			t.Errorf("%s: diff %q with %d failures", tt.name, diff, got)
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}
