// Package template renders model SQL: Go text/template with sprig's
// hermetic functions plus ingot's own (ref, source, config, var, ...), and
// project macros callable as functions. It knows nothing about databases:
// relations come from a Resolver and run_query from a callback.
package template

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"text/template"
	"text/template/parse"
	"time"
	"unicode/utf8"

	"github.com/Masterminds/sprig/v3"

	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// builtins are ingot's template functions; macros may not take these names.
var builtinNames = []string{"ref", "source", "config", "var", "env_var", "this", "is_incremental", "target", "run_query", "today", "run_started_at", "identifier", "return"}

// Engines is what templates know of the warehouse engines ingot has.
type Engines struct {
	// MacroPrefixes are every engine's macro prefixes ("duckdb" for
	// duckdb__x): a macro named with one, or with default__, is a version
	// of the unprefixed macro.
	MacroPrefixes []string
	// MaxIdentifierBytes is the length identifier cuts names to, the
	// smallest limit of the engines (0: no limit).
	MaxIdentifierBytes int
}

// Engine holds the parsed macros of a project; it is safe for concurrent
// use once built.
type Engine struct {
	base     *template.Template
	maxIdent int               // Engines.MaxIdentifierBytes
	sources  map[string][]byte // template name → file content, for error lines
	macros   map[string]bool   // every defined macro name
	callers  []string          // function names bound to macros (after dispatch)

	// parseFuncs are the function names a template may call, for parsing
	// models straight into trees: cloning base per model would copy its
	// function maps (hundreds of sprig entries) for each of them.
	parseFuncs map[string]any
	// sets recycles renderSets; shareable is false when a macro names a
	// template by something other than a macro, so a shared set could
	// expose a model rendered earlier (see Render).
	sets      sync.Pool
	shareable bool
}

// textBuiltins are text/template's predefined functions, which parse
// needs to know by name when trees are parsed without a text/template.
var textBuiltins = func() map[string]any {
	stub := func() {}
	m := map[string]any{}
	for _, n := range []string{"and", "call", "html", "index", "slice", "js", "len", "not", "or",
		"print", "printf", "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"} {
		m[n] = stub
	}
	return m
}()

var defineRe = regexp.MustCompile(`\{\{-?\s*define\s+"([^"]+)"`)

