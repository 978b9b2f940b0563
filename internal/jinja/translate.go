package jinja

import (
	"fmt"
	"strconv"
	"strings"
)

// Macro is the signature of a {% macro %} or {% test %}: calls are
// rewritten to pass every parameter by position, defaults filled in,
// because an ingot macro receives its arguments as one value.
type Macro struct {
	Name     string
	Params   []string
	Defaults map[string]*Node
	Test     bool // a generic test: ingot passes it a dict by name
	Line     int
}

// Problem is a piece of Jinja left as written because it has no Go-template
// spelling; a person has to finish it.
type Problem struct {
	Line, Col int
	Text      string // the tag as written (first line)
	Msg       string
}

// Translator spells Jinja as Go templates.
type Translator struct {
	// Macros are the project's macros by name (see Signatures).
	Macros map[string]*Macro
	// Loose treats unknown names as variables and unknown calls as macro
	// calls with positional arguments, for hints on a single tag.
	Loose bool
}

// Signatures lists the macros and generic tests that src defines.
func Signatures(src string) ([]*Macro, error) {
	segs, err := Lex(src)
	if err != nil {
		return nil, err
	}
	var out []*Macro
	for _, s := range segs {
		if s.Kind != Stmt {
			continue
		}
		word, rest := splitWord(s.Body)
		if word != "macro" && word != "test" {
			continue
		}
		m, err := parseSignature(rest)
		if err != nil {
			continue // reported when the file is translated
		}
		m.Test = word == "test"
		m.Line = s.Line
		out = append(out, m)
	}
	return out, nil
}

func parseSignature(s string) (*Macro, error) {
	n, err := ParseExpr(s)
	if err != nil {
		return nil, err
	}
	if n.Op == "name" {
		n = &Node{Op: "call", Kids: []*Node{n}}
	}
	if n.Op != "call" || n.Kids[0].Op != "name" {
		return nil, fmt.Errorf("expected name(parameters)")
	}
	m := &Macro{Name: n.Kids[0].S, Defaults: map[string]*Node{}}
	for _, a := range n.Kids[1:] {
		if a.Op != "name" {
			return nil, fmt.Errorf("a parameter must be a name")
		}
		m.Params = append(m.Params, a.S)
	}
	for _, kw := range n.Kw {
		m.Params = append(m.Params, kw.Name)
		m.Defaults[kw.Name] = kw.Val
	}
	return m, nil
}

func splitWord(s string) (string, string) {
	i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '(' })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

type block struct {
	kind     string // if, for, macro, set, or the verbatim tag's name
	verbatim bool
	outIdx   int               // output position where the block opened
	vars     map[string]string // Jinja scope (for, macro): name → Go variable
	loopIdx  string            // for: index variable
	loopSeq  string            // for: sequence variable
	test     bool
}

type state struct {
	t        *Translator
	out      []string
	blocks   []*block
	top      *block
	n        int
	problems []Problem
}

// Translate spells a Jinja source as a Go template. What cannot be
// translated is kept as written and listed.
func (t *Translator) Translate(src string) (string, []Problem) {
	segs, err := Lex(src)
	if err != nil {
		p := Problem{Line: 1, Col: 1, Msg: err.Error()}
		if e, ok := err.(*Error); ok {
			p = Problem{Line: e.Line, Col: e.Col, Msg: e.Msg}
		}
		return src, []Problem{p}
	}
	st := &state{t: t, top: &block{kind: "top", vars: map[string]string{}}}
	for _, s := range segs {
		st.segment(s)
	}
	for i := len(st.blocks) - 1; i >= 0 && !t.Loose; i-- {
		b := st.blocks[i]
		if !b.verbatim {
			st.problems = append(st.problems, Problem{Msg: fmt.Sprintf("{%% %s %%} is never closed with {%% end%s %%}", b.kind, b.kind)})
		}
	}
	return strings.Join(st.out, ""), st.problems
}

