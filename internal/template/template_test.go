package template

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
)

type fakeResolver struct{}

func (fakeResolver) Ref(name string) (string, error) {
	switch name {
	case "orders", "silver.orders":
		return `"silver"."orders"`, nil
	}
	return "", fmt.Errorf("unknown ref %q", name)
}

func (fakeResolver) Source(s, t string) (string, error) { return `"raw"."` + t + `"`, nil }

const exampleMacros = `{{ define "cents" }}({{ . }} / 100.0){{ end }}
{{ define "default__today_sql" }}now()::date{{ end }}
{{ define "duckdb__today_sql" }}current_date{{ end }}
{{ define "add" }}({{ index . 0 }} + {{ index . 1 }}){{ end }}`

// testEngines are the two engines' macro prefixes and PostgreSQL's name limit.
var testEngines = Engines{MacroPrefixes: []string{"duckdb", "postgres"}, MaxIdentifierBytes: 63}

func exampleContext(targetType string) Context {
	return Context{
		Model:         map[string]any{"name": "example", "schema": "gold"},
		This:          `"gold"."example"`,
		TargetName:    "dev",
		TargetType:    targetType,
		MacroPrefixes: []string{targetType},
		Vars:          map[string]any{"as_of": "2024-05-28"},
		Getenv:        func(string) (string, bool) { return "", false },
		RunStarted:    time.Date(2024, 6, 1, 12, 30, 0, 0, time.UTC),
		Resolver:      fakeResolver{},
		Query: func(_ context.Context, sql string) ([]map[string]any, error) {
			return []map[string]any{{"key": "k"}}, nil
		},
	}
}