// NewEngine parses macro files. Macro names are found first so models and
// macros can call any macro as a function.
func NewEngine(macroFiles []*project.File, engines Engines) (*Engine, error) {
	e := &Engine{sources: map[string][]byte{}, macros: map[string]bool{}, maxIdent: engines.MaxIdentifierBytes}
	prefixes := []string{"default__"}
	for _, p := range engines.MacroPrefixes {
		prefixes = append(prefixes, p+"__")
	}
	var errs diag.List
	builtin := map[string]bool{}
	for _, b := range append(builtinNames, loopStepFunc) {
		builtin[b] = true
	}
	callers := map[string]bool{}
	for _, f := range macroFiles {
		e.sources[f.Path] = f.Src
		for _, m := range defineRe.FindAllSubmatchIndex(f.Src, -1) {
			name := string(f.Src[m[2]:m[3]])
			base := name
			for _, p := range prefixes {
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
	stubs := e.stubFuncs()
	e.parseFuncs = make(map[string]any, len(stubs))
	for k, v := range stubs {
		e.parseFuncs[k] = v
	}
	e.base = template.New("").Funcs(stubs).Option("missingkey=error")
	for _, f := range macroFiles {
		if _, err := e.base.New(f.Path).Parse(string(f.Src)); err != nil {
			d := diag.FromTemplate(err, f.Path, e.source)
			jinjaHint(d)
			if j := findJinja(f.Path, f.Src); len(j) > 0 {
				errs.Add(j.Err()) // the parse error follows from the Jinja
				continue
			}
			errs.Add(d)
			continue
		}
		errs.Add(findJinja(f.Path, f.Src).Err())
	}
	e.shareable = true
	for _, t := range e.base.Templates() {
		if t.Tree == nil {
			continue
		}
		guardLoops(t.Tree.Root)
		for _, name := range templateCalls(t.Tree.Root) {
			if e.base.Lookup(name) == nil {
				e.shareable = false
			}
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
	for k, v := range funcsOf(nil) {
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
	trees map[string]*parse.Tree // the file's body under Name, plus its own {{ define }}s
	Calls []Call                 // literal ref/source calls found in the parse tree
	// shareable: the file defines no templates of its own and names only
	// macros in {{ template }}, so it can be rendered in a recycled set.
	shareable bool
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
	text := string(src)
	trees, err := parse.Parse(name, text, "", "", e.parseFuncs, textBuiltins)
	if err != nil {
		d := diag.FromTemplate(err, name, func(n string) []byte {
			if n == name {
				return src
			}
			return e.source(n)
		})
		jinjaHint(d)
		if errs := findJinja(name, src); len(errs) > 0 {
			return nil, errs.Err() // the parse error follows from the Jinja
		}
		return nil, d
	}
	if errs := findJinja(name, src); len(errs) > 0 {
		return nil, errs.Err()
	}
	for _, t := range trees {
		guardLoops(t.Root)
	}
	out := &Template{Name: name, Src: src, trees: trees}
	main := trees[name]
	if main != nil {
		walkCalls(text, main.Root, &out.Calls)
	}
	out.shareable = main != nil && len(trees) == 1 && e.base.Lookup(name) == nil
	if out.shareable {
		for _, n := range templateCalls(main.Root) {
			if e.base.Lookup(n) == nil {
				out.shareable = false
			}
		}
	}
	return out, nil
}

// templateCalls lists the names used by {{ template "name" }} actions
// under n.
func templateCalls(n parse.Node) []string {
	var out []string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		switch x := n.(type) {
		case *parse.ListNode:
			if x == nil {
				return
			}
			for _, c := range x.Nodes {
				walk(c)
			}
		case *parse.IfNode:
			walk(x.List)
			walk(x.ElseList)
		case *parse.RangeNode:
			walk(x.List)
			walk(x.ElseList)
		case *parse.WithNode:
			walk(x.List)
			walk(x.ElseList)
		case *parse.TemplateNode:
			out = append(out, x.Name)
		}
	}
	walk(n)
	return out
}

// walkCalls finds ref/source calls whose arguments are all string
// literals, so refs in branches not taken still become dependencies and
// errors can point at them.
func walkCalls(src string, n parse.Node, out *[]Call) {
	switch x := n.(type) {
	case *parse.ListNode:
		if x == nil {
			return
		}
		for _, c := range x.Nodes {
			walkCalls(src, c, out)
		}
	case *parse.ActionNode:
		walkCalls(src, x.Pipe, out)
	case *parse.PipeNode:
		if x == nil {
			return
		}
		for _, c := range x.Cmds {
			walkCalls(src, c, out)
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
					line, col := position(src, x.Position())
					*out = append(*out, Call{Func: id.Ident, Args: args, Line: line, Col: col})
				}
			}
		}
		for _, a := range x.Args {
			walkCalls(src, a, out)
		}
	case *parse.IfNode:
		walkBranch(src, &x.BranchNode, out)
	case *parse.RangeNode:
		walkBranch(src, &x.BranchNode, out)
	case *parse.WithNode:
		walkBranch(src, &x.BranchNode, out)
	case *parse.TemplateNode:
		walkCalls(src, x.Pipe, out)
	}
}

func walkBranch(src string, b *parse.BranchNode, out *[]Call) {
	walkCalls(src, b.Pipe, out)
	walkCalls(src, b.List, out)
	walkCalls(src, b.ElseList, out)
}

// position is the 1-based line and column of byte offset pos in src, as
// parse.Tree.ErrorContext counts them (columns in bytes), without
// formatting the node's text and parsing the numbers back.
func position(src string, pos parse.Pos) (int, int) {
	before := src[:min(int(pos), len(src))]
	return 1 + strings.Count(before, "\n"), len(before) - (strings.LastIndexByte(before, '\n') + 1) + 1
}

// Resolver turns ref and source arguments into SQL relation text.
type Resolver interface {
	Ref(name string) (string, error)
	Source(source, table string) (string, error)
}

// Context is everything a render may look at.
type Context struct {
	Model      map[string]any // name, schema, path
	This       string
	TargetName string
	TargetType string
	// MacroPrefixes are the target engine's macro prefixes, tried in order
	// before default__ (Dialect.MacroPrefixes).
	MacroPrefixes []string
	TargetSchema  string // the schema models land in by default
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

// renderSet is a copy of the macro templates whose functions call into
// the render currently using it. Binding functions costs a copy of every
// function map, so sets are recycled rather than made per render.
type renderSet struct {
	tmpl  *template.Template
	cur   *renderer
	added int // model templates added so far
}

// maxSetModels bounds how many model trees a recycled set accumulates.
const maxSetModels = 1024

func (e *Engine) newSet() (*renderSet, error) {
	clone, err := e.base.Clone()
	if err != nil {
		return nil, err
	}
	s := &renderSet{tmpl: clone}
	clone.Funcs(e.boundFuncs(func() *renderer { return s.cur }))
	return s, nil
}

// boundFuncs are ingot's functions and the macro functions, calling into
// the renderer cur returns when they run.
func (e *Engine) boundFuncs(cur func() *renderer) template.FuncMap {
	fm := funcsOf(cur)
	for _, name := range e.callers {
		fm[name] = func(args ...any) (string, error) { return cur().callMacro(name, args) }
	}
	return fm
}

// Render executes t with c.
//
// A render runs in a set of templates holding the macros and t's trees.
// Templates that define nothing of their own and name only macros in
// {{ template }} run in a recycled set: the model trees left in it from
// earlier renders cannot be reached by name from such templates. Others
// get a fresh set.
func (e *Engine) Render(ctx context.Context, t *Template, c Context) (*Output, error) {
	r := &renderer{ctx: ctx, c: c, e: e, out: &Output{Config: project.Config{}}, seen: map[string]bool{}}
	var set *renderSet
	if e.shareable && t.shareable {
		set, _ = e.sets.Get().(*renderSet)
	}
	if set == nil {
		var err error
		if set, err = e.newSet(); err != nil {
			return nil, err
		}
	}
	for name, tree := range t.trees {
		if _, err := set.tmpl.AddParseTree(name, tree); err != nil {
			return nil, err
		}
	}
	set.cur = r
	r.tmpl = set.tmpl
	defer func() {
		set.cur = nil
		set.added++
		if e.shareable && t.shareable && set.added < maxSetModels {
			e.sets.Put(set)
		}
	}()
	buf := limitedBuffer{left: &r.outputLeft}
	r.outputLeft = MaxOutputBytes
	r.stepsLeft = MaxLoopSteps
	dot := map[string]any{
		"target": r.target(),
		"this":   c.This,
		"model":  c.Model,
		"vars":   c.Vars,
	}
	if err := set.tmpl.ExecuteTemplate(&buf, t.Name, dot); err != nil {
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
	// Budgets of one render (see limits.go).
	depth      int
	outputLeft int
	stepsLeft  int
}

// funcsOf returns ingot's template functions, each running on the
// renderer cur returns at call time.
func funcsOf(cur func() *renderer) template.FuncMap {
	return template.FuncMap{
		"ref":            func(args ...string) (string, error) { return cur().ref(args...) },
		"source":         func(src, table string) (string, error) { return cur().source(src, table) },
		"config":         func(args ...any) (string, error) { return cur().config(args...) },
		"var":            func(name string, def ...any) (any, error) { return cur().variable(name, def...) },
		"env_var":        func(name string, def ...string) (string, error) { return cur().envVar(name, def...) },
		"this":           func() string { return cur().c.This },
		"is_incremental": func() bool { return cur().c.IsIncremental },
		"target":         func() map[string]any { return cur().target() },
		"run_query":      func(sql string) ([]map[string]any, error) { return cur().runQuery(sql) },
		"today":          func() string { return cur().c.RunStarted.UTC().Format("2006-01-02") },
		"run_started_at": func() string { return cur().c.RunStarted.UTC().Format("2006-01-02 15:04:05") },
		"identifier":     func(name string) string { return identifier(name, cur().e.maxIdent) },
		"return":         func(v any) any { return v },
		loopStepFunc:     func() (string, error) { return "", cur().loopStep() },
		"repeat":         boundedRepeat,
		"indent":         boundedIndent,
		"nindent":        boundedNindent,
		"until":          boundedUntil,
		"untilStep":      boundedUntilStep,
	}
}

// identifier makes a name from data (a column per answer key, say) that
// every engine spells the same: name itself when it fits in limit bytes
// (the smallest limit of the engines: PostgreSQL cuts names at 63 where
// DuckDB keeps them whole), otherwise its beginning, cut on a character
// boundary, then "_" and 8 hex characters of its SHA-256, limit bytes at
// most, so that long names that share a beginning stay apart.
func identifier(name string, limit int) string {
	if limit <= 9 || len(name) <= limit {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	keep := limit - 9
	for keep > 0 && !utf8.RuneStart(name[keep]) {
		keep--
	}
	return name[:keep] + "_" + hex.EncodeToString(sum[:4])
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
	if why := project.UnsupportedConfig(key); why != "" {
		return fmt.Errorf("config %s is not supported: %s", k, why)
	}
	known := project.ModelConfigKeys()
	if err := project.CheckConfigValue(key, v); err != nil {
		return err
	}
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
	return map[string]any{"name": r.c.TargetName, "type": r.c.TargetType, "schema": r.c.TargetSchema}
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

// callMacro runs the macro called as function name in this render,
// dispatching on the target engine: <prefix>__name for each of its macro
// prefixes, then default__name, then name.
func (r *renderer) callMacro(name string, args []any) (string, error) {
	target := ""
	cands := make([]string, 0, len(r.c.MacroPrefixes)+2)
	for _, p := range r.c.MacroPrefixes {
		cands = append(cands, p+"__"+name)
	}
	for _, cand := range append(cands, "default__"+name, name) {
		if r.e.macros[cand] {
			target = cand
			break
		}
	}
	if target == "" {
		own := r.c.TargetType
		if len(r.c.MacroPrefixes) > 0 {
			own = r.c.MacroPrefixes[0]
		}
		return "", fmt.Errorf("macro %q has no version for engine %q (define %s__%s or default__%s)", name, r.c.TargetType, own, name, name)
	}
	var dot any
	switch len(args) {
	case 0:
	case 1:
		dot = args[0]
	default:
		dot = args
	}
	if r.depth >= MaxMacroDepth {
		return "", &limitError{fmt.Sprintf("macro %q: macros call each other more than %d deep (the limit); a macro that calls itself needs a condition that ends the recursion", name, MaxMacroDepth)}
	}
	r.depth++
	defer func() { r.depth-- }()
	buf := limitedBuffer{left: &r.outputLeft}
	if err := r.tmpl.ExecuteTemplate(&buf, target, dot); err != nil {
		var le *limitError
		if errors.As(err, &le) {
			return "", le // one message, not one location per nested call
		}
		if d := diag.FromTemplate(err, "", r.e.source); d.Line > 0 {
			return "", fmt.Errorf("%s: %s", d.File+":"+fmt.Sprint(d.Line), d.Msg)
		}
		return "", err
	}
	return strings.TrimSpace(buf.String()), nil
}
