// Package lineage computes column-level lineage: for each column a model
// outputs, the columns of its parents (models, seeds, snapshots, sources)
// it is computed from. It reads DuckDB's own parse tree of each model's
// compiled SQL (json_serialize_sql) and resolves the names in it against
// the parents' columns, walking the DAG in order in an in-memory DuckDB
// where every parent exists as an empty table: DuckDB binds each model
// (DESCRIBE) to give its output columns' exact names and types, which then
// shape its children's tables.
//
// A column's value lineage is what its select-list expression reads,
// through CTEs, subqueries, joins, aggregates, window functions (their
// arguments, partitions and orders), CASE and * / t.* expansion; columns
// read only by WHERE, JOIN ... ON or GROUP BY are not its parents. What
// cannot be traced is said in the column's Note.
package lineage

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the duckdb driver

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/run"
	"github.com/ingot-dev/ingot/internal/seedfile"
	"github.com/ingot-dev/ingot/internal/snapshot"
)

// Edge is one parent column a column is computed from.
type Edge struct {
	Node   string `json:"node"`
	Column string `json:"column"`
}

// Column is one output column of a model and its lineage.
type Column struct {
	Name string
	Type string // as DuckDB bound it; "" when the model could not be bound
	From []Edge // sorted; empty for a constant or an untraced column
	Note string // why the lineage is missing or approximate, for a person
}

// Model is the lineage of one model or snapshot.
type Model struct {
	ID       string
	Compiled string // the SQL the lineage was read from
	Columns  []Column
	// Note says what of the model as a whole is not traced (columns a
	// run_query adds at build time, SQL DuckDB could not read).
	Note string
}

// Result maps model and snapshot IDs to their lineage.
type Result struct {
	Models map[string]*Model
}

// Options for Compute.
type Options struct {
	// Columns, when set, gives the columns (names and types) of a source,
	// seed or other relation as the warehouse has them; ok false when it
	// does not have the relation. Without it, sources have the columns
	// their yml declares and seeds the columns DuckDB's readers infer.
	Columns func(ctx context.Context, n *compile.Node) (cols []adapter.Column, ok bool, err error)
	// Compiled, when set, holds models' SQL as a command already rendered
	// it, by node ID: with the warehouse at hand, run_query renders the
	// columns a build would make, and they are traced too. Models missing
	// from it are rendered here, where run_query returns no rows.
	Compiled map[string]string
}

// Compute traces every model and snapshot of m. Problems of single models
// (a render error, SQL DuckDB cannot parse) become notes on them; the
// error is for what stops the whole computation.
func Compute(ctx context.Context, m *compile.Manifest, opts Options) (*Result, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("lineage: opening an in-memory DuckDB: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	w := &walker{ctx: ctx, db: db, m: m, opts: opts, rels: map[string]*rel{}, ephemeral: map[string]*rel{}, schemas: map[string]bool{}}
	res := &Result{Models: map[string]*Model{}}
	for _, id := range order(m) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := m.Nodes[id]
		switch n.Kind {
		case compile.KindSeed, compile.KindSource:
			w.addRelation(n)
		case compile.KindModel, compile.KindSnapshot:
			res.Models[id] = w.model(n)
		}
	}
	return res, nil
}

