package template

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/project"
)

// Renders reuse template sets; nothing one model defines or leaves behind
// may be visible to another.
func TestRenderIsolation(t *testing.T) {
	e := newEngine(t, exampleMacros+`{{ define "shared" }}macro{{ end }}`)
	ctx := context.Background()
	parse := func(name, src string) *Template {
		t.Helper()
		tmpl, err := e.Parse(name, []byte(src))
		if err != nil {
			t.Fatal(err)
		}
		return tmpl
	}
	tests := []struct {
		name    string
		before  []string // templates rendered first (same engine)
		src     string
		want    string
		wantErr string
	}{
		{name: "local define overrides a macro in its own render",
			src: `{{ define "shared" }}local{{ end }}{{ template "shared" }}`, want: "local"},
		{name: "local define does not leak into later renders",
			before: []string{`{{ define "shared" }}local{{ end }}{{ template "shared" }}`},
			src:    `{{ template "shared" }}`, want: "macro"},
		{name: "models rendered earlier cannot be reached by name",
			before: []string{`select 1`},
			src:    `{{ template "models/before0.sql" }}`, wantErr: `template "models/before0.sql" not defined`},
		{name: "a local helper is not visible to another model",
			before: []string{`{{ define "helper" }}h{{ end }}{{ template "helper" }}`},
			src:    `{{ template "helper" }}`, wantErr: `template "helper" not defined`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, src := range tt.before {
				if _, err := e.Render(ctx, parse(fmt.Sprintf("models/before%d.sql", i), src), exampleContext("duckdb")); err != nil {
					t.Fatalf("before %d: %v", i, err)
				}
			}
			out, err := e.Render(ctx, parse("models/x.sql", tt.src), exampleContext("duckdb"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.SQL != tt.want {
				t.Errorf("got %q, want %q", out.SQL, tt.want)
			}
		})
	}
}

// A macro naming a template that is not a macro makes every render use a
// fresh set, so a model's own helper still resolves only in that model.
func TestRenderMacroNamingModelTemplate(t *testing.T) {
	e, err := NewEngine([]*project.File{{Path: "macros/m.sql", Src: []byte(`{{ define "wrap" }}[{{ template "helper" }}]{{ end }}`)}}, testEngines)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := e.Parse("models/a.sql", []byte(`{{ define "helper" }}a{{ end }}{{ wrap }}`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.Parse("models/b.sql", []byte(`{{ wrap }}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Render(ctx, a, exampleContext("duckdb"))
	if err != nil || out.SQL != "[a]" {
		t.Fatalf("a: %v %v", out, err)
	}
	if _, err := e.Render(ctx, b, exampleContext("duckdb")); err == nil || !strings.Contains(err.Error(), `template "helper" not defined`) {
		t.Fatalf("b: error %v, want template not defined", err)
	}
}

// Concurrent renders each see their own context.
func TestRenderConcurrent(t *testing.T) {
	e := newEngine(t, exampleMacros)
	tmpl, err := e.Parse("models/x.sql", []byte(`{{ var "n" }} {{ cents (var "n") }} {{ this }}`))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := exampleContext("duckdb")
			c.Vars = map[string]any{"n": i}
			c.This = fmt.Sprintf("t%d", i)
			out, err := e.Render(context.Background(), tmpl, c)
			if err != nil {
				errs <- err
				return
			}
			if want := fmt.Sprintf("%d (%d / 100.0) t%d", i, i, i); out.SQL != want {
				errs <- fmt.Errorf("got %q, want %q", out.SQL, want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