func (st *state) fail(s Segment, format string, args ...any) {
	text := s.Raw
	if i := strings.IndexByte(text, '\n'); i >= 0 {
		text = text[:i] + " …"
	}
	st.problems = append(st.problems, Problem{Line: s.Line, Col: s.Col, Text: text, Msg: fmt.Sprintf(format, args...)})
	st.out = append(st.out, s.Raw)
}

func action(s Segment, body string) string {
	open, close := "{{ ", " }}"
	if s.TrimLeft {
		open = "{{- "
	}
	if s.TrimRight {
		close = " -}}"
	}
	return open + body + close
}

func (st *state) emit(s Segment, body string) { st.out = append(st.out, action(s, body)) }

func (st *state) segment(s Segment) {
	switch s.Kind {
	case Text:
		st.out = append(st.out, s.Raw)
	case Comment:
		body := "/* " + strings.ReplaceAll(s.Body, "*/", "* /") + " */"
		open, close := "{{", "}}" // a Go comment must touch its delimiters
		if s.TrimLeft {
			open = "{{- "
		}
		if s.TrimRight {
			close = " -}}"
		}
		st.out = append(st.out, open+body+close)
	case Expr:
		e, err := st.exprOf(s.Body)
		if err != nil {
			st.fail(s, "%v", err)
			return
		}
		st.emit(s, e)
	case Stmt:
		st.statement(s)
	}
}

func (st *state) exprOf(src string) (string, error) {
	n, err := ParseExpr(src)
	if err != nil {
		return "", fmt.Errorf("cannot read %q: %w", src, err)
	}
	e, _, err := st.ex(n)
	return e, err
}

func (st *state) innermost() *block {
	if len(st.blocks) == 0 {
		return nil
	}
	return st.blocks[len(st.blocks)-1]
}

func (st *state) statement(s Segment) {
	word, rest := splitWord(s.Body)
	cur := st.innermost()
	switch word {
	case "if":
		e, err := st.exprOf(rest)
		if err != nil {
			st.blocks = append(st.blocks, &block{kind: "if", verbatim: true})
			st.fail(s, "%v", err)
			return
		}
		st.blocks = append(st.blocks, &block{kind: "if", outIdx: len(st.out)})
		st.emit(s, "if "+e)
	case "elif", "else":
		if cur == nil {
			if st.t.Loose {
				if word == "else" {
					st.emit(s, "else")
					return
				}
				if e, err := st.exprOf(rest); err == nil {
					st.emit(s, "else if "+e)
					return
				}
			}
			st.fail(s, "{%% %s %%} outside an if or for block", word)
			return
		}
		if cur.verbatim {
			st.out = append(st.out, s.Raw)
			return
		}
		if word == "else" {
			st.emit(s, "else")
			return
		}
		e, err := st.exprOf(rest)
		if err != nil {
			st.fail(s, "%v", err)
			return
		}
		st.emit(s, "else if "+e)
	case "for":
		st.forStmt(s, rest)
	case "set":
		st.setStmt(s, rest)
	case "macro", "test":
		st.macroStmt(s, word, rest)
	case "do":
		st.fail(s, "{%% do %%} changes a value in place, which Go templates cannot; build the value with {%% set %%} (list, dict, append in sprig) instead")
	case "call", "filter", "materialization", "snapshot", "docs", "block":
		st.blocks = append(st.blocks, &block{kind: word, verbatim: true})
		st.fail(s, "%s", unsupportedBlock(word))
	case "include", "import", "from", "extends":
		st.fail(s, "{%% %s %%} has no ingot equivalent; macros in macros/ are visible to every model without importing", word)
	default:
		if strings.HasPrefix(word, "end") {
			st.endStmt(s, strings.TrimPrefix(word, "end"))
			return
		}
		st.fail(s, "unknown statement {%% %s %%}", word)
	}
}

