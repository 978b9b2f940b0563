package lineage

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// obj is one object of DuckDB's serialized parse tree.
type obj = map[string]any

// col is a column of a relation in scope, or of a query's output, with the
// parent columns its value comes from.
type col struct {
	name string
	typ  string
	from []Edge
	note string
	// hidden marks the right side's copy of a USING (or NATURAL) join
	// column: DuckDB outputs it once, so neither * nor an unqualified
	// name picks it; t.col still does.
	hidden bool
	// counts: the value depends on how many rows there are (count(*)).
	counts bool
	// unknown stands for columns that cannot be listed (a table function's,
	// a PIVOT's, a source's without declared columns): a name not found
	// among the others resolves to it, and * expands to it.
	unknown bool
}

// rel is a relation in a FROM clause: a node's table, a CTE, a subquery or
// a table function, under the name it is referred to by.
type rel struct {
	name   string
	schema string
	node   string
	cols   []col
	known  bool   // false: the columns are not known (why says why)
	why    string // for an unknown relation
}

// columns is r's columns, with one unknown stand-in when they are not known.
func (r *rel) columns() []col {
	if r.known {
		return r.cols
	}
	return []col{{unknown: true, note: r.why}}
}

func (r *rel) find(name string, withHidden bool) (col, bool) {
	for _, c := range r.columns() {
		if !c.unknown && (withHidden || !c.hidden) && strings.EqualFold(c.name, name) {
			return c, true
		}
	}
	return col{}, false
}

func (r *rel) unknownCol() (col, bool) {
	for _, c := range r.columns() {
		if c.unknown {
			return c, true
		}
	}
	return col{}, false
}

// cteScope holds the CTEs of one WITH clause.
type cteScope struct {
	parent *cteScope
	defs   map[string]obj  // lower-case name → the CTE's {query, aliases}
	done   map[string]*rel // traced CTEs
	busy   map[string]*rel // a recursive CTE while its recursive part is traced
}

func (s *cteScope) find(name string) (*cteScope, obj) {
	for c := s; c != nil; c = c.parent {
		if d, ok := c.defs[strings.ToLower(name)]; ok {
			return c, d
		}
	}
	return nil, nil
}

// scope is what names in one SELECT resolve against.
type scope struct {
	parent  *scope
	ctes    *cteScope
	rels    []*rel
	aliases map[string]col  // select-list aliases defined so far
	lambda  map[string]bool // lambda parameters
}

type tracer struct {
	lookup func(schema, name string) *rel
	// ephemeral finds the ephemeral model a CTE of the compiled SQL
	// inlines (compile.EphemeralName), so lineage names that model rather
	// than looking through it; nil finds none.
	ephemeral func(cteName string) *rel
}

// query traces a query node (SELECT, set operation, recursive CTE) to
// its output columns.
func (t *tracer) query(node obj, ctes *cteScope, outer *scope) []col {
	ctes = withCTEs(node, ctes)
	switch str(node["type"]) {
	case "SELECT_NODE":
		return t.selectNode(node, ctes, outer)
	case "SET_OPERATION_NODE":
		left := t.query(objOf(node["left"]), ctes, outer)
		right := t.query(objOf(node["right"]), ctes, outer)
		switch str(node["setop_type"]) {
		case "UNION_BY_NAME":
			return unionByName(left, right)
		case "EXCEPT", "INTERSECT":
			return left // the values are the left side's rows
		}
		return unionPositional(left, right)
	case "RECURSIVE_CTE_NODE":
		left := t.query(objOf(node["left"]), ctes, outer)
		if s, _ := ctes.find(str(node["cte_name"])); s != nil {
			r := &rel{name: str(node["cte_name"]), cols: rename(left, strs(node["aliases"])), known: true}
			s.busy[strings.ToLower(r.name)] = r
		}
		right := t.query(objOf(node["right"]), ctes, outer)
		return unionPositional(left, right)
	}
	return []col{{unknown: true, note: "not traced: a query of kind " + str(node["type"])}}
}

func withCTEs(node obj, parent *cteScope) *cteScope {
	m := objOf(objOf(node["cte_map"]))
	list, _ := m["map"].([]any)
	if len(list) == 0 {
		return parent
	}
	s := &cteScope{parent: parent, defs: map[string]obj{}, done: map[string]*rel{}, busy: map[string]*rel{}}
	for _, e := range list {
		eo := objOf(e)
		s.defs[strings.ToLower(str(eo["key"]))] = objOf(eo["value"])
	}
	return s
}

