// Package template renders model SQL: Go text/template with sprig's
// hermetic functions plus ingot's own (ref, source, config, var, ...), and
// project macros callable as functions. It knows nothing about databases:
// relations come from a Resolver and run_query from a callback.
package template

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/template"
	"text/template/parse"
	"time"

	"github.com/Masterminds/sprig/v3"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// builtins are ingot's template functions; macros may not take these names.
var builtinNames = []string{"ref", "source", "config", "var", "env_var", "this", "is_incremental", "target", "run_query", "today", "run_started_at", "return"}

// enginePrefixes are the engine-specific macro name prefixes dispatched on.
var enginePrefixes = []string{"duckdb__", "postgres__", "default__"}

// Engine holds the parsed macros of a project; it is safe for concurrent
// use once built.
type Engine struct {
	base    *template.Template
	sources map[string][]byte // template name → file content, for error lines
	macros  map[string]bool   // every defined macro name
	callers []string          // function names bound to macros (after dispatch)
}

var defineRe = regexp.MustCompile(`\{\{-?\s*define\s+"([^"]+)"`)

// NewEngine parses macro files. Macro names are found first so models and
// macros can call any macro as a function.
func NewEngine(macroFiles []*project.File) (*Engine, error) {
	e := &Engine{sources: map[string][]byte{}, macros: map[string]bool{}}
	var errs diag.List
	builtin := map[string]bool{}
	for _, b := range builtinNames {
		builtin[b] = true
	}
	callers := map[string]bool{}
	for _, f := range macroFiles {
		e.sources[f.Path] = f.Src
		for _, m := range defineRe.FindAllSubmatchIndex(f.Src, -1) {
			name := string(f.Src[m[2]:m[3]])
			base := name
			for _, p := range enginePrefixes {
				base = strings.TrimPrefix(base, p)
			}
			line := bytes.Count(f.Src[:m[0]], []byte("\n")) + 1
			if builtin[base] {
				errs.Add(diag.At(f.Path, f.Src, line, 0, "macro %q has the name of a built-in function; rename it", name))
				continue
			}
			if !validIdent(base) || !validIdent(name) {
				errs.Add(diag.At(f.Path, f.Src, line, 0, "macro name %q must be a valid identifier (letters, digits, _)", name))
				continue
			}
			e.macros[name] = true
			callers[base] = true
			callers[name] = true
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	e.callers = make([]string, 0, len(callers))
	for c := range callers {
		e.callers = append(e.callers, c)
	}
	sort.Strings(e.callers)
	e.base = template.New("").Funcs(e.stubFuncs()).Option("missingkey=error")
	for _, f := range macroFiles {
		if _, err := e.base.New(f.Path).Parse(string(f.Src)); err != nil {
			errs.Add(diag.FromTemplate(err, f.Path, e.source))
		}
	}
	return e, errs.Err()
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}

func (e *Engine) source(name string) []byte { return e.sources[name] }

// Macros lists the defined macro names, sorted.
func (e *Engine) Macros() []string {
	out := make([]string, 0, len(e.macros))
	for m := range e.macros {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// HasMacro reports whether a macro (by full name) is defined.
func (e *Engine) HasMacro(name string) bool { return e.macros[name] }

// stubFuncs gives parse time every function name; Render binds real ones.
func (e *Engine) stubFuncs() template.FuncMap {
	fm := template.FuncMap(sprig.HermeticTxtFuncMap())
	for k, v := range (&renderer{}).funcs() {
		fm[k] = v
	}
	for _, c := range e.callers {
		fm[c] = func(args ...any) (string, error) { return "", nil }
	}
	return fm
}

// Template is one parsed model (or test) template.
type Template struct {
	Name  string // project-relative path
	Src   []byte
	tmpl  *template.Template
	Calls []Call // literal ref/source calls found in the parse tree
}

// Call is a ref or source call with literal string arguments.
type Call struct {
	Func string
	Args []string
	Line int
	Col  int
}

// Parse parses a model template named by its project-relative path.
func (e *Engine) Parse(name string, src []byte) (*Template, error) {
	t, err := e.base.Clone()
	if err != nil {
		return nil, err
	}
	nt, err := t.New(name).Parse(string(src))
	if err != nil {
		return nil, diag.FromTemplate(err, name, func(n string) []byte {
			if n == name {
				return src
			}
			return e.source(n)
		})
	}
	out := &Template{Name: name, Src: src, tmpl: nt}
	if nt.Tree != nil {
		walkCalls(nt, nt.Tree.Root, &out.Calls)
	}
	return out, nil
}

// walkCalls finds ref/source calls whose arguments are all string
// literals, so refs in branches not taken still become dependencies and
// errors can point at them.
func walkCalls(t *template.Template, n parse.Node, out *[]Call) {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return
		}
		for _, c := range x.Nodes {
			walkCalls(t, c, out)
		}
	case *parse.ActionNode:
		walkCalls(t, x.Pipe, out)
	case *parse.PipeNode:
		if x == nil {
			return
		}
		for _, c := range x.Cmds {
			walkCalls(t, c, out)
		}
	case *parse.CommandNode:
		if len(x.Args) > 0 {
			if id, ok := x.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "ref" || id.Ident == "source") {
				var args []string
				lit := true
				for _, a := range x.Args[1:] {
					s, ok := a.(*parse.StringNode)
					if !ok {
						lit = false
						break
					}
					args = append(args, s.Text)
				}
				if lit && len(args) > 0 {
					line, col := position(t, x)
					*out = append(*out, Call{Func: id.Ident, Args: args, Line: line, Col: col})
				}
			}
		}
		for _, a := range x.Args {
			walkCalls(t, a, out)
		}
	case *parse.IfNode:
		walkBranch(t, &x.BranchNode, out)
	case *parse.RangeNode:
		walkBranch(t, &x.BranchNode, out)
	case *parse.WithNode:
		walkBranch(t, &x.BranchNode, out)
	case *parse.TemplateNode:
		walkCalls(t, x.Pipe, out)
	}
}

func walkBranch(t *template.Template, b *parse.BranchNode, out *[]Call) {
	walkCalls(t, b.Pipe, out)
	walkCalls(t, b.List, out)
	walkCalls(t, b.ElseList, out)
}

func position(t *template.Template, n parse.Node) (int, int) {
	loc, _ := t.ErrorContext(n)
	parts := strings.Split(loc, ":")
	if len(parts) < 3 {
		return 0, 0
	}
	var line, col int
	fmt.Sscan(parts[len(parts)-2], &line)
	fmt.Sscan(parts[len(parts)-1], &col)
	return line, col + 1 // text/template counts columns from 0
}

// Resolver turns ref and source arguments into SQL relation text.
type Resolver interface {
	Ref(name string) (string, error)
	Source(source, table string) (string, error)
}

// Context is everything a render may look at.
type Context struct {
	Model         map[string]any // name, schema, path
	This          string
	TargetName    string
	TargetType    string
	Vars          map[string]any
	Getenv        func(string) (string, bool)
	IsIncremental bool
	RunStarted    time.Time
	Resolver      Resolver
	// Query runs SQL for run_query; nil (parse mode) makes run_query
	// return no rows.
	Query func(ctx context.Context, sql string) ([]map[string]any, error)
}

// Output is a rendered template and what it asked for.
type Output struct {
	SQL     string
	Refs    []string    // ref arguments in call order, without duplicates
	Sources [][2]string // source calls
	Config  project.Config
}

// Render executes t with c.
func (e *Engine) Render(ctx context.Context, t *Template, c Context) (*Output, error) {
	clone, err := t.tmpl.Clone()
	if err != nil {
		return nil, err
	}
	r := &renderer{ctx: ctx, c: c, e: e, tmpl: clone, out: &Output{Config: project.Config{}}, seen: map[string]bool{}}
	fm := r.funcs()
	for _, name := range e.callers {
		fm[name] = r.macroFunc(name)
	}
	clone.Funcs(fm)
	var buf bytes.Buffer
	dot := map[string]any{
		"target": r.target(),
		"this":   c.This,
		"model":  c.Model,
		"vars":   c.Vars,
	}
	if err := clone.ExecuteTemplate(&buf, t.Name, dot); err != nil {
		return nil, diag.FromTemplate(err, t.Name, func(n string) []byte {
			if n == t.Name {
				return t.Src
			}
			return e.source(n)
		})
	}
	r.out.SQL = buf.String()
	return r.out, nil
}

type renderer struct {
	ctx  context.Context
	c    Context
	e    *Engine
	tmpl *template.Template
	out  *Output
	seen map[string]bool
}

func (r *renderer) funcs() template.FuncMap {
	return template.FuncMap{
		"ref":            r.ref,
		"source":         r.source,
		"config":         r.config,
		"var":            r.variable,
		"env_var":        r.envVar,
		"this":           func() string { return r.c.This },
		"is_incremental": func() bool { return r.c.IsIncremental },
		"target":         r.target,
		"run_query":      r.runQuery,
		"today":          func() string { return r.c.RunStarted.UTC().Format("2006-01-02") },
		"run_started_at": func() string { return r.c.RunStarted.UTC().Format("2006-01-02 15:04:05") },
		"return":         func(v any) any { return v },
	}
}

func (r *renderer) ref(args ...string) (string, error) {
	if len(args) != 1 {
		return "", fmt.Errorf("ref takes one name (\"model\" or \"schema.model\"), got %d arguments", len(args))
	}
	name := args[0]
	if !r.seen["ref:"+name] {
		r.seen["ref:"+name] = true
		r.out.Refs = append(r.out.Refs, name)
	}
	if r.c.Resolver == nil {
		return "", fmt.Errorf("ref %q: no resolver", name)
	}
	return r.c.Resolver.Ref(name)
}

func (r *renderer) source(src, table string) (string, error) {
	key := "source:" + src + "." + table
	if !r.seen[key] {
		r.seen[key] = true
		r.out.Sources = append(r.out.Sources, [2]string{src, table})
	}
	if r.c.Resolver == nil {
		return "", fmt.Errorf("source %q %q: no resolver", src, table)
	}
	return r.c.Resolver.Source(src, table)
}

func (r *renderer) config(args ...any) (string, error) {
	if len(args) == 1 {
		m, ok := args[0].(map[string]any)
		if !ok {
			return "", fmt.Errorf("config takes key value pairs or a dict")
		}
		for k, v := range m {
			if err := r.setConfig(k, v); err != nil {
				return "", err
			}
		}
		return "", nil
	}
	if len(args)%2 != 0 {
		return "", fmt.Errorf("config takes key value pairs; got an odd number of arguments")
	}
	for i := 0; i < len(args); i += 2 {
		k, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("config key %v is not a string", args[i])
		}
		if err := r.setConfig(k, args[i+1]); err != nil {
			return "", err
		}
	}
	return "", nil
}