func unsupportedBlock(word string) string {
	switch word {
	case "call":
		return "{% call %} blocks (statement, run_query with a body) have no ingot equivalent; run the SQL as a pre_hook or post_hook, or with run_query"
	case "docs":
		return "{% docs %} blocks belong in a .md file; write the text into the description in the property yml"
	case "snapshot":
		return `{% snapshot %} blocks belong in ingot's snapshots folder: write the block's query as snapshots/NAME.sql with its config as {{ config "unique_key" … "strategy" … }} (convert-dbt does this for the files in snapshot-paths)`
	case "materialization":
		return "custom materializations are not supported; use view, table, incremental or ephemeral"
	}
	return fmt.Sprintf("{%% %s %%} blocks have no Go-template equivalent; rewrite this part by hand", word)
}

func (st *state) endStmt(s Segment, kind string) {
	cur := st.innermost()
	if cur == nil {
		if st.t.Loose {
			st.emit(s, "end")
			return
		}
		st.fail(s, "{%% end%s %%} without an open block", kind)
		return
	}
	if cur.kind != kind {
		st.fail(s, "{%% end%s %%} closes {%% %s %%}", kind, cur.kind)
		return
	}
	st.blocks = st.blocks[:len(st.blocks)-1]
	if cur.verbatim {
		st.out = append(st.out, s.Raw)
		return
	}
	st.emit(s, "end")
}

// scope is the innermost Jinja scope (for, macro or the file).
func (st *state) scope() (*block, int) {
	for i := len(st.blocks) - 1; i >= 0; i-- {
		if b := st.blocks[i]; b.vars != nil {
			return b, i
		}
	}
	return st.top, -1
}

// lookup finds a local variable; a macro body sees only its own.
func (st *state) lookup(name string) (string, bool) {
	for i := len(st.blocks) - 1; i >= 0; i-- {
		b := st.blocks[i]
		if v, ok := b.vars[name]; ok {
			return v, true
		}
		if b.kind == "macro" || b.kind == "test" {
			return "", false
		}
	}
	v, ok := st.top.vars[name]
	return v, ok
}

func (st *state) setStmt(s Segment, rest string) {
	name, expr, ok := strings.Cut(rest, "=")
	name = strings.TrimSpace(name)
	if !ok {
		st.blocks = append(st.blocks, &block{kind: "set", verbatim: true})
		st.fail(s, "{%% set %s %%}…{%% endset %%} captures text, which Go templates cannot; put the text in a macro ({{ define }}) and call it", name)
		return
	}
	if !validName(name) {
		st.fail(s, "{%% set %s = … %%}: only one plain name can be set", name)
		return
	}
	e, err := st.exprOf(strings.TrimSpace(expr))
	if err != nil {
		st.fail(s, "%v", err)
		return
	}
	sc, at := st.scope()
	goVar := "$" + name
	if _, declared := sc.vars[name]; declared {
		st.emit(s, goVar+" = "+e)
		return
	}
	sc.vars[name] = goVar
	// Jinja's if blocks do not scope variables but Go's do: declare the
	// variable before the outermost if it is set in.
	for _, b := range st.blocks[at+1:] {
		if b.kind == "if" {
			decl := action(Segment{}, goVar+` := ""`)
			st.out = append(st.out[:b.outIdx], append([]string{decl}, st.out[b.outIdx:]...)...)
			for _, later := range st.blocks {
				if later.outIdx >= b.outIdx && later != b {
					later.outIdx++
				}
			}
			st.emit(s, goVar+" = "+e)
			return
		}
	}
	st.emit(s, goVar+" := "+e)
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] == '_' || isLetter(s[i]) || i > 0 && isDigit(s[i])) {
			return false
		}
	}
	return true
}