func (t *tracer) cte(name string, ctes *cteScope) *rel {
	s, def := ctes.find(name)
	if s == nil {
		return nil
	}
	key := strings.ToLower(name)
	if r := s.busy[key]; r != nil {
		return r
	}
	if r := s.done[key]; r != nil {
		return r
	}
	// A CTE sees the CTEs of its own WITH clause and the enclosing ones.
	s.busy[key] = &rel{name: name, why: "not traced: CTE " + name + " refers to itself"}
	q := objOf(objOf(def["query"])["node"])
	cols := rename(t.query(q, s, nil), strs(def["aliases"]))
	delete(s.busy, key)
	r := &rel{name: name, cols: cols, known: true}
	s.done[key] = r
	return r
}

func (t *tracer) selectNode(node obj, ctes *cteScope, outer *scope) []col {
	sc := &scope{parent: outer, ctes: ctes, aliases: map[string]col{}}
	if ft := objOf(node["from_table"]); ft != nil {
		t.fromItem(ft, sc)
	}
	var out []col
	list, _ := node["select_list"].([]any)
	for _, e := range list {
		eo := objOf(e)
		if str(eo["class"]) == "STAR" {
			out = append(out, t.star(eo, sc)...)
			continue
		}
		c := col{name: outputName(eo)}
		c.from, c.note, c.counts = t.exprCounts(eo, sc)
		out = append(out, c)
		if a := str(eo["alias"]); a != "" {
			sc.aliases[strings.ToLower(a)] = c
		}
	}
	return out
}

// outputName is the name DuckDB gives a select-list entry when it is
// plain: its alias or the column it names; "" for other expressions,
// which DuckDB names after their text (DESCRIBE tells).
func outputName(e obj) string {
	if a := str(e["alias"]); a != "" {
		return a
	}
	if str(e["class"]) == "COLUMN_REF" {
		if names := strs(e["column_names"]); len(names) > 0 {
			return names[len(names)-1]
		}
	}
	return ""
}

// fromItem adds the relations of a FROM item to sc, left to right (a
// lateral item sees the ones before it).
func (t *tracer) fromItem(ref obj, sc *scope) {
	alias := str(ref["alias"])
	add := func(r *rel) {
		if alias != "" {
			r.name = alias
		}
		if names := strs(ref["column_name_alias"]); len(names) > 0 {
			r.cols = rename(r.cols, names)
		}
		sc.rels = append(sc.rels, r)
	}
	switch str(ref["type"]) {
	case "EMPTY":
	case "BASE_TABLE":
		name, schema := str(ref["table_name"]), str(ref["schema_name"])
		if schema == "" && str(ref["catalog_name"]) == "" {
			if t.ephemeral != nil {
				if r := t.ephemeral(name); r != nil {
					add(copyRel(r))
					return
				}
			}
			if r := t.cte(name, sc.ctes); r != nil {
				add(copyRel(r))
				return
			}
		}
		r := t.lookup(schema, name)
		if r == nil {
			full := name
			if schema != "" {
				full = schema + "." + name
			}
			add(&rel{name: name, schema: schema, why: "not traced: " + full + " is not a model, seed, snapshot or source of the project"})
			return
		}
		c := copyRel(r)
		c.schema = schema
		add(c)
	case "JOIN":
		t.fromItem(objOf(ref["left"]), sc)
		split := len(sc.rels)
		t.fromItem(objOf(ref["right"]), sc)
		using := strs(ref["using_columns"])
		if str(ref["ref_type"]) == "NATURAL" {
			using = commonNames(sc.rels[:split], sc.rels[split:])
		}
		for _, u := range using {
			mergeUsing(sc.rels[:split], sc.rels[split:], u)
		}
	case "SUBQUERY":
		q := objOf(objOf(ref["subquery"])["node"])
		add(&rel{cols: t.query(q, sc.ctes, sc), known: true})
	case "TABLE_FUNCTION":
		fn := objOf(ref["function"])
		from, note := t.expr(fn, sc)
		name := str(fn["function_name"])
		why := "not traced: comes from the table function " + name
		if len(from) > 0 {
			why = "approximate: from the table function " + name + " over these columns"
		}
		if name == "unnest" || name == "unlist" {
			why = "approximate: an element of the list unnested (lateral unnest), traced to the whole list"
		}
		if strings.HasPrefix(note, "not traced") {
			why = joinNotes(why, note)
		}
		r := &rel{known: true}
		for _, n := range strs(ref["column_name_alias"]) {
			r.cols = append(r.cols, col{name: n, from: from, note: why})
		}
		r.cols = append(r.cols, col{unknown: true, from: from, note: why})
		sc.rels = append(sc.rels, &rel{name: alias, cols: r.cols, known: true})
	case "EXPRESSION_LIST":
		rows, _ := ref["values"].([]any)
		r := &rel{known: true}
		for _, row := range rows {
			vals, _ := row.([]any)
			for i, v := range vals {
				if i >= len(r.cols) {
					r.cols = append(r.cols, col{name: "col" + strconv.Itoa(i)})
				}
				from, note := t.expr(v, sc)
				r.cols[i].from = unionEdges(r.cols[i].from, from)
				r.cols[i].note = joinNotes(r.cols[i].note, note)
			}
		}
		add(r)
	case "PIVOT":
		add(&rel{why: "not traced: the columns of a PIVOT come from data"})
	default:
		add(&rel{why: "not traced: a FROM item of kind " + str(ref["type"])})
	}
}