func (r *renderer) setConfig(k string, v any) error {
	key := strings.ReplaceAll(strings.TrimPrefix(k, "+"), "-", "_")
	known := project.ModelConfigKeys()
	for _, kk := range known {
		if kk == key {
			if key == "tags" {
				r.out.Config = r.out.Config.Merge(project.Config{"tags": v})
			} else {
				r.out.Config[key] = v
			}
			return nil
		}
	}
	msg := fmt.Sprintf("unknown config key %q", k)
	if s := textutil.Suggest(key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%s", msg)
}

func (r *renderer) variable(name string, def ...any) (any, error) {
	if v, ok := r.c.Vars[name]; ok {
		return v, nil
	}
	if len(def) > 0 {
		return def[0], nil
	}
	return nil, fmt.Errorf("var %q is not set: add it to vars in project.yml, pass --vars '{%s: ...}', or give a default: var %q \"default\"", name, name, name)
}

func (r *renderer) envVar(name string, def ...string) (string, error) {
	if r.c.Getenv != nil {
		if v, ok := r.c.Getenv(name); ok {
			return v, nil
		}
	}
	if len(def) > 0 {
		return def[0], nil
	}
	return "", fmt.Errorf("environment variable %s is not set and has no default", name)
}

func (r *renderer) target() map[string]any {
	return map[string]any{"name": r.c.TargetName, "type": r.c.TargetType}
}

func (r *renderer) runQuery(sql string) ([]map[string]any, error) {
	if r.c.Query == nil {
		return []map[string]any{}, nil
	}
	rows, err := r.c.Query(r.ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("run_query: %w", err)
	}
	return rows, nil
}

// macroFunc binds a macro name to this render, dispatching on the target
// engine: <type>__name, then default__name, then name.
func (r *renderer) macroFunc(name string) func(args ...any) (string, error) {
	return func(args ...any) (string, error) {
		target := name
		for _, cand := range []string{r.c.TargetType + "__" + name, "default__" + name, name} {
			if r.e.macros[cand] {
				target = cand
				break
			}
		}
		if !r.e.macros[target] {
			return "", fmt.Errorf("macro %q has no version for engine %q (define %s__%s or default__%s)", name, r.c.TargetType, r.c.TargetType, name, name)
		}
		var dot any
		switch len(args) {
		case 0:
		case 1:
			dot = args[0]
		default:
			dot = args
		}
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, target, dot); err != nil {
			if d := diag.FromTemplate(err, "", r.e.source); d.Line > 0 {
				return "", fmt.Errorf("%s: %s", d.File+":"+fmt.Sprint(d.Line), d.Msg)
			}
			return "", err
		}
		return strings.TrimSpace(buf.String()), nil
	}
}
