package jinja

import (
	"strconv"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

func translator(t *testing.T, macros string) *Translator {
	t.Helper()
	tr := &Translator{Macros: map[string]*Macro{}}
	ms, err := Signatures(macros)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		tr.Macros[m.Name] = m
	}
	return tr
}

// goParses checks that out is a valid Go template with ingot's functions.
func goParses(t *testing.T, out string) {
	t.Helper()
	stub := func(...any) string { return "" }
	fm := template.FuncMap(sprig.HermeticTxtFuncMap())
	for _, n := range []string{"ref", "source", "config", "var", "env_var", "this", "is_incremental", "target", "return", "cents_to_dollars"} {
		fm[n] = stub
	}
	if _, err := template.New("x").Funcs(fm).Parse(out); err != nil {
		t.Errorf("translation does not parse as a Go template: %v\n%s", err, out)
	}
}

func TestTranslate(t *testing.T) {
	tr := translator(t, "{% macro cents_to_dollars(col, scale=2) %}{% endmacro %}")
	cases := []struct{ name, in, want string }{
		{"ref source config",
			"{{ config(materialized='table', tags=['a','b']) }}select * from {{ ref('stg_orders') }} join {{ source('erp', 'x') }}",
			`{{ config "materialized" "table" "tags" (list "a" "b") }}select * from {{ ref "stg_orders" }} join {{ source "erp" "x" }}`},
		{"two-argument ref", "{{ ref('pkg', 'm') }}", `{{ ref "m" }}`},
		{"pivot loop",
			"{% set methods = ['credit_card', 'coupon'] %}{% for m in methods -%} sum(x) as {{ m }}_amount{% if not loop.last %},{% endif %}{% endfor %}",
			`{{ $methods := list "credit_card" "coupon" }}{{ $seq1 := $methods }}{{ range $i1, $m := $seq1 -}} sum(x) as {{ $m }}_amount{{ if not (eq $i1 (sub (len $seq1) 1)) }},{{ end }}{{ end }}`},
		{"incremental", "{% if is_incremental() %} where d > (select max(d) from {{ this }}){% endif %}",
			`{{ if is_incremental }} where d > (select max(d) from {{ this }}){{ end }}`},
		{"macro call fills defaults", "{{ cents_to_dollars('amount') }} {{ cents_to_dollars('amount', scale=4) }}",
			`{{ cents_to_dollars "amount" 2 }} {{ cents_to_dollars "amount" 4 }}`},
		{"dispatch", "{% macro cents_to_dollars(col, scale=2) %}{{ return(adapter.dispatch('cents_to_dollars', 'x')(col, scale)) }}{% endmacro %}",
			`{{ define "cents_to_dollars" }}{{ $col := index . 0 }}{{ $scale := index . 1 }}{{ return (cents_to_dollars $col $scale) }}{{ end }}`},
		{"one-parameter macro", "{% macro q(x) %}'{{ x }}'{% endmacro %}", `{{ define "q" }}{{ $x := . }}'{{ $x }}'{{ end }}`},
		{"generic test", "{% test is_positive(model, column_name) %}select * from {{ model }} where {{ column_name }} < 0{% endtest %}",
			`{{ define "test_is_positive" }}{{ $model := index . "model" }}{{ $column_name := index . "column_name" }}select * from {{ $model }} where {{ $column_name }} < 0{{ end }}`},
		{"set inside if is declared before it", "{% if is_incremental() %}{% set y = 1 %}{% else %}{% set y = 2 %}{% endif %}{{ y }}",
			`{{ $y := "" }}{{ if is_incremental }}{{ $y = 1 }}{{ else }}{{ $y = 2 }}{{ end }}{{ $y }}`},
		{"operators and filters", "{{ var('d', '2020-01-01') ~ 'x' }} {{ 'a' if target.name == 'prod' else 'b' }} {{ ['x','y'] | join(', ') | upper }}",
			`{{ printf "%v%v" (var "d" "2020-01-01") "x" }} {{ ternary "a" "b" (eq (target).name "prod") }} {{ upper (join ", " (list "x" "y")) }}`},
		{"comment and trim", "{#- note -#} {%- if true -%}x{%- endif %}", `{{- /* note */ -}} {{- if true -}}x{{- end }}`},
		{"dict items", "{% for k, v in {'a': 1}.items() %}{{ k }}={{ v }}{% endfor %}",
			`{{ $seq1 := (dict "a" 1) }}{{ range $k, $v := $seq1 }}{{ $k }}={{ $v }}{{ end }}`},
		{"raw", "{% raw %}{{ x }}{% endraw %}", `{{ x }}`},
		{"inline if without else", "{% for c in ['a', 'b'] %}{{ c }}{{ ',' if not loop.last }}{% endfor %}",
			`{{ $seq1 := (list "a" "b") }}{{ range $i1, $c := $seq1 }}{{ $c }}{{ ternary "," "" (not (eq $i1 (sub (len $seq1) 1))) }}{{ end }}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, probs := tr.Translate(c.in)
			if len(probs) > 0 {
				t.Fatalf("problems: %+v", probs)
			}
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			if c.name != "raw" {
				goParses(t, got)
			}
		})
	}
}

func TestTranslateProblems(t *testing.T) {
	tr := translator(t, "")
	cases := []struct{ in, want string }{
		{"{{ dbt_utils.star(ref('x')) }}", "1:1: dbt_utils.star is a dbt package macro"},
		{"x\n  {% call statement('a') %}select 1{% endcall %}", "2:3: {% call %} blocks"},
		{"x\n{% snapshot s %}select 1{% endsnapshot %}", "2:1: {% snapshot %} blocks belong in ingot's snapshots folder: write the block's query as snapshots/NAME.sql"},
		{"{% set s %}x{% endset %}", "1:1: {% set s %}…{% endset %} captures text"},
		{"{{ nope(1) }}", "1:1: unknown macro or function nope"},
		{"{{ this.schema }}", "1:1: this.schema has no ingot equivalent"},
		{"{% if execute %}{% endif %}", "1:1: execute has no ingot equivalent"},
		{"{{ target.database }}", "1:1: target.database is not available"},
		{"{% for x in [1] %}{{ loop.revindex }}{% endfor %}", "1:19: loop.revindex has no Go-template spelling"},
		{"{% if true %}", "0:0: {% if %} is never closed"},
		{"{{ x", "1:1: {{ is never closed"},
	}
	for _, c := range cases {
		out, probs := tr.Translate(c.in)
		if len(probs) != 1 {
			t.Errorf("%q: want one problem, got %+v", c.in, probs)
			continue
		}
		p := probs[0]
		got := strings.Join([]string{itoa(p.Line) + ":" + itoa(p.Col), p.Msg}, ": ")
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%q: got %q, want prefix %q", c.in, got, c.want)
		}
		if p.Text != "" && !strings.Contains(out, strings.TrimSuffix(p.Text, " …")) {
			t.Errorf("%q: the untranslatable part %q is not kept as written in %q", c.in, p.Text, out)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"{% if is_incremental() %}": "{{ if is_incremental }}",
		"ref('orders')":             `{{ ref "orders" }}`,
		"{% endif %}":               "{{ end }}",
		"{% for m in methods %}":    "{{ $seq1 := $methods }}{{ range $i1, $m := $seq1 }}",
	} {
		got, ok := Suggest(in)
		if !ok || got != want {
			t.Errorf("Suggest(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if _, ok := Suggest("{% call x() %}"); ok {
		t.Error("Suggest of a call block should have no spelling")
	}
}

func FuzzTranslate(f *testing.F) {
	for _, s := range []string{"{{ ref('a') }}", "{% for x in y %}{{ loop.last }}{% endfor %}", "{% macro m(a, b=1) %}{{ a ~ b }}{% endmacro %}", "{# x #}{{ a | b(c) }}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tr := &Translator{Macros: map[string]*Macro{}}
		tr.Translate(s)
		Suggest(s)
	})
}

// TestTranslatedRenders runs translations and compares what they render
// with what Jinja renders for the same source (written out by hand).
func TestTranslatedRenders(t *testing.T) {
	macros := `{% macro cents(col, scale=2) %}round({{ col }} / 100.0, {{ scale }}){% endmacro %}
{% macro cols(xs) %}{% for x in xs %}{{ x }}{% if not loop.last %}, {% endif %}{% endfor %}{% endmacro %}`
	tr := translator(t, macros)
	defs, probs := tr.Translate(macros)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	cases := []struct{ in, want string }{
		{"{% set ms = ['a', 'b', 'c'] %}{% for m in ms %}{{ m }}_amount{% if not loop.last %},{% endif %}{% endfor %}", "a_amount,b_amount,c_amount"},
		{"{% for m in ['x', 'y'] %}{{ loop.index }}:{{ m }}{{ ' ' if not loop.last }}{% endfor %}", "1:x 2:y"},
		{"{{ cents('amount') }} {{ cents('fee', scale=4) }}", "round(amount / 100.0, 2) round(fee / 100.0, 4)"},
		{"{{ cols(['a', 'b']) }}", "a, b"},
		{"{% if is_incremental() %}inc{% else %}full{% endif %}", "full"},
		{"{% set n = 1 %}{% if true %}{% set n = 2 %}{% endif %}{{ n }}", "2"},
		{"{{ 'x' ~ 1 ~ 'y' }} {{ [1, 2] | length }} {{ 'AbC' | lower }} {{ 3 - 1 }}", "x1y 2 abc 2"},
		{"{%- for k, v in {'b': 2, 'a': 1}.items() -%} {{ k }}={{ v }} {%- endfor %}", "a=1b=2"},
	}
	fm := template.FuncMap(sprig.HermeticTxtFuncMap())
	fm["is_incremental"] = func() bool { return false }
	fm["return"] = func(v any) any { return v }
	for _, c := range cases {
		out, probs := tr.Translate(c.in)
		if len(probs) > 0 {
			t.Errorf("%s: %v", c.in, probs)
			continue
		}
		root := template.New("m").Funcs(fm)
		// Macros are called as functions with their arguments as the dot,
		// as ingot's template engine binds them.
		for _, name := range []string{"cents", "cols"} {
			fm[name] = func(args ...any) (string, error) {
				var dot any = args
				if len(args) == 1 {
					dot = args[0]
				}
				var b strings.Builder
				err := root.ExecuteTemplate(&b, name, dot)
				return strings.TrimSpace(b.String()), err
			}
		}
		root.Funcs(fm)
		if _, err := root.Parse(defs); err != nil {
			t.Fatal(err)
		}
		tm, err := root.New("x").Parse(out)
		if err != nil {
			t.Errorf("%s → %s: %v", c.in, out, err)
			continue
		}
		var b strings.Builder
		if err := tm.Execute(&b, nil); err != nil {
			t.Errorf("%s → %s: %v", c.in, out, err)
			continue
		}
		if got := strings.TrimSpace(b.String()); got != c.want {
			t.Errorf("%s\n→ %s\nrenders %q, want %q", c.in, out, got, c.want)
		}
	}
}