// mergeUsing makes the USING column u one column: the left side's, whose
// value is either side's (both are its parents), the right side's copy
// hidden from * and from unqualified names.
func mergeUsing(left, right []*rel, u string) {
	var lc, rc *col
	for _, r := range left {
		for i := range r.cols {
			if !r.cols[i].hidden && strings.EqualFold(r.cols[i].name, u) && lc == nil {
				lc = &r.cols[i]
			}
		}
	}
	for _, r := range right {
		for i := range r.cols {
			if !r.cols[i].hidden && strings.EqualFold(r.cols[i].name, u) && rc == nil {
				rc = &r.cols[i]
			}
		}
	}
	if lc == nil || rc == nil {
		return
	}
	lc.from = unionEdges(lc.from, rc.from)
	lc.note = joinNotes(lc.note, rc.note)
	rc.hidden = true
}

func commonNames(left, right []*rel) []string {
	var out []string
	for _, l := range left {
		for _, c := range l.cols {
			if c.hidden || c.unknown {
				continue
			}
			for _, r := range right {
				if _, ok := r.find(c.name, false); ok {
					out = append(out, c.name)
				}
			}
		}
	}
	return out
}

// star expands *, t.*, * EXCLUDE/REPLACE and COLUMNS('regex').
func (t *tracer) star(e obj, sc *scope) []col {
	var cols []col
	if rn := str(e["relation_name"]); rn != "" {
		for _, r := range sc.rels {
			if strings.EqualFold(r.name, rn) {
				cols = append(cols, r.columns()...)
			}
		}
	} else {
		for _, r := range sc.rels {
			for _, c := range r.columns() {
				if !c.hidden {
					cols = append(cols, c)
				}
			}
		}
	}
	exclude := map[string]bool{}
	for _, x := range listOf(e["exclude_list"]) {
		switch v := x.(type) {
		case string:
			exclude[strings.ToLower(v)] = true
		case []any:
			if len(v) > 0 {
				exclude[strings.ToLower(str(v[len(v)-1]))] = true
			}
		case obj:
			if names := strs(v["column_names"]); len(names) > 0 {
				exclude[strings.ToLower(names[len(names)-1])] = true
			}
		}
	}
	replace := map[string]any{}
	for _, x := range listOf(e["replace_list"]) {
		xo := objOf(x)
		replace[strings.ToLower(str(xo["key"]))] = xo["value"]
	}
	var re *regexp.Regexp
	filterNote := ""
	if e["columns"] == true {
		switch ex := objOf(e["expr"]); {
		case ex == nil, str(ex["class"]) == "STAR":
		case str(ex["class"]) == "CONSTANT":
			var err error
			if re, err = regexp.Compile(str(objOf(ex["value"])["value"])); err != nil {
				filterNote = "not traced: COLUMNS() with a pattern Go's regexp does not read"
			}
		default:
			filterNote = "not traced: COLUMNS() with a lambda or a list"
		}
	}
	var out []col
	for _, c := range cols {
		if filterNote != "" {
			return []col{{unknown: true, note: filterNote}}
		}
		if !c.unknown && (exclude[strings.ToLower(c.name)] || re != nil && !re.MatchString(c.name)) {
			continue
		}
		c.hidden = false
		if v, ok := replace[strings.ToLower(c.name)]; ok && !c.unknown {
			c.from, c.note = t.expr(v, sc)
		}
		out = append(out, c)
	}
	return out
}