// order lists the models, seeds, snapshots and sources of m parents first,
// ties by ID.
func order(m *compile.Manifest) []string {
	indeg := map[string]int{}
	children := map[string][]string{}
	for id, n := range m.Nodes {
		switch n.Kind {
		case compile.KindModel, compile.KindSeed, compile.KindSnapshot, compile.KindSource:
		default:
			continue
		}
		indeg[id] += 0
		for _, p := range n.DependsOn {
			if _, ok := m.Nodes[p]; ok {
				indeg[id]++
				children[p] = append(children[p], id)
			}
		}
	}
	var ready, out []string
	for id, d := range indeg {
		if d == 0 {
			ready = append(ready, id)
		}
	}
	for len(ready) > 0 {
		sort.Strings(ready)
		id := ready[0]
		ready = ready[1:]
		out = append(out, id)
		for _, c := range children[id] {
			if indeg[c]--; indeg[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	return out
}

type walker struct {
	ctx  context.Context
	db   *sql.DB
	m    *compile.Manifest
	opts Options
	rels map[string]*rel // lower-case "schema.name" → the relation a node built
	// ephemeral maps the lower-case CTE name an ephemeral model is inlined
	// as to its relation.
	ephemeral map[string]*rel
	schemas   map[string]bool
}

// addRelation makes a seed or source known by its columns and creates it
// empty, so the models reading it bind.
func (w *walker) addRelation(n *compile.Node) {
	cols, why := w.relationColumns(n)
	r := &rel{name: n.Relation.Name, node: n.ID, known: cols != nil, why: why}
	for _, c := range cols {
		r.cols = append(r.cols, col{name: c.Name, typ: c.Type, from: []Edge{{Node: n.ID, Column: c.Name}}})
	}
	w.register(n, r)
}

func (w *walker) relationColumns(n *compile.Node) ([]adapter.Column, string) {
	if w.opts.Columns != nil {
		cols, ok, err := w.opts.Columns(w.ctx, n)
		if err == nil && ok && len(cols) > 0 {
			return cols, ""
		}
	}
	if n.Kind == compile.KindSeed {
		spec, err := run.SeedSpec(w.m, n, false)
		if err == nil {
			var expr string
			var cleanup func()
			expr, cleanup, err = seedfile.Source(w.ctx, w.db, spec)
			if err == nil {
				var cols []adapter.Column
				cols, err = seedfile.Describe(w.ctx, w.db, expr)
				cleanup()
				if err == nil {
					if spec.SourceFileColumn && !hasColumn(cols, seedfile.SourceFileColumn) {
						cols = append(cols, adapter.Column{Name: seedfile.SourceFileColumn, Type: "VARCHAR"})
					}
					return cols, ""
				}
			}
		}
		return nil, fmt.Sprintf("the columns of seed %s could not be read: %s", n.Name, firstLine(err.Error()))
	}
	var cols []adapter.Column
	if n.Props != nil {
		for _, c := range n.Props.Columns {
			t := c.DataType
			if t == "" {
				t = "VARCHAR"
			}
			cols = append(cols, adapter.Column{Name: c.Name, Type: t})
		}
	}
	if len(cols) == 0 {
		return nil, fmt.Sprintf("%s declares no columns (list them under its columns: in yml)", n.ID)
	}
	return cols, ""
}

func hasColumn(cols []adapter.Column, name string) bool {
	for _, c := range cols {
		if strings.EqualFold(c.Name, name) {
			return true
		}
	}
	return false
}

// register records r as n's relation and creates it, empty, in the
// in-memory database when its columns and types are known.
func (w *walker) register(n *compile.Node, r *rel) {
	w.rels[relKey(n.Relation.Schema, n.Relation.Name)] = r
	if n.Kind == compile.KindModel && n.Materialized() == "ephemeral" {
		w.ephemeral[strings.ToLower(compile.EphemeralName(n))] = r
	}
	if !r.known || len(r.cols) == 0 {
		return
	}
	if !w.schemas[n.Relation.Schema] {
		if _, err := w.db.ExecContext(w.ctx, "CREATE SCHEMA IF NOT EXISTS "+quote(n.Relation.Schema)); err == nil {
			w.schemas[n.Relation.Schema] = true
		}
	}
	defs := make([]string, len(r.cols))
	for i, c := range r.cols {
		t := c.typ
		if t == "" {
			t = "VARCHAR"
		}
		defs[i] = quote(c.name) + " " + t
	}
	stmt := "CREATE OR REPLACE TABLE " + quote(n.Relation.Schema) + "." + quote(n.Relation.Name) + " (" + strings.Join(defs, ", ") + ")"
	if _, err := w.db.ExecContext(w.ctx, stmt); err != nil {
		// A declared type DuckDB does not know (a PostgreSQL-only one):
		// keep the columns untyped so children still bind.
		for i, c := range r.cols {
			defs[i] = quote(c.name) + " VARCHAR"
		}
		_, _ = w.db.ExecContext(w.ctx, "CREATE OR REPLACE TABLE "+quote(n.Relation.Schema)+"."+quote(n.Relation.Name)+" ("+strings.Join(defs, ", ")+")")
	}
}

func relKey(schema, name string) string { return strings.ToLower(schema + "." + name) }

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// model traces one model or snapshot and registers its relation.
func (w *walker) model(n *compile.Node) *Model {
	out := &Model{ID: n.ID}
	r := &rel{name: n.Relation.Name, node: n.ID}
	defer func() { w.register(n, r) }()
	sqlText, given := w.opts.Compiled[n.ID]
	if !given {
		var err error
		if sqlText, err = w.m.Render(w.ctx, n.ID, compile.RenderOptions{}); err != nil {
			out.Note = "not traced: the template did not render: " + firstLine(err.Error())
			r.why = out.Note
			return out
		}
	}
	out.Compiled = sqlText
	if !given && usesRunQuery(n) {
		out.Note = "the template calls run_query: columns it adds when the model is built (from data) are not traced"
	}
	cols, note, bound := w.traceSQL(sqlText)
	out.Note = joinNotes(out.Note, note)
	if cols == nil && !bound {
		r.why = out.Note
		return out
	}
	if n.Kind == compile.KindSnapshot {
		cols = append(cols, snapshotColumns(n)...)
	}
	r.known = true
	for _, c := range cols {
		out.Columns = append(out.Columns, Column{Name: c.name, Type: c.typ, From: c.from, Note: c.note})
		r.cols = append(r.cols, col{name: c.name, typ: c.typ, from: []Edge{{Node: n.ID, Column: c.name}}})
	}
	if !bound {
		// children can still be traced by name, though not bound
		for i := range r.cols {
			r.cols[i].typ = ""
		}
	}
	return out
}

// traceSQL traces a model's compiled SQL against the relations known so
// far: its output columns, a note on what stopped or limited the trace,
// and whether DuckDB bound it (so names and types are DuckDB's).
func (w *walker) traceSQL(sqlText string) ([]col, string, bool) {
	cols, err := w.trace(sqlText)
	if err != nil {
		return nil, "not traced: " + err.Error(), false
	}
	bound, berr := w.describe(sqlText)
	cols = merge(cols, bound, berr)
	if berr != nil {
		return cols, "DuckDB could not bind the compiled SQL, so names are read from the SQL text and types are unknown: " + firstLine(berr.Error()), false
	}
	return cols, "", true
}

// snapshotColumns are the columns a snapshot adds to its query's.
func snapshotColumns(n *compile.Node) []col {
	const why = "added by the snapshot: "
	out := []col{
		{name: snapshot.ColSCDID, typ: "VARCHAR", note: why + "md5 of the unique key and the version's time"},
		{name: snapshot.ColUpdatedAt, typ: "TIMESTAMP", note: why + "the version's updated_at, or the run's time"},
		{name: snapshot.ColValidFrom, typ: "TIMESTAMP", note: why + "when the version became current"},
		{name: snapshot.ColValidTo, typ: "TIMESTAMP", note: why + "when the version stopped being current"},
	}
	if n.Config.String("hard_deletes") == "new_record" {
		out = append(out, col{name: snapshot.ColIsDeleted, typ: "VARCHAR", note: why + "'True' on the version recording a deletion"})
	}
	return out
}

// usesRunQuery reports whether n's template calls run_query: the columns
// such a template renders come from data at build time, and at parse time
// it renders none of them.
func usesRunQuery(n *compile.Node) bool {
	if n.Model == nil {
		return false
	}
	return strings.Contains(string(n.Model.Src), "run_query")
}

// describe binds sql in the in-memory database: its output columns'
// names and types, in order.
func (w *walker) describe(sqlText string) ([]adapter.Column, error) {
	// the newline ends a trailing -- comment before the parenthesis
	return seedfile.Describe(w.ctx, w.db, "(\n"+strings.TrimRight(strings.TrimSpace(sqlText), ";")+"\n)")
}

// merge names and types the traced columns as DuckDB bound them: by
// position (DuckDB names unnamed expressions its own way), the columns an
// unknown stand-in covers (t.* of a table function, say) taking its
// lineage; by name when the counts cannot agree. A bound column the trace
// lacks is said untraced.
func merge(traced []col, bound []adapter.Column, berr error) []col {
	if berr != nil {
		var out []col
		for _, c := range traced {
			if c.name != "" && !c.unknown {
				out = append(out, c)
			}
		}
		return out
	}
	stand := -1
	for i, c := range traced {
		if c.unknown {
			if stand >= 0 {
				stand = -2
				break
			}
			stand = i
		}
	}
	switch {
	case stand == -1 && len(traced) == len(bound):
		for i := range traced {
			traced[i].name, traced[i].typ = bound[i].Name, bound[i].Type
		}
		return traced
	case stand >= 0 && len(traced)-1 <= len(bound):
		out := make([]col, len(bound))
		tail := len(traced) - stand - 1
		for i := range bound {
			var c col
			switch {
			case i < stand:
				c = traced[i]
			case i >= len(bound)-tail:
				c = traced[stand+1+i-(len(bound)-tail)]
			default:
				c = traced[stand]
				c.unknown = false
			}
			c.name, c.typ = bound[i].Name, bound[i].Type
			out[i] = c
		}
		return out
	}
	out := make([]col, 0, len(bound))
	for _, b := range bound {
		c := col{name: b.Name, typ: b.Type, note: "not traced: ingot's reading of the SQL found other columns than DuckDB's"}
		for _, t := range traced {
			if !t.unknown && strings.EqualFold(t.name, b.Name) {
				c = t
				c.name, c.typ = b.Name, b.Type
				break
			}
		}
		out = append(out, c)
	}
	return out
}

// trace reads sql's parse tree and resolves its output columns.
func (w *walker) trace(sqlText string) ([]col, error) {
	var tree string
	if err := w.db.QueryRowContext(w.ctx, "SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", sqlText).Scan(&tree); err != nil {
		return nil, fmt.Errorf("serializing the parse tree: %w", err)
	}
	return traceTree(tree, w.lookup, func(name string) *rel { return w.ephemeral[strings.ToLower(name)] })
}

func (w *walker) lookup(schema, name string) *rel {
	if schema != "" {
		return w.rels[relKey(schema, name)]
	}
	// an unqualified name is found on DuckDB's search path: any schema
	var found *rel
	for k, r := range w.rels {
		if _, n, _ := strings.Cut(k, "."); n == strings.ToLower(name) {
			if found != nil {
				return nil
			}
			found = r
		}
	}
	return found
}

// traceTree resolves the output columns of the single statement in tree
// (json_serialize_sql's output).
func traceTree(tree string, lookup func(schema, name string) *rel, ephemeral func(string) *rel) ([]col, error) {
	var doc struct {
		Error      bool              `json:"error"`
		ErrorMsg   string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(tree), &doc); err != nil {
		return nil, fmt.Errorf("reading the parse tree: %w", err)
	}
	if doc.Error {
		return nil, fmt.Errorf("DuckDB's parser: %s", firstLine(doc.ErrorMsg))
	}
	if len(doc.Statements) != 1 {
		return nil, fmt.Errorf("the SQL has %d statements; a model is one SELECT", len(doc.Statements))
	}
	var st struct {
		Node obj `json:"node"`
	}
	if err := json.Unmarshal(doc.Statements[0], &st); err != nil {
		return nil, fmt.Errorf("reading the parse tree: %w", err)
	}
	t := &tracer{lookup: lookup, ephemeral: ephemeral}
	return t.query(st.Node, nil, nil), nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func joinNotes(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "" || strings.Contains(a, b):
		return a
	}
	return a + "; " + b
}