func newEngine(t *testing.T, macros string) *Engine {
	t.Helper()
	e, err := NewEngine([]*project.File{{Path: "macros/m.sql", Src: []byte(macros)}}, testEngines)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func render(t *testing.T, e *Engine, src string, c Context) (*Output, error) {
	t.Helper()
	tmpl, err := e.Parse("models/gold/example.sql", []byte(src))
	if err != nil {
		return nil, err
	}
	return e.Render(context.Background(), tmpl, c)
}

// TestExamples executes every documented example.
func TestExamples(t *testing.T) {
	e := newEngine(t, exampleMacros)
	seen := map[string]bool{}
	for _, ex := range Examples() {
		seen[ex.Func] = true
		t.Run(ex.Func+"/"+ex.Template, func(t *testing.T) {
			out, err := render(t, e, ex.Template, exampleContext("duckdb"))
			if err != nil {
				t.Fatal(err)
			}
			if out.SQL != ex.Want {
				t.Errorf("got %q, want %q", out.SQL, ex.Want)
			}
		})
	}
	for _, b := range builtinNames {
		if b != "return" && !seen[b] {
			t.Errorf("built-in %q has no example", b)
		}
	}
}

func TestDispatch(t *testing.T) {
	e := newEngine(t, exampleMacros)
	tests := []struct{ engine, want string }{
		{"duckdb", "current_date"},
		{"postgres", "now()::date"},
	}
	for _, tt := range tests {
		out, err := render(t, e, `{{ today_sql }}`, exampleContext(tt.engine))
		if err != nil {
			t.Fatal(err)
		}
		if out.SQL != tt.want {
			t.Errorf("%s: got %q, want %q", tt.engine, out.SQL, tt.want)
		}
	}
}

func TestRecordsRefsSourcesConfig(t *testing.T) {
	e := newEngine(t, exampleMacros)
	out, err := render(t, e, `{{ config "materialized" "table" "tags" "bi" }}{{ ref "orders" }}{{ ref "orders" }}{{ source "erp" "x" }}`, exampleContext("duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(out.Refs, ",") != "orders" {
		t.Errorf("refs = %v", out.Refs)
	}
	if len(out.Sources) != 1 || out.Sources[0] != [2]string{"erp", "x"} {
		t.Errorf("sources = %v", out.Sources)
	}
	if out.Config.Materialized() != "table" || strings.Join(out.Config.Tags(), ",") != "bi" {
		t.Errorf("config = %v", out.Config)
	}
}

func TestStaticCalls(t *testing.T) {
	e := newEngine(t, exampleMacros)
	src := "select *\nfrom {{ ref \"a\" }}\n{{ if is_incremental }}join {{ ref \"b\" }}{{ end }}\n{{ source \"s\" \"t\" }} {{ ref (printf \"%s\" \"dyn\") }}"
	tmpl, err := e.Parse("models/x.sql", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tmpl.Calls {
		got = append(got, fmt.Sprintf("%s(%s)@%d:%d", c.Func, strings.Join(c.Args, ","), c.Line, c.Col))
	}
	want := "ref(a)@2:9 ref(b)@3:32 source(s,t)@4:4"
	if strings.Join(got, " ") != want {
		t.Errorf("calls = %s, want %s", strings.Join(got, " "), want)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, macros, src string
		want              string // substring of the located error
	}{
		{"parse error", "", "select {{ if }}", "models/gold/example.sql:1: missing value for if"},
		{"unknown var", "", "select\n  {{ var \"nope\" }}", `models/gold/example.sql:2:6: var "nope" is not set`},
		{"unknown config key", "", `{{ config "materialised" "table" }}`, `unknown config key "materialised" (did you mean "materialized"?)`},
		{"odd config args", "", `{{ config "materialized" }}`, "config takes key value pairs"},
		{"unknown function", "", `{{ reff "x" }}`, `function "reff" not defined`},
		{"env without default", "", `{{ env_var "INGOT_NOPE" }}`, "environment variable INGOT_NOPE is not set"},
		{"error inside macro", `{{ define "bad" }}{{ var "zz" }}{{ end }}`, `{{ bad }}`, `macros/m.sql:1`},
		{"no engine version", `{{ define "postgres__only" }}x{{ end }}`, `{{ only }}`, `macro "only" has no version for engine "duckdb"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEngine(t, tt.macros)
			_, err := render(t, e, tt.src, exampleContext("duckdb"))
			if err == nil {
				t.Fatal("no error")
			}
			var d *diag.Error
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if !errorsAs(err, &d) || d.File == "" {
				t.Errorf("error %q is not located", err)
			}
		})
	}
}

func TestMacroNameErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`{{ define "ref" }}x{{ end }}`, "has the name of a built-in function"},
		{`{{ define "duckdb__this" }}x{{ end }}`, "has the name of a built-in function"},
		{`{{ define "bad-name" }}x{{ end }}`, "must be a valid identifier"},
		{`{{ define "ok" }}{{ if }}{{ end }}`, "macros/m.sql:1"},
	}
	for _, tt := range tests {
		_, err := NewEngine([]*project.File{{Path: "macros/m.sql", Src: []byte(tt.src)}}, testEngines)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.src, err, tt.want)
		}
	}
}

func TestParseModeRunQuery(t *testing.T) {
	e := newEngine(t, "")
	c := exampleContext("duckdb")
	c.Query = nil
	out, err := render(t, e, `select 1{{ range run_query "select 1" }}, x{{ end }}`, c)
	if err != nil {
		t.Fatal(err)
	}
	if out.SQL != "select 1" {
		t.Errorf("got %q", out.SQL)
	}
}

func errorsAs(err error, d **diag.Error) bool {
	for _, p := range diag.Flatten(err) {
		if x, ok := p.(*diag.Error); ok {
			*d = x
			return true
		}
	}
	return false
}

func TestIdentifier(t *testing.T) {
	tests := []struct{ name, want string }{
		{strings.Repeat("a", 63), strings.Repeat("a", 63)},
		{strings.Repeat("a", 64), strings.Repeat("a", 54) + "_ffe054fe"},
		{"qual_o_seu_nivel_de_satisfacao_com_o_atendimento_recebido_hoje_de_0_a_10",
			"qual_o_seu_nivel_de_satisfacao_com_o_atendimento_receb_7b013e42"},
		// Cut on a character boundary: 27 two-byte characters, not 27 and a half.
		{strings.Repeat("ç", 40), strings.Repeat("ç", 27) + "_ad9b75d3"},
		{strings.Repeat("é", 27) + strings.Repeat("x", 10), strings.Repeat("é", 27) + "_e4598c58"},
	}
	for _, tt := range tests {
		got := identifier(tt.name, 63)
		if got != tt.want {
			t.Errorf("identifier(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if len(got) > 63 || !utf8.ValidString(got) {
			t.Errorf("identifier(%q) = %q: %d bytes, valid UTF-8 %v", tt.name, got, len(got), utf8.ValidString(got))
		}
	}
}

// TestPosition checks position against text/template's own ErrorContext,
// which it replaces, on the first line, after newlines and after
// multi-byte characters.
func TestPosition(t *testing.T) {
	for _, src := range []string{
		`{{ ref "a" }}`,
		"select 'é' as x,\n  {{ ref \"a\" }} {{ source \"s\" \"t\" }}\n\n{{ if true }}{{ ref \"b\" }}{{ end }}",
		"\n\n\n{{ ref \"a\" }}",
	} {
		trees, err := parse.Parse("m.sql", src, "", "", map[string]any{"ref": fmt.Sprint, "source": fmt.Sprint})
		if err != nil {
			t.Fatal(err)
		}
		tree := trees["m.sql"]
		var cmds []parse.Node
		var walk func(n parse.Node)
		walk = func(n parse.Node) {
			switch x := n.(type) {
			case *parse.ListNode:
				for _, c := range x.Nodes {
					walk(c)
				}
			case *parse.ActionNode:
				cmds = append(cmds, x.Pipe.Cmds[0])
			case *parse.IfNode:
				walk(x.List)
			}
		}
		walk(tree.Root)
		if len(cmds) == 0 {
			t.Fatalf("%q: no commands found", src)
		}
		for _, c := range cmds {
			loc, _ := tree.ErrorContext(c)
			line, col := position(src, c.Position())
			// ErrorContext counts columns from 0.
			var wantLine, wantCol int
			fmt.Sscanf(loc[strings.Index(loc, ":")+1:], "%d:%d", &wantLine, &wantCol)
			if line != wantLine || col != wantCol+1 {
				t.Errorf("%q at %d: position = %d:%d, ErrorContext says %s", src, c.Position(), line, col, loc)
			}
		}
	}
}