// expr collects the parent columns of an expression: every column it
// reads, however deep (function arguments, CASE branches and conditions,
// window partitions and orders, FILTER, scalar subqueries).
func (t *tracer) expr(v any, sc *scope) ([]Edge, string) {
	from, note, _ := t.exprCounts(v, sc)
	return from, note
}

// exprCounts is expr, also telling whether the value counts rows.
func (t *tracer) exprCounts(v any, sc *scope) ([]Edge, string, bool) {
	a := &acc{edges: map[Edge]bool{}, notes: map[string]bool{}}
	t.walk(v, sc, a)
	from := make([]Edge, 0, len(a.edges))
	for e := range a.edges {
		from = append(from, e)
	}
	sortEdges(from)
	notes := make([]string, 0, len(a.notes))
	for n := range a.notes {
		notes = append(notes, n)
	}
	sort.Strings(notes)
	note := strings.Join(notes, "; ")
	if len(from) == 0 && note == "" {
		note = "no parent column: a constant expression"
		if a.countStar {
			note = "no parent column: counts rows (count(*))"
		}
	}
	return from, note, a.countStar
}

type acc struct {
	edges     map[Edge]bool
	notes     map[string]bool
	countStar bool
}

func (a *acc) add(c col) {
	a.countStar = a.countStar || c.counts
	for _, e := range c.from {
		a.edges[e] = true
	}
	if c.note != "" && !strings.HasPrefix(c.note, "no parent column") {
		a.notes[c.note] = true
	}
}

func (t *tracer) walk(v any, sc *scope, a *acc) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			t.walk(e, sc, a)
		}
	case obj:
		switch str(x["class"]) {
		case "COLUMN_REF":
			names := strs(x["column_names"])
			if len(names) == 0 || sc.isLambda(names[0]) {
				return
			}
			c, ok := t.resolve(names, sc)
			if !ok {
				a.notes["not traced: "+strings.Join(names, ".")+" names no column in scope"] = true
				return
			}
			a.add(c)
			return
		case "SUBQUERY":
			t.walk(x["child"], sc, a)
			q := objOf(objOf(x["subquery"])["node"])
			for _, c := range t.query(q, sc.ctes, sc) {
				a.add(c)
			}
			return
		case "LAMBDA":
			inner := *sc
			inner.lambda = map[string]bool{}
			for k := range sc.lambda {
				inner.lambda[k] = true
			}
			collectNames(x["lhs"], inner.lambda)
			t.walk(x["expr"], &inner, a)
			return
		case "STAR":
			for _, c := range t.star(x, sc) {
				a.add(c)
			}
			return
		case "FUNCTION":
			switch str(x["function_name"]) {
			case "count_star":
				a.countStar = true
			case "unnest", "unlist":
				a.notes["approximate: an element of the list unnested, traced to the whole list"] = true
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.walk(x[k], sc, a)
		}
	}
}

func (s *scope) isLambda(name string) bool {
	for c := s; c != nil; c = c.parent {
		if c.lambda[strings.ToLower(name)] {
			return true
		}
	}
	return false
}

func collectNames(v any, into map[string]bool) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			collectNames(e, into)
		}
	case obj:
		if str(x["class"]) == "COLUMN_REF" {
			for _, n := range strs(x["column_names"]) {
				into[strings.ToLower(n)] = true
			}
			return
		}
		for _, e := range x {
			collectNames(e, into)
		}
	}
}

