package template

// Example shows one template function in use: Template rendered in the
// example context (see ExampleContext) gives Want. The examples are the
// function reference and a test executes every one of them.
type Example struct {
	Func     string
	Doc      string
	Template string
	Want     string
}

// Examples lists every ingot template function with examples.
func Examples() []Example {
	return []Example{
		{"ref", "quoted relation of a model or seed; bare name when unique, or schema.name", `{{ ref "orders" }}`, `"silver"."orders"`},
		{"ref", "schema-qualified form always works", `{{ ref "silver.orders" }}`, `"silver"."orders"`},
		{"source", "quoted relation of a declared source table", `{{ source "erp" "invoices" }}`, `"raw"."invoices"`},
		{"config", "sets model config; prints nothing", `{{ config "materialized" "table" }}select 1`, `select 1`},
		{"config", "also takes a dict", `{{ config (dict "materialized" "incremental" "unique_key" "id") }}x`, `x`},
		{"var", "project var (overridden by --vars)", `{{ var "as_of" }}`, `2024-05-28`},
		{"var", "default when the var is not set", `{{ var "missing" "fallback" }}`, `fallback`},
		{"env_var", "environment variable with a default", `{{ env_var "INGOT_EXAMPLE" "BR" }}`, `BR`},
		{"this", "the model's own relation", `{{ this }}`, `"gold"."example"`},
		{"is_incremental", "true when the model is built incrementally", `{{ if is_incremental }}inc{{ else }}full{{ end }}`, `full`},
		{"target", "target name and engine type", `{{ (target).type }}/{{ (target).name }}`, `duckdb/dev`},
		{"target", "also on the template's dot", `{{ .target.type }}`, `duckdb`},
		{"run_query", "rows of a query while building (none at parse time)", `{{ range run_query "select 'k' as key" }}{{ .key }}{{ end }}`, `k`},
		{"today", "the run's start date (UTC)", `{{ today }}`, `2024-06-01`},
		{"run_started_at", "the run's start time (UTC)", `{{ run_started_at }}`, `2024-06-01 12:30:00`},
		{"identifier", "a name from data, the same on every engine (63 bytes at most)", `{{ identifier "short_key" }}`, `short_key`},
		{"macro", "macros are functions; one argument is the macro's dot", `{{ cents "amount" }}`, `(amount / 100.0)`},
		{"macro", "engine-specific versions win: duckdb__name on DuckDB", `{{ today_sql }}`, `current_date`},
		{"macro", "several arguments arrive as a list", `{{ add "a" "b" }}`, `(a + b)`},
	}
}