func (st *state) forStmt(s Segment, rest string) {
	targets, iter, ok := strings.Cut(rest, " in ")
	fail := func(format string, args ...any) {
		st.blocks = append(st.blocks, &block{kind: "for", verbatim: true})
		st.fail(s, format, args...)
	}
	if !ok {
		fail("expected {%% for x in list %%}")
		return
	}
	if strings.Contains(iter, " recursive") || strings.Contains(iter, " if ") {
		fail("for loops with recursive or if have no Go-template spelling; filter inside the loop with {%% if %%}")
		return
	}
	names := strings.Split(targets, ",")
	for i := range names {
		names[i] = strings.TrimSpace(names[i])
		if !validName(names[i]) {
			fail("loop variable %q must be a plain name", names[i])
			return
		}
	}
	if len(names) > 2 {
		fail("a for loop takes one or two variables")
		return
	}
	n, err := ParseExpr(strings.TrimSpace(iter))
	if err != nil {
		fail("cannot read %q: %v", iter, err)
		return
	}
	items := false
	if n.Op == "call" && len(n.Kids) == 1 && n.Kids[0].Op == "attr" && n.Kids[0].S == "items" {
		items = true
		n = n.Kids[0].Kids[0]
	}
	if len(names) == 2 && !items {
		fail("two loop variables need a dict: for k, v in d.items()")
		return
	}
	seq, err := st.arg(n)
	if err != nil {
		fail("%v", err)
		return
	}
	st.n++
	b := &block{kind: "for", outIdx: len(st.out), vars: map[string]string{}}
	b.loopSeq = fmt.Sprintf("$seq%d", st.n)
	b.loopIdx = fmt.Sprintf("$i%d", st.n)
	st.out = append(st.out, action(Segment{TrimLeft: s.TrimLeft}, b.loopSeq+" := "+seq))
	var vars string
	if items {
		b.loopIdx = ""
		vars = "$" + names[0] + ", $" + names[1]
	} else {
		vars = b.loopIdx + ", $" + names[0]
	}
	for _, nm := range names {
		b.vars[nm] = "$" + nm
	}
	st.blocks = append(st.blocks, b)
	st.emit(Segment{TrimRight: s.TrimRight}, "range "+vars+" := "+b.loopSeq)
}

func (st *state) macroStmt(s Segment, word, rest string) {
	m, err := parseSignature(rest)
	if err != nil {
		st.blocks = append(st.blocks, &block{kind: word, verbatim: true})
		st.fail(s, "cannot read the %s signature %q: %v", word, rest, err)
		return
	}
	if len(st.blocks) > 0 {
		st.blocks = append(st.blocks, &block{kind: word, verbatim: true})
		st.fail(s, "a %s inside another block; move it to the top of the file", word)
		return
	}
	b := &block{kind: word, outIdx: len(st.out), vars: map[string]string{}, test: word == "test"}
	name := m.Name
	if b.test {
		name = "test_" + name
	}
	var binds []string
	for i, p := range m.Params {
		b.vars[p] = "$" + p
		var v string
		switch {
		case b.test:
			v = fmt.Sprintf("index . %q", p)
		case len(m.Params) == 1:
			v = "."
		default:
			v = fmt.Sprintf("index . %d", i)
		}
		if d, ok := m.Defaults[p]; ok && b.test {
			ds, err := st.arg(d)
			if err != nil {
				st.blocks = append(st.blocks, &block{kind: word, verbatim: true})
				st.fail(s, "default of %s: %v", p, err)
				return
			}
			v = "default " + ds + " (" + v + ")"
		}
		binds = append(binds, "{{ $"+p+" := "+v+" }}")
	}
	st.blocks = append(st.blocks, b)
	st.emit(s, fmt.Sprintf("define %q", name))
	st.out = append(st.out, strings.Join(binds, ""))
}

// arg translates n for use as an argument: commands are parenthesized.
func (st *state) arg(n *Node) (string, error) {
	s, cmd, err := st.ex(n)
	if cmd {
		s = "(" + s + ")"
	}
	return s, err
}