// resolve finds the column a (possibly qualified) name refers to, as
// DuckDB does: a relation's column first, then a select-list alias, then
// an enclosing query's column; a name left over refers to a relation whose
// columns are not known. Trailing parts after a column are struct fields.
func (t *tracer) resolve(names []string, sc *scope) (col, bool) {
	for s := sc; s != nil; s = s.parent {
		if c, ok := s.resolveHere(names); ok {
			return c, true
		}
		if s == sc {
			if c, ok := s.aliases[strings.ToLower(names[0])]; ok && len(names) == 1 {
				return c, true
			}
		}
	}
	for s := sc; s != nil; s = s.parent {
		var unknown []col
		for _, r := range s.rels {
			if len(names) > 1 && !strings.EqualFold(r.name, names[0]) {
				continue
			}
			if c, ok := r.unknownCol(); ok {
				unknown = append(unknown, c)
			}
		}
		if len(unknown) == 1 {
			return unknown[0], true
		}
	}
	return col{}, false
}

func (s *scope) resolveHere(names []string) (col, bool) {
	field := func(c col, rest []string) col {
		if len(rest) > 0 {
			c.note = joinNotes(c.note, "approximate: struct field "+strings.Join(rest, ".")+", traced to the whole column "+c.name)
		}
		return c
	}
	if len(names) >= 2 {
		for _, r := range s.rels {
			if strings.EqualFold(r.name, names[0]) {
				if c, ok := r.find(names[1], true); ok {
					return field(c, names[2:]), true
				}
			}
		}
		if len(names) >= 3 {
			for _, r := range s.rels {
				if strings.EqualFold(r.schema, names[0]) && strings.EqualFold(r.name, names[1]) {
					if c, ok := r.find(names[2], true); ok {
						return field(c, names[3:]), true
					}
				}
			}
		}
	}
	for _, r := range s.rels {
		if c, ok := r.find(names[0], false); ok {
			return field(c, names[1:]), true
		}
	}
	if len(names) == 1 {
		// a relation's name alone is its whole row (a struct)
		for _, r := range s.rels {
			if strings.EqualFold(r.name, names[0]) {
				c := col{name: names[0], note: "approximate: the whole row of " + r.name}
				for _, rc := range r.columns() {
					c.from = unionEdges(c.from, rc.from)
				}
				return c, true
			}
		}
	}
	return col{}, false
}

func unionPositional(left, right []col) []col {
	out := make([]col, len(left))
	copy(out, left)
	if len(left) != len(right) {
		return out // DuckDB refuses it; nothing better to say
	}
	for i := range out {
		out[i].from = unionEdges(out[i].from, right[i].from)
		out[i].note = joinNotes(out[i].note, right[i].note)
		if out[i].unknown || right[i].unknown {
			out[i].unknown = true
		}
	}
	return out
}

func unionByName(left, right []col) []col {
	out := make([]col, len(left))
	copy(out, left)
	for _, r := range right {
		found := false
		for i := range out {
			if strings.EqualFold(out[i].name, r.name) {
				out[i].from = unionEdges(out[i].from, r.from)
				out[i].note = joinNotes(out[i].note, r.note)
				found = true
			}
		}
		if !found {
			out = append(out, r)
		}
	}
	return out
}

// rename gives the first len(names) columns new names (t(a, b), a CTE's
// column list).
func rename(cols []col, names []string) []col {
	out := make([]col, len(cols))
	copy(out, cols)
	k := 0
	for i := range out {
		if k < len(names) && !out[i].unknown {
			out[i].name = names[k]
			k++
		}
	}
	return out
}

func copyRel(r *rel) *rel {
	c := *r
	c.cols = make([]col, len(r.cols))
	copy(c.cols, r.cols)
	return &c
}

func unionEdges(a, b []Edge) []Edge {
	if len(b) == 0 {
		return a
	}
	seen := map[Edge]bool{}
	var out []Edge
	for _, e := range append(append([]Edge{}, a...), b...) {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	sortEdges(out)
	return out
}

func sortEdges(es []Edge) {
	sort.Slice(es, func(i, k int) bool {
		if es[i].Node != es[k].Node {
			return es[i].Node < es[k].Node
		}
		return es[i].Column < es[k].Column
	})
}

func objOf(v any) obj {
	o, _ := v.(map[string]any)
	return o
}

func listOf(v any) []any {
	l, _ := v.([]any)
	return l
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	var out []string
	for _, x := range listOf(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
