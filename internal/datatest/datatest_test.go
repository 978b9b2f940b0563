package datatest

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ingot-dev/ingot/internal/run"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want parsedSpec
		err  string
	}{
		{name: "bare name", in: "not_null", want: parsedSpec{Test: "not_null", Args: map[string]any{}, Config: map[string]any{}}},
		{name: "config block", in: map[string]any{"not_null": map[string]any{"config": map[string]any{"severity": "warn"}}},
			want: parsedSpec{Test: "not_null", Args: map[string]any{}, Config: map[string]any{"severity": "warn"}}},
		{name: "config beside arguments", in: map[string]any{"accepted_values": map[string]any{"values": []any{"a"}, "severity": "warn", "name": "x"}},
			want: parsedSpec{Test: "accepted_values", Name: "x", Args: map[string]any{"values": []any{"a"}}, Config: map[string]any{"severity": "warn"}}},
		{name: "arguments block", in: map[string]any{"unique": map[string]any{"arguments": map[string]any{"column_name": "id"}}},
			want: parsedSpec{Test: "unique", Args: map[string]any{"column_name": "id"}, Config: map[string]any{}}},
		{name: "long form", in: map[string]any{"test_name": "unique", "name": "u", "column_name": "id"},
			want: parsedSpec{Test: "unique", Name: "u", Column: "id", Args: map[string]any{}, Config: map[string]any{}}},
		{name: "package prefix", in: "dbt_utils.not_empty", want: parsedSpec{Test: "not_empty", Args: map[string]any{}, Config: map[string]any{}}},
		{name: "null arguments", in: map[string]any{"not_empty": nil}, want: parsedSpec{Test: "not_empty", Args: map[string]any{}, Config: map[string]any{}}},
		{name: "two keys", in: map[string]any{"a": nil, "b": nil}, err: "has keys a, b"},
		{name: "list arguments", in: map[string]any{"unique": []any{1}}, err: "must be a mapping"},
		{name: "number", in: 3, err: "test name or a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSpec(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestThresholds(t *testing.T) {
	tests := []struct {
		cfg      map[string]any
		failures int64
		want     string
	}{
		{nil, 0, "pass"},
		{nil, 1, "fail"},
		{map[string]any{"severity": "warn"}, 3, "warn"},
		{map[string]any{"severity": "WARN", "error_if": ">0"}, 3, "warn"}, // warn severity never fails
		{map[string]any{"error_if": ">10"}, 3, "warn"},
		{map[string]any{"error_if": ">10"}, 11, "fail"},
		{map[string]any{"error_if": ">10", "warn_if": ">5"}, 3, "pass"},
		{map[string]any{"error_if": ">10", "warn_if": ">= 5"}, 5, "warn"},
		{map[string]any{"error_if": "=0"}, 0, "fail"},
		{map[string]any{"error_if": "<>2", "warn_if": "==2"}, 2, "warn"},
		{map[string]any{"error_if": "<2"}, 1, "fail"},
		{map[string]any{"error_if": "<=2"}, 3, "warn"},
	}
	for _, tt := range tests {
		c, err := parseConfig(tt.cfg)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := c.decide(tt.failures); got != tt.want {
			t.Errorf("%v with %d failures: %s, want %s", tt.cfg, tt.failures, got, tt.want)
		}
	}
	for _, bad := range []map[string]any{
		{"warn_if": "10"}, {"error_if": ">x"}, {"error_if": 3}, {"severity": "fatal"}, {"limit": -1},
		{"store_failures": "yes"}, {"sevrity": "warn"},
	} {
		if _, err := parseConfig(bad); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

// genericYML declares one column test on silver.orders.
func genericYML(column, test string) string {
	return "models:\n  - name: orders\n    columns:\n      - name: " + column + "\n        tests:\n          - " + test + "\n"
}

func modelYML(test string) string {
	return "models:\n  - name: orders\n    tests:\n      - " + test + "\n"
}

func TestGenericTests(t *testing.T) {
	tests := []struct {
		name     string
		yml      string
		status   string
		failures int64
		detail   string // substring of Detail
	}{
		{"not_null pass", genericYML("order_id", "not_null"), "pass", 0, ""},
		{"not_null fail", genericYML("customer_id", "not_null"), "fail", 1, "| 12       | NULL"},
		{"unique pass", genericYML("status", "unique: {where: \"order_id < 12\"}"), "pass", 0, ""},
		{"unique fail", genericYML("order_id", "unique"), "fail", 1, "| 12           | 2         |"},
		{"accepted_values pass", genericYML("status", "accepted_values: {values: [placed, shipped, lost]}"), "pass", 0, ""},
		{"accepted_values fail", genericYML("status", "accepted_values: {values: [placed, shipped]}"), "fail", 1, "lost"},
		{"accepted_values unquoted", genericYML("order_id", "accepted_values: {values: [10, 11], quote: false}"), "fail", 1, "| 12          | 2         |"},
		{"relationships pass", genericYML("customer_id", "relationships: {to: ref(\"customers\"), field: id, where: \"customer_id < 9\"}"), "pass", 0, ""},
		{"relationships fail", genericYML("customer_id", "relationships: {to: ref(\"customers\"), field: id}"), "fail", 1, "| 9          |"},
		{"expression_is_true pass", modelYML("expression_is_true: {expression: \"amount < 100\"}"), "pass", 0, ""},
		{"expression_is_true fail", modelYML("expression_is_true: {expression: \"amount > 0\"}"), "fail", 1, "-1"},
		{"expression_is_true column", genericYML("amount", "expression_is_true: {expression: \"< 7\"}"), "fail", 1, "| 11 "},
		{"unique_combination pass", modelYML("unique_combination_of_columns: {combination_of_columns: [order_id, customer_id]}"), "pass", 0, ""},
		{"unique_combination fail", modelYML("unique_combination_of_columns: {combination_of_columns: [status]}"), "fail", 1, "| placed | 2         |"},
		{"accepted_range pass", genericYML("amount", "accepted_range: {min_value: -1, max_value: 7}"), "pass", 0, ""},
		{"accepted_range exclusive", genericYML("amount", "accepted_range: {min_value: -1, max_value: 7, inclusive: false}"), "fail", 2, ""},
		{"accepted_range dates", genericYML("ordered_at", "accepted_range: {min_value: 2024-05-02}"), "fail", 1, "2024-05-01"},
		{"not_empty pass", modelYML("not_empty"), "pass", 0, ""},
		{"not_empty fail", modelYML("not_empty: {where: \"1 = 0\"}"), "fail", 1, "relation has no rows"},
		{"recency pass", modelYML("recency: {field: ordered_at, datepart: day, interval: 3}"), "pass", 0, ""},
		{"recency fail", modelYML("recency: {field: ordered_at, datepart: hour, interval: 12}"), "fail", 1, "2024-05-04"},
		{"recency column", genericYML("ordered_at", "recency: {datepart: days, interval: 1}"), "fail", 1, ""},
		{"warn severity", genericYML("customer_id", "not_null: {config: {severity: warn}}"), "warn", 1, "1 failing row:"},
		{"error_if threshold", genericYML("amount", "accepted_range: {min_value: 6, error_if: \">3\"}"), "warn", 3, ""},
		{"warn_if threshold", genericYML("amount", "accepted_range: {min_value: 6, error_if: \">5\", warn_if: \">3\"}"), "pass", 3, ""},
		{"limit", genericYML("amount", "accepted_range: {min_value: 100, limit: 2}"), "fail", 2, ""},
		{"dbt_utils prefix", modelYML("dbt_utils.not_empty"), "pass", 0, ""},
		{"accepted_range short names", genericYML("amount", "accepted_range: {min: 0, max: 6}"), "fail", 2, ""},
		{"recency interval with unit", modelYML("recency: {field: ordered_at, interval: 12 hours}"), "fail", 1, ""},
		{"recency default datepart", modelYML("recency: {field: ordered_at, interval: 3}"), "pass", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustPlan(t, map[string]string{"models/silver/_silver.yml": tt.yml})
			ids := testIDs(m, TypeGeneric)
			if len(ids) != 1 {
				t.Fatalf("planned %v, want one test", ids)
			}
			a := warehouse(t, m)
			tr := New(m, a, Options{Scratch: scratch})
			res := tr.RunTest(context.Background(), m.Nodes[ids[0]])
			if res.Err != nil {
				t.Fatalf("error: %v\nSQL:\n%s", res.Err, res.SQL)
			}
			if res.Status != tt.status || res.Failures != tt.failures {
				t.Errorf("%s with %d failures, want %s with %d\nSQL:\n%s", res.Status, res.Failures, tt.status, tt.failures, res.SQL)
			}
			if !strings.Contains(res.Detail, tt.detail) {
				t.Errorf("detail %q does not contain %q", res.Detail, tt.detail)
			}
			if res.Status != run.StatusPass && res.Detail == "" {
				t.Errorf("no detail for a %s", res.Status)
			}
		})
	}
}

func TestSingularAndMacroTests(t *testing.T) {
	m := mustPlan(t, map[string]string{
		"tests/big_orders.sql":      "{{ config \"severity\" \"warn\" }}\nselect * from {{ ref \"orders\" }} where amount > {{ var \"max_amount\" 6 }};\n",
		"tests/sub/no_orphans.sql":  "select o.* from {{ ref \"orders\" }} o left join {{ ref \"customers\" }} c on c.id = o.customer_id where c.id is null\n",
		"macros/tests.sql":          "{{ define \"test_positive\" }}select * from {{ .model }} where {{ .column_name }} <= {{ .floor }}{{ end }}\n{{ define \"test_not_null\" }}select 1 as overridden where false{{ end }}\n{{ define \"test_same_count\" }}select 1 as diff where (select count(*) from {{ .model }}) <> (select count(*) from {{ .other }}){{ end }}\n",
		"models/silver/_silver.yml": "models:\n  - name: orders\n    tests:\n      - same_count: {other: ref(\"customers\")}\n    columns:\n      - name: amount\n        tests: [{positive: {floor: 0, where: \"order_id > 10\"}}]\n      - name: customer_id\n        tests: [not_null]\n",
	})
	a := warehouse(t, m)
	tr := New(m, a, Options{Scratch: scratch})
	tests := []struct {
		id       string
		status   string
		failures int64
	}{
		{"test.big_orders", "warn", 1},
		{"test.no_orphans", "fail", 2},
		{"test.positive_orders_amount", "fail", 1},
		{"test.not_null_orders_customer_id", "pass", 0}, // the project's test_not_null replaces the built-in
		{"test.same_count_orders", "fail", 1},
	}
	for _, tt := range tests {
		n := m.Nodes[tt.id]
		if n == nil {
			t.Fatalf("no node %s among %v", tt.id, testIDs(m, ""))
		}
		res := tr.RunTest(context.Background(), n)
		if res.Err != nil {
			t.Fatalf("%s: %v\n%s", tt.id, res.Err, res.SQL)
		}
		if res.Status != tt.status || res.Failures != tt.failures {
			t.Errorf("%s: %s with %d failures, want %s with %d\nSQL:\n%s", tt.id, res.Status, res.Failures, tt.status, tt.failures, res.SQL)
		}
	}
	// A singular test depends on what it refs; the macro test on both relations.
	if got := m.Nodes["test.no_orphans"].DependsOn; !reflect.DeepEqual(got, []string{"model.silver.orders", "seed.seeds.customers"}) {
		t.Errorf("no_orphans depends on %v", got)
	}
	if got := m.Nodes["test.same_count_orders"].DependsOn; !reflect.DeepEqual(got, []string{"model.silver.orders", "seed.seeds.customers"}) {
		t.Errorf("same_count depends on %v", got)
	}
	if got := m.Nodes["test.big_orders"].Config.String("severity"); got != "warn" {
		t.Errorf("big_orders severity %q", got)
	}
}

func TestStoreFailures(t *testing.T) {
	m := mustPlan(t, map[string]string{"models/silver/_silver.yml": genericYML("customer_id",
		"relationships: {to: ref(\"customers\"), field: id, config: {store_failures: true}}") +
		"      - name: order_id\n        tests: [{unique: {store_failures: true, schema: qa}}]\n"})
	a := warehouse(t, m)
	tr := New(m, a, Options{Scratch: scratch})
	ctx := context.Background()
	for id, rel := range map[string]string{"test.relationships_orders_customer_id": "audit.relationships_orders_customer_id", "test.unique_orders_order_id": "qa.unique_orders_order_id"} {
		res := tr.RunTest(ctx, m.Nodes[id])
		if res.Err != nil || res.Status != "fail" || res.Failures != 1 {
			t.Fatalf("%s: %s %d %v", id, res.Status, res.Failures, res.Err)
		}
		if !strings.Contains(res.Detail, "failing rows stored in "+rel) {
			t.Errorf("%s detail: %s", id, res.Detail)
		}
		rows, err := a.Query(ctx, "select count(*) from "+rel, 0)
		if err != nil || rows.Rows[0][0] != int64(1) {
			t.Errorf("%s: %v %v", rel, rows, err)
		}
	}
}

func TestNames(t *testing.T) {
	m := mustPlan(t, map[string]string{
		"models/silver/_silver.yml": "models:\n  - name: orders\n    columns:\n      - name: status\n        tests:\n" +
			"          - accepted_values: {values: [a]}\n          - accepted_values: {values: [b]}\n          - not_null: {name: status_present}\n" +
			"      - name: order_id\n        tests: [not_null, {not_null: {enabled: false}}]\n",
		"models/silver/_sources.yml": "sources:\n  - name: erp\n    tables:\n      - name: invoices\n        columns:\n          - name: id\n            tests: [unique]\n",
	})
	want := []string{
		"test.accepted_values_orders_status", "test.accepted_values_orders_status_05541889",
		"test.not_null_orders_order_id", "test.source_unique_erp_invoices_id", "test.status_present",
	}
	if got := testIDs(m, ""); !reflect.DeepEqual(got, want) {
		t.Errorf("tests %v\nwant %v", got, want)
	}
	n := m.Nodes["test.source_unique_erp_invoices_id"]
	if !reflect.DeepEqual(n.AttachedTo, []string{"source.erp.invoices"}) || n.Path != "models/silver/_sources.yml" || n.TestType != TypeGeneric {
		t.Errorf("source test %+v", n)
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"unknown test", map[string]string{"models/silver/x.yml": genericYML("id", "not_nul")},
			`models/silver/x.yml:6:13: unknown test "not_nul" (did you mean "not_null"?)`},
		{"unknown test without suggestion", map[string]string{"models/silver/x.yml": genericYML("id", "frobnicate")},
			`unknown test "frobnicate"; built-in tests are accepted_range, accepted_values,`},
		{"unknown argument", map[string]string{"models/silver/x.yml": genericYML("id", "accepted_values: {valuez: [a]}")},
			`x.yml:6:28: test accepted_values: unknown argument "valuez" (did you mean "values"?)`},
		{"missing argument", map[string]string{"models/silver/x.yml": genericYML("id", "relationships: {to: ref(\"customers\")}")},
			"test relationships: missing argument field"},
		{"bad argument", map[string]string{"models/silver/x.yml": genericYML("id", "accepted_values: {values: a}")},
			"argument values must be a non-empty list"},
		{"unknown relation", map[string]string{"models/silver/x.yml": genericYML("id", "relationships: {to: ref(\"custmers\"), field: id}")},
			`argument to: unknown ref "custmers" (did you mean "customers"?)`},
		{"column test on model", map[string]string{"models/silver/x.yml": modelYML("unique")},
			"test unique checks a column"},
		{"bad severity", map[string]string{"models/silver/x.yml": genericYML("id", "unique: {severity: fatal}")},
			`severity must be error or warn, not "fatal"`},
		{"bad threshold", map[string]string{"models/silver/x.yml": genericYML("id", "unique: {config: {error_if: 10}}")},
			`error_if must be a quoted condition`},
		{"bad datepart", map[string]string{"models/silver/x.yml": modelYML("recency: {field: a, datepart: fortnight, interval: 1}")},
			"argument datepart must be one of second, minute"},
		{"unknown config", map[string]string{"models/silver/x.yml": genericYML("id", "unique: {config: {sevrity: warn}}")},
			`unknown test config "sevrity" (did you mean "severity"?)`},
		{"singular test bad severity", map[string]string{"tests/t.sql": "{{ config \"severity\" \"loud\" }}select 1"},
			`tests/t.sql: severity must be error or warn`},
		{"singular test bad ref", map[string]string{"tests/t.sql": "select * from {{ ref \"ordrs\" }}"},
			`tests/t.sql:1:18: unknown ref "ordrs" (did you mean "orders"?)`},
		{"unit test unknown model", map[string]string{"models/silver/u.yml": "unit_tests:\n  - name: u\n    model: seeds.customers\n    expect: {rows: []}\n"},
			"unit test u: seeds.customers is a seed; unit tests test models"},
		{"unit test foreign input", map[string]string{
			"models/silver/u.yml": "unit_tests:\n  - name: u\n    model: orders\n    given:\n      - input: ref(\"customers\")\n        rows: []\n    expect: {rows: []}\n"},
			`u.yml:5: unit test u: input ref("customers") is not read by model orders (its inputs: none)`},
		{"unit test bad csv", map[string]string{
			"models/silver/v.sql": "select * from {{ ref \"customers\" }}",
			"models/silver/u.yml": "unit_tests:\n  - name: u\n    model: v\n    given:\n      - input: ref(\"customers\")\n        format: csv\n        rows: [{a: 1}]\n    expect: {rows: []}\n"},
			"input ref(\"customers\"): format csv needs rows as text"},
		{"unit test no expect", map[string]string{"models/silver/u.yml": "unit_tests:\n  - name: u\n    model: orders\n"},
			"unit test u: no expect rows"},
		{"unit test macro override", map[string]string{"models/silver/u.yml": "unit_tests:\n  - name: u\n    model: orders\n    overrides: {macros: {today: x}}\n    expect: {rows: []}\n"},
			"overrides.macros.today: only is_incremental can be overridden"},
		{"duplicate names", map[string]string{"models/silver/x.yml": genericYML("status", "not_null: {name: dup}") + "          - unique: {name: dup}\n"},
			`test "dup" is defined twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plan(t, writeProject(t, tt.files))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if got := errText(err); !strings.Contains(got, tt.want) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", got, tt.want)
			}
		})
	}
}

func TestBuildOrderEdges(t *testing.T) {
	m := mustPlan(t, map[string]string{
		"models/gold/totals.sql":       "select customer_id, sum(amount) as total from {{ ref \"orders\" }} group by 1",
		"models/gold/eph.sql":          "{{ config \"materialized\" \"ephemeral\" }}select * from {{ ref \"orders\" }}",
		"models/gold/via_eph.sql":      "select * from {{ ref \"eph\" }}",
		"models/gold/dim.sql":          "select distinct customer_id as id from {{ ref \"orders\" }}",
		"models/silver/_silver.yml":    genericYML("order_id", "not_null") + "      - name: customer_id\n        tests: [{relationships: {to: ref(\"dim\"), field: id}}]\n",
		"models/gold/_gold.yml":        "unit_tests:\n  - name: sums\n    model: totals\n    expect: {rows: []}\n",
		"tests/orders_have_rows.sql":   "select 1 where not exists (select 1 from {{ ref \"orders\" }})",
		"models/silver/customers2.sql": "select 1 as id",
	})
	runAfter := func(id string) []string {
		out := append([]string(nil), m.Nodes[id].RunAfter...)
		sort.Strings(out)
		return out
	}
	// Children of orders wait for its tests, through the ephemeral model;
	// dim does not wait for the relationships test that reads dim itself.
	wantTests := []string{"test.not_null_orders_order_id", "test.orders_have_rows", "test.relationships_orders_customer_id"}
	for _, id := range []string{"model.gold.via_eph"} {
		if got := runAfter(id); !reflect.DeepEqual(got, wantTests) {
			t.Errorf("%s runs after %v, want %v", id, got, wantTests)
		}
	}
	if got := runAfter("model.gold.totals"); !reflect.DeepEqual(got, []string{"test.not_null_orders_order_id", "test.orders_have_rows", "test.relationships_orders_customer_id", "unit_test.totals.sums"}) {
		t.Errorf("totals runs after %v", got)
	}
	if got := runAfter("model.gold.dim"); !reflect.DeepEqual(got, []string{"test.not_null_orders_order_id", "test.orders_have_rows"}) {
		t.Errorf("dim runs after %v", got)
	}
	if got := runAfter("model.gold.eph"); got != nil {
		t.Errorf("ephemeral eph runs after %v", got)
	}
	// The plain graph has no such edges; the run graph has them and no cycle.
	if got := m.Graph.Parents("model.gold.totals"); !reflect.DeepEqual(got, []string{"model.silver.orders"}) {
		t.Errorf("plain parents of totals: %v", got)
	}
	if err := m.BuildRunGraph(); err != nil {
		t.Fatal(err)
	}
	if got := m.Graph.Parents("model.gold.totals"); len(got) != 5 {
		t.Errorf("run-graph parents of totals: %v", got)
	}
	// DependsOn (what ls and manifest.json show) is untouched.
	if got := m.Nodes["model.gold.totals"].DependsOn; !reflect.DeepEqual(got, []string{"model.silver.orders"}) {
		t.Errorf("totals depends on %v", got)
	}
}

// TestBuildEdgesNeverCycle: two relationships tests pointing downstream of
// each other's children would close a loop together; one edge is left out.
func TestBuildEdgesNeverCycle(t *testing.T) {
	rel := func(model, to string) string {
		return "  - name: " + model + "\n    columns:\n      - name: x\n        tests: [{relationships: {to: ref(\"" + to + "\"), field: x}}]\n"
	}
	m := mustPlan(t, map[string]string{
		"models/gold/a1.sql": "select 1 as x",
		"models/gold/a2.sql": "select 1 as x",
		"models/gold/c1.sql": "select * from {{ ref \"a1\" }}",
		"models/gold/d2.sql": "select * from {{ ref \"c1\" }}",
		"models/gold/c2.sql": "select * from {{ ref \"a2\" }}",
		"models/gold/d1.sql": "select * from {{ ref \"c2\" }}",
		"models/gold/_g.yml": "models:\n" + rel("a1", "d1") + rel("a2", "d2"),
	})
	n := len(m.Nodes["model.gold.c1"].RunAfter) + len(m.Nodes["model.gold.c2"].RunAfter)
	if n != 1 {
		t.Errorf("c1 waits for %v, c2 for %v; want one edge in all", m.Nodes["model.gold.c1"].RunAfter, m.Nodes["model.gold.c2"].RunAfter)
	}
	if err := m.BuildRunGraph(); err != nil {
		t.Fatal(err)
	}
}
