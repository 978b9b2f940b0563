package template

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/project"
)

// TestRenderLimits: templates that would recurse, loop or grow without
// end stop with an error naming the limit.
func TestRenderLimits(t *testing.T) {
	macros := `{{ define "forever" }}{{ forever . }}{{ end }}
{{ define "nop" }}{{ end }}`
	tests := []struct{ name, src, want string }{
		{"recursive macro", `{{ forever 1 }}`, "more than 100 deep (the limit)"},
		{"silent loop", `{{ range 100000000000 }}{{ end }}`, "more than 1000000 iterations"},
		{"nested silent loops", `{{ range 2000 }}{{ range 2000 }}{{ end }}{{ end }}`, "iterations in one render (the limit)"},
		{"output", `{{ range 10000 }}{{ printf "%0100000d" 1 }}{{ end }}`, "larger than 64 MiB (the limit)"},
		{"repeat", `{{ repeat 1000000000000 "x" }}`, "more than 1000000 (the limit)"},
		{"until", `{{ until 9000000000000000000 }}`, "more than 1000000 values (the limit)"},
		{"indent", `{{ indent 100000000000 "x" }}`, "(the limit)"},
	}
	e, err := NewEngine([]*project.File{{Path: "macros/m.sql", Src: []byte(macros)}}, testEngines)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := e.Parse("models/m.sql", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = e.Render(context.Background(), tmpl, Context{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), "models/m.sql") {
				t.Errorf("error does not name the model file: %v", err)
			}
			t.Logf("%s: %v (%s)", tt.name, err, time.Since(start))
		})
	}
}

// FuzzRender: any model and macro text parses and renders or fails with
// an error — never a panic, a stack overflow or a hang.
func FuzzRender(f *testing.F) {
	f.Add(`{{ define "m" }}{{ . }}{{ end }}`, `select {{ m "x" }} from {{ ref "a" }}`)
	f.Add(`{{ define "r" }}{{ r . }}{{ end }}`, `{{ r 1 }}`)
	f.Add(``, `{{ range $i, $x := list 1 2 3 }}{{ $i }}{{ end }}{{ config "materialized" "table" }}`)
	f.Add(``, `{{ template "nope" }}`)
	f.Add(`{{ define "a" }}{{ template "a" . }}{{ end }}`, `{{ template "a" }}`)
	f.Add(``, `{{ var "x" }}{{ env_var "Y" "d" }}{{ identifier "a b" }}{{ this }}`)
	f.Fuzz(func(t *testing.T, macros, model string) {
		e, err := NewEngine([]*project.File{{Path: "macros/m.sql", Src: []byte(macros)}}, testEngines)
		if err != nil {
			return
		}
		tmpl, err := e.Parse("models/m.sql", []byte(model))
		if err != nil {
			return
		}
		out, err := e.Render(context.Background(), tmpl, Context{Vars: map[string]any{"x": 1}, Resolver: nil})
		if err == nil && out == nil {
			t.Fatal("nil output without an error")
		}
	})
}