func (st *state) args(ns []*Node) (string, error) {
	var parts []string
	for _, n := range ns {
		s, err := st.arg(n)
		if err != nil {
			return "", err
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " "), nil
}

func cmd(fn string, args string) (string, bool, error) {
	if args == "" {
		return fn, true, nil
	}
	return fn + " " + args, true, nil
}

// ex translates an expression: the Go text and whether it is a command
// with arguments (to be parenthesized when used as an argument).
func (st *state) ex(n *Node) (string, bool, error) {
	switch n.Op {
	case "str":
		return strconv.Quote(n.S), false, nil
	case "num":
		return n.S, false, nil
	case "const":
		if n.S == "none" {
			return "nil", false, nil
		}
		return n.S, false, nil
	case "list":
		a, err := st.args(n.Kids)
		if err != nil {
			return "", false, err
		}
		return cmd("list", a)
	case "dict":
		a, err := st.args(n.Kids)
		if err != nil {
			return "", false, err
		}
		return cmd("dict", a)
	case "name":
		return st.name(n.S)
	case "attr":
		return st.attr(n)
	case "index":
		a, err := st.args(n.Kids)
		if err != nil {
			return "", false, err
		}
		return cmd("index", a)
	case "call":
		return st.call(n)
	case "filter":
		return st.filter(n)
	case "not":
		a, err := st.arg(n.Kids[0])
		return "not " + a, true, err
	case "neg":
		a, err := st.arg(n.Kids[0])
		return "sub 0 " + a, true, err
	case "cond":
		a, err := st.args([]*Node{n.Kids[0], n.Kids[2], n.Kids[1]})
		return "ternary " + a, true, err
	case "is":
		return st.test(n)
	case "bin":
		return st.binary(n)
	}
	return "", false, fmt.Errorf("cannot translate %s", n.Op)
}

var compareFuncs = map[string]string{"==": "eq", "!=": "ne", "<": "lt", ">": "gt", "<=": "le", ">=": "ge",
	"and": "and", "or": "or", "-": "sub", "*": "mul", "/": "divf", "//": "div", "%": "mod"}

func (st *state) binary(n *Node) (string, bool, error) {
	a, err := st.args(n.Kids)
	if err != nil {
		return "", false, err
	}
	switch n.S {
	case "~":
		return `printf "%v%v" ` + a, true, nil
	case "+":
		if n.Kids[0].Op == "str" || n.Kids[1].Op == "str" {
			return `printf "%v%v" ` + a, true, nil
		}
		return "add " + a, true, nil
	case "in":
		return "has " + a, true, nil
	case "not in":
		return "not (has " + a + ")", true, nil
	}
	if f, ok := compareFuncs[n.S]; ok {
		return f + " " + a, true, nil
	}
	return "", false, fmt.Errorf("operator %s has no Go-template spelling", n.S)
}

func (st *state) test(n *Node) (string, bool, error) {
	x, err := st.arg(n.Kids[0])
	if err != nil {
		return "", false, err
	}
	switch n.S {
	case "none":
		return `eq (kindOf ` + x + `) "invalid"`, true, nil
	case "not none":
		return `ne (kindOf ` + x + `) "invalid"`, true, nil
	case "string", "not string":
		s := `kindIs "string" ` + x
		if strings.HasPrefix(n.S, "not ") {
			return "not (" + s + ")", true, nil
		}
		return s, true, nil
	}
	return "", false, fmt.Errorf("the test \"is %s\" has no Go-template spelling; compare the value instead", n.S)
}

func (st *state) name(s string) (string, bool, error) {
	if v, ok := st.lookup(s); ok {
		return v, false, nil
	}
	switch s {
	case "this", "is_incremental", "target", "today", "run_started_at":
		return s, false, nil
	case "execute":
		return "", false, fmt.Errorf("execute has no ingot equivalent: models are rendered once per build; run_query returns no rows at parse time, so test the rows it returned instead")
	case "model", "graph", "builtins", "modules", "flags", "invocation_id":
		return "", false, fmt.Errorf("%s (dbt's context object) has no ingot equivalent; see README for what templates can read", s)
	}
	if st.t.Loose {
		return "$" + s, false, nil
	}
	return "", false, fmt.Errorf("unknown variable %s: set it with {%% set %%} or pass it as a macro parameter", s)
}

func (st *state) attr(n *Node) (string, bool, error) {
	x := n.Kids[0]
	if x.Op == "name" {
		if _, local := st.lookup(x.S); !local {
			switch x.S {
			case "target":
				if n.S == "name" || n.S == "type" || n.S == "schema" {
					return "(target)." + n.S, false, nil
				}
				return "", false, fmt.Errorf("target.%s is not available; ingot templates see target.name, target.type and target.schema", n.S)
			case "loop":
				return st.loopAttr(n.S)
			case "this":
				return "", false, fmt.Errorf("this.%s has no ingot equivalent: this is the relation as text (\"schema\".\"name\")", n.S)
			}
			if packageNames[x.S] {
				return "", false, fmt.Errorf("%s.%s is a dbt package macro; ingot has no packages: write it as a macro in macros/ or inline its SQL", x.S, n.S)
			}
		}
	}
	base, cmd, err := st.ex(x)
	if err != nil {
		return "", false, err
	}
	if cmd || !strings.HasPrefix(base, "$") {
		base = "(" + base + ")"
	}
	return base + "." + n.S, false, nil
}

// packageNames are dbt and common dbt packages, whose macros ingot lacks.
var packageNames = map[string]bool{"dbt": true, "dbt_utils": true, "dbt_expectations": true, "dbt_date": true, "codegen": true, "audit_helper": true}

func (st *state) loopAttr(a string) (string, bool, error) {
	var b *block
	for i := len(st.blocks) - 1; i >= 0; i-- {
		if st.blocks[i].kind == "for" && !st.blocks[i].verbatim {
			b = st.blocks[i]
			break
		}
	}
	if b == nil || b.loopIdx == "" {
		return "", false, fmt.Errorf("loop.%s outside a for loop over a list", a)
	}
	switch a {
	case "first":
		return "eq " + b.loopIdx + " 0", true, nil
	case "last":
		return fmt.Sprintf("eq %s (sub (len %s) 1)", b.loopIdx, b.loopSeq), true, nil
	case "index":
		return "add1 " + b.loopIdx, true, nil
	case "index0":
		return b.loopIdx, false, nil
	case "length":
		return "len " + b.loopSeq, true, nil
	}
	return "", false, fmt.Errorf("loop.%s has no Go-template spelling; use loop.first, loop.last, loop.index, loop.index0 or loop.length", a)
}

var builtinCalls = map[string][2]int{ // name → min, max positional arguments
	"ref": {1, 2}, "source": {2, 2}, "var": {1, 2}, "env_var": {1, 2}, "is_incremental": {0, 0}, "return": {1, 1},
}

func (st *state) call(n *Node) (string, bool, error) {
	fn := n.Kids[0]
	args := n.Kids[1:]
	switch fn.Op {
	case "name":
		return st.callName(fn.S, args, n.Kw)
	case "attr":
		if r := fn.Kids[0]; r.Op == "name" {
			if _, local := st.lookup(r.S); !local && r.S == "adapter" {
				return "", false, fmt.Errorf("adapter.%s has no ingot equivalent", fn.S)
			} else if !local && packageNames[r.S] {
				return "", false, fmt.Errorf("%s.%s is a dbt package macro; ingot has no packages: write it as a macro in macros/ or inline its SQL", r.S, fn.S)
			}
		}
		return st.method(fn, args, n.Kw)
	case "call":
		// adapter.dispatch('name', 'package')(args): ingot dispatches on the
		// engine prefix itself, so this is a call of the macro.
		d := fn.Kids[0]
		if d.Op == "attr" && d.S == "dispatch" && d.Kids[0].Op == "name" && d.Kids[0].S == "adapter" {
			if len(fn.Kids) < 2 || fn.Kids[1].Op != "str" {
				return "", false, fmt.Errorf("adapter.dispatch needs the macro name as a string")
			}
			return st.callName(fn.Kids[1].S, args, n.Kw)
		}
	}
	return "", false, fmt.Errorf("this call has no Go-template spelling")
}

func (st *state) callName(name string, args []*Node, kw []Kwarg) (string, bool, error) {
	if lim, ok := builtinCalls[name]; ok {
		if len(kw) > 0 {
			return "", false, fmt.Errorf("%s takes no keyword arguments", name)
		}
		if len(args) < lim[0] || len(args) > lim[1] {
			return "", false, fmt.Errorf("%s takes %d to %d arguments, got %d", name, lim[0], lim[1], len(args))
		}
		if name == "ref" && len(args) == 2 {
			args = args[1:] // ref('package', 'model'): ingot has one project
		}
		a, err := st.args(args)
		if err != nil {
			return "", false, err
		}
		if name == "is_incremental" {
			return "is_incremental", false, nil
		}
		return cmd(name, a)
	}
	switch name {
	case "config":
		var parts []string
		for _, k := range kw {
			v, err := st.arg(k.Val)
			if err != nil {
				return "", false, err
			}
			key := strings.ReplaceAll(k.Name, "-", "_")
			parts = append(parts, strconv.Quote(key), v)
		}
		if len(args) > 0 {
			return "", false, fmt.Errorf("config takes keyword arguments: config(materialized='table')")
		}
		return cmd("config", strings.Join(parts, " "))
	case "range":
		if len(args) == 1 && len(kw) == 0 {
			a, err := st.args(args)
			return "until " + a, true, err
		}
		return "", false, fmt.Errorf("range takes one argument in ingot templates (sprig's until n)")
	case "run_query":
		return "", false, fmt.Errorf("run_query returns rows (a list of dicts) in ingot, not an agate table: write {{ range run_query \"select …\" }}{{ .column }}{{ end }}")
	case "log", "print":
		return "", false, fmt.Errorf("%s has no ingot equivalent; remove it", name)
	case "exceptions", "statement", "load_result", "api":
		return "", false, fmt.Errorf("%s has no ingot equivalent", name)
	}
	m, ok := st.t.Macros[name]
	if !ok {
		if st.t.Loose {
			a, err := st.args(args)
			if err != nil {
				return "", false, err
			}
			return cmd(name, a)
		}
		return "", false, fmt.Errorf("unknown macro or function %s; define it in macros/ or inline its SQL", name)
	}
	return st.macroCall(m, args, kw)
}

func (st *state) macroCall(m *Macro, args []*Node, kw []Kwarg) (string, bool, error) {
	if len(args) > len(m.Params) {
		return "", false, fmt.Errorf("%s takes %d arguments, got %d", m.Name, len(m.Params), len(args))
	}
	byName := map[string]*Node{}
	for _, k := range kw {
		byName[k.Name] = k.Val
	}
	var vals []*Node
	for i, p := range m.Params {
		switch v, named := byName[p]; {
		case i < len(args):
			vals = append(vals, args[i])
		case named:
			vals = append(vals, v)
			delete(byName, p)
		case m.Defaults[p] != nil:
			vals = append(vals, m.Defaults[p])
		default:
			return "", false, fmt.Errorf("%s: argument %s is missing", m.Name, p)
		}
	}
	for k := range byName {
		return "", false, fmt.Errorf("%s has no parameter %s", m.Name, k)
	}
	a, err := st.args(vals)
	if err != nil {
		return "", false, err
	}
	return cmd(m.Name, a)
}

var stringMethods = map[string]string{"upper": "upper", "lower": "lower", "strip": "trim", "title": "title"}

func (st *state) method(fn *Node, args []*Node, kw []Kwarg) (string, bool, error) {
	recv := fn.Kids[0]
	if len(kw) > 0 {
		return "", false, fmt.Errorf("%s() takes no keyword arguments here", fn.S)
	}
	x, err := st.arg(recv)
	if err != nil {
		return "", false, err
	}
	a, err := st.args(args)
	if err != nil {
		return "", false, err
	}
	if f, ok := stringMethods[fn.S]; ok && len(args) == 0 {
		return f + " " + x, true, nil
	}
	switch {
	case fn.S == "replace" && len(args) == 2:
		return "replace " + a + " " + x, true, nil
	case fn.S == "split" && len(args) == 1:
		return "splitList " + a + " " + x, true, nil
	case fn.S == "join" && len(args) == 1:
		return "join " + x + " " + a, true, nil
	case fn.S == "startswith" && len(args) == 1:
		return "hasPrefix " + a + " " + x, true, nil
	case fn.S == "endswith" && len(args) == 1:
		return "hasSuffix " + a + " " + x, true, nil
	case fn.S == "keys" && len(args) == 0:
		return "keys " + x, true, nil
	case fn.S == "values" && len(args) == 0:
		return "values " + x, true, nil
	case fn.S == "get" && len(args) == 1:
		return "index " + x + " " + a, true, nil
	case fn.S == "get" && len(args) == 2:
		ks, _ := st.arg(args[0])
		ds, _ := st.arg(args[1])
		return fmt.Sprintf("ternary (index %s %s) %s (hasKey %s %s)", x, ks, ds, x, ks), true, nil
	}
	return "", false, fmt.Errorf(".%s() has no Go-template spelling; rewrite it with sprig functions", fn.S)
}

var simpleFilters = map[string]string{"upper": "upper", "lower": "lower", "trim": "trim", "title": "title",
	"length": "len", "count": "len", "int": "int", "float": "float64", "string": "toString", "first": "first",
	"last": "last", "sort": "sortAlpha", "unique": "uniq", "abs": "abs"}

func (st *state) filter(n *Node) (string, bool, error) {
	x, err := st.arg(n.Kids[0])
	if err != nil {
		return "", false, err
	}
	a, err := st.args(n.Kids[1:])
	if err != nil {
		return "", false, err
	}
	if len(n.Kw) > 0 {
		return "", false, fmt.Errorf("the %s filter with keyword arguments has no Go-template spelling", n.S)
	}
	argc := len(n.Kids) - 1
	if f, ok := simpleFilters[n.S]; ok && argc == 0 {
		if f == "abs" {
			return "", false, fmt.Errorf("the abs filter has no Go-template spelling; use SQL abs()")
		}
		return f + " " + x, true, nil
	}
	switch {
	case n.S == "replace" && argc == 2:
		return "replace " + a + " " + x, true, nil
	case n.S == "join" && argc <= 1:
		if argc == 0 {
			a = `""`
		}
		return "join " + a + " " + x, true, nil
	case (n.S == "default" || n.S == "d") && argc == 1:
		return "default " + a + " " + x, true, nil
	case n.S == "list" && argc == 0:
		return x, false, nil
	}
	return "", false, fmt.Errorf("the %s filter has no Go-template spelling; rewrite it with sprig functions", n.S)
}

// Suggest spells one Jinja tag or expression (as found in a model) in Go
// template syntax, for error hints; ok is false when it has no spelling.
func Suggest(tag string) (string, bool) {
	t := &Translator{Loose: true}
	if !strings.HasPrefix(strings.TrimSpace(tag), "{") {
		tag = "{{ " + tag + " }}"
	}
	out, problems := t.Translate(tag)
	if len(problems) > 0 || out == tag {
		return "", false
	}
	return out, true
}
