// Package check finds a project's SQL mistakes before any warehouse runs
// it: in a private in-memory DuckDB it creates every seed, source and
// model as an empty table shaped like the real one, in dependency order,
// and binds each model's compiled SQL against its parents. An unknown
// column, a type mismatch, an ambiguous name or a broken contract is
// reported at the template's file and line, all problems of the project at
// once, in milliseconds and with no data.
package check

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	"database/sql"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/run"
	"github.com/ingot-dev/ingot/internal/snapshot"
)

// Describer reads a relation's columns from the warehouse; the target's
// adapter is one.
type Describer interface {
	Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error)
}

// Options tune a check.
type Options struct {
	// Warehouse, when set, gives the columns of sources whose yml does not
	// declare a data_type for each column. nil: such sources are unknown.
	Warehouse Describer
}

// Note is something the check did not do, and why, for a person to read.
// Notes are not problems: they do not fail the check.
type Note struct {
	ID   string // node it concerns; "" for the whole check
	File string // project-relative file, when there is one
	Msg  string
}

// Report is the outcome of a check.
type Report struct {
	// Problems are located errors, sorted by file and line.
	Problems diag.List
	Notes    []Note
	// Checked counts the nodes created (and bound) by kind: model, seed,
	// source, snapshot.
	Checked map[string]int
	// Skipped are models and snapshots not bound because a parent has
	// problems or unknown columns.
	Skipped int
	// Columns are the bound columns of every node created, by node ID, in
	// DuckDB's type names.
	Columns map[string][]adapter.Column
}

// Run checks the models and snapshots ids (and every node they read, which
// must exist to bind them) of m. The error is only for a check that could
// not run at all; the project's problems are in the report.
func Run(ctx context.Context, m *compile.Manifest, ids []string, opts Options) (*Report, error) {
	db, err := duckdb.Open(ctx, duckdb.InMemory("check", map[string]string{"threads": "1"}))
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	defer db.Close()
	conn, err := db.DB().Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	defer conn.Close()
	c := &checker{
		m: m, opts: opts, db: db, conn: conn,
		report:  &Report{Checked: map[string]int{}, Columns: map[string][]adapter.Column{}},
		blocked: map[string]string{}, schemas: map[string]bool{}, created: map[string]string{},
	}
	if t := m.Opts.TargetType; t != "" && !m.Opts.Dialect.DuckDBSQL {
		c.foreign = t
		c.note("", "", fmt.Sprintf("the target is %s: models are bound with DuckDB's binder, so SQL only %s accepts is reported as a problem", t, t))
	}
	order := c.closure(ids)
	renders := c.renderAll(ctx, order)
	for i, id := range order {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := m.Nodes[id]
		if cause, ok := c.parentBlocked(n); ok {
			c.blocked[id] = cause
			c.report.Skipped++
			c.note(id, n.Path, "not checked: it depends on "+cause)
			continue
		}
		var ok bool
		switch n.Kind {
		case compile.KindSource:
			ok = c.source(ctx, n)
		case compile.KindSeed:
			ok = c.seed(ctx, n)
		case compile.KindModel, compile.KindSnapshot:
			r := renders[i]
			<-r.done
			ok = c.model(ctx, n, r)
		default:
			continue
		}
		if !ok {
			if _, set := c.blocked[id]; !set {
				c.blocked[id] = nodeName(n) + ", which has problems"
			}
			continue
		}
		c.report.Checked[n.Kind]++
	}
	if err := c.columns(ctx); err != nil {
		return nil, err
	}
	c.report.Problems = asList(c.report.Problems.Err())
	return c.report, nil
}

func asList(err error) diag.List {
	l, _ := err.(diag.List)
	return l
}

type checker struct {
	m       *compile.Manifest
	opts    Options
	db      *duckdb.Adapter
	conn    *sql.Conn
	report  *Report
	foreign string // the target's engine when it is not DuckDB

	// blocked maps nodes that failed or were not created to what a child
	// and its descendants say they depend on ("silver_x, which has problems").
	blocked map[string]string
	schemas map[string]bool   // created schemas ("db.schema")
	created map[string]string // relation key → node ID, for Columns
	scratch int               // ephemeral models and snapshot queries bound so far
}

func (c *checker) note(id, file, msg string) {
	c.report.Notes = append(c.report.Notes, Note{ID: id, File: file, Msg: msg})
}

// closure is ids with every node they read, transitively, in dependency
// order.
func (c *checker) closure(ids []string) []string {
	want := map[string]bool{}
	stack := append([]string(nil), ids...)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if want[id] {
			continue
		}
		want[id] = true
		if n := c.m.Nodes[id]; n != nil {
			stack = append(stack, n.DependsOn...)
		}
	}
	var out []string
	for _, id := range c.m.Graph.Order() {
		n := c.m.Nodes[id]
		if want[id] && n != nil && n.Kind != compile.KindTest {
			out = append(out, id)
		}
	}
	return out
}

func (c *checker) parentBlocked(n *compile.Node) (string, bool) {
	for _, p := range n.DependsOn {
		if cause, ok := c.blocked[p]; ok {
			return cause, true
		}
	}
	return "", false
}

func nodeName(n *compile.Node) string {
	if n.Kind == compile.KindSource && n.Source != nil {
		return "source " + n.Source.SourceName + "." + n.Name
	}
	return n.Name
}

// rendered is one model's compiled SQL, ready once done is closed.
type rendered struct {
	done chan struct{}
	sql  string
	// inc is the SQL with is_incremental true, for incremental models.
	inc      string
	err      error
	runQuery bool // the template called run_query
}

// renderAll renders every model and snapshot of order concurrently; the
// binder, which must go in dependency order on one connection, takes each
// as soon as it is ready.
func (c *checker) renderAll(ctx context.Context, order []string) []*rendered {
	out := make([]*rendered, len(order))
	work := make(chan int)
	for i, id := range order {
		if k := c.m.Nodes[id].Kind; k == compile.KindModel || k == compile.KindSnapshot {
			out[i] = &rendered{done: make(chan struct{})}
		}
	}
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c.render(ctx, c.m.Nodes[order[i]], out[i])
				close(out[i].done)
			}
		}()
	}
	go func() {
		for i, r := range out {
			if r != nil {
				work <- i
			}
		}
		close(work)
		wg.Wait()
	}()
	return out
}

func (c *checker) render(ctx context.Context, n *compile.Node, r *rendered) {
	var mu sync.Mutex
	noRows := func(context.Context, string) ([]map[string]any, error) {
		mu.Lock()
		r.runQuery = true
		mu.Unlock()
		return []map[string]any{}, nil
	}
	r.sql, r.err = c.m.Render(ctx, n.ID, compile.RenderOptions{Query: noRows})
	if r.err == nil && n.Kind == compile.KindModel && n.Materialized() == "incremental" {
		r.inc, r.err = c.m.Render(ctx, n.ID, compile.RenderOptions{Incremental: true, Query: noRows})
	}
}

// relSQL quotes r for DuckDB.
func relSQL(r adapter.Relation) string {
	s := adapter.QuoteIdent(r.Schema) + "." + adapter.QuoteIdent(r.Name)
	if r.Database != "" {
		s = adapter.QuoteIdent(r.Database) + "." + s
	}
	return s
}

func (c *checker) exec(ctx context.Context, stmt string) error {
	_, err := c.conn.ExecContext(ctx, stmt)
	return err
}

// ensureSchema creates r's schema (and attaches its database) once.
func (c *checker) ensureSchema(ctx context.Context, r adapter.Relation) error {
	key := r.Database + "." + r.Schema
	if c.schemas[key] {
		return nil
	}
	if r.Database != "" && !c.schemas[r.Database] {
		if err := c.exec(ctx, "ATTACH ':memory:' AS "+adapter.QuoteIdent(r.Database)); err != nil {
			return err
		}
		c.schemas[r.Database] = true
	}
	s := adapter.QuoteIdent(r.Schema)
	if r.Database != "" {
		s = adapter.QuoteIdent(r.Database) + "." + s
	}
	if err := c.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+s); err != nil {
		return err
	}
	c.schemas[key] = true
	return nil
}

// createTable creates n's relation empty with cols.
func (c *checker) createTable(ctx context.Context, n *compile.Node, cols []adapter.Column) error {
	if err := c.ensureSchema(ctx, n.Relation); err != nil {
		return err
	}
	defs := make([]string, len(cols))
	for i, col := range cols {
		defs[i] = adapter.QuoteIdent(col.Name) + " " + col.Type
	}
	if err := c.exec(ctx, "CREATE TABLE "+relSQL(n.Relation)+" ("+strings.Join(defs, ", ")+")"); err != nil {
		return err
	}
	c.created[n.Relation.String()] = n.ID
	return nil
}

// source creates a source table from its yml columns, or the warehouse's.
func (c *checker) source(ctx context.Context, n *compile.Node) bool {
	var declared []project.Column
	if n.Props != nil {
		declared = n.Props.Columns
	}
	typed := len(declared) > 0
	for _, col := range declared {
		typed = typed && strings.TrimSpace(col.DataType) != ""
	}
	what := nodeName(n)
	if typed {
		site := run.PropsSite(c.m.Project, n)
		_, bad := run.EngineTypes(ctx, c.db, declared)
		if len(bad) > 0 {
			for _, col := range declared {
				if err := bad[col.Name]; err != nil {
					c.report.Problems.Add(site(col.Name, "%s: column %q: data_type %s is not a DuckDB type: %s", what, col.Name, col.DataType, engineMessage(err)))
				}
			}
			return false
		}
		cols := make([]adapter.Column, len(declared))
		for i, col := range declared {
			cols[i] = adapter.Column{Name: col.Name, Type: col.DataType}
		}
		if err := c.createTable(ctx, n, cols); err != nil {
			c.report.Problems.Add(site("", "%s: %s", what, engineMessage(err)))
			return false
		}
		return true
	}
	why := "its yml declares no data_type for its columns"
	if c.opts.Warehouse != nil {
		kind, cols, err := c.opts.Warehouse.Describe(ctx, n.Relation)
		switch {
		case err != nil:
			why += " and the warehouse could not be read (" + firstLine(err.Error()) + ")"
		case kind == adapter.KindNone || len(cols) == 0:
			why += " and the warehouse has no " + n.Relation.String()
		default:
			if err := c.createTable(ctx, n, cols); err == nil {
				return true
			}
			why += " and the warehouse's column types are not DuckDB's"
		}
	}
	c.blocked[n.ID] = what + ", whose columns are unknown"
	file := n.Path
	if n.Props != nil && n.Props.File != "" {
		file = n.Props.File
	}
	c.note(n.ID, file, fmt.Sprintf("%s: columns unknown: %s; declare each column's data_type to check the models that read it", what, why))
	return false
}

// seed creates a seed's table with the columns DuckDB's readers give its
// files, as a build would type them.
func (c *checker) seed(ctx context.Context, n *compile.Node) bool {
	spec, err := run.SeedSpec(c.m, n, false)
	var cols []adapter.Column
	if err == nil {
		cols, err = c.db.SeedColumns(ctx, spec)
	}
	if err == nil {
		err = c.createTable(ctx, n, cols)
	}
	if err != nil {
		c.report.Problems.Add(&diag.Error{File: n.Path, Msg: err.Error(), Err: err})
		return false
	}
	return true
}

// model binds a model's (or snapshot's) SQL by creating its relation from
// it, empty: children then bind against its real columns and types.
func (c *checker) model(ctx context.Context, n *compile.Node, r *rendered) bool {
	if r.err != nil {
		c.report.Problems.Add(r.err)
		return false
	}
	if r.runQuery {
		c.note(n.ID, n.Path, "run_query returns no rows at check time (there is no warehouse), so the SQL checked is what the model renders with none")
	}
	mat := n.Materialized()
	rel := n.Relation
	if mat == "ephemeral" || n.Kind == compile.KindSnapshot {
		// Children inline an ephemeral model; a snapshot's table has more
		// columns than its query. Bind the query on its own first.
		c.scratch++
		rel = adapter.Relation{Schema: "__ingot_check", Name: fmt.Sprintf("q%d", c.scratch)}
	}
	if err := c.ensureSchema(ctx, rel); err != nil {
		c.report.Problems.Add(&diag.Error{File: n.Path, Msg: engineMessage(err), Err: err})
		return false
	}
	if err := c.exec(ctx, "CREATE TABLE "+relSQL(rel)+" AS SELECT * FROM ("+trimSQL(r.sql)+"\n) LIMIT 0"); err != nil {
		c.report.Problems.Add(c.located(n, r.sql, err, ""))
		return false
	}
	if mat == "ephemeral" {
		c.created[rel.String()] = n.ID
	}
	ok := true
	if mat == "incremental" && r.inc != r.sql {
		// this exists, as the model's own (empty) table.
		if err := c.exec(ctx, "SELECT * FROM ("+trimSQL(r.inc)+"\n) LIMIT 0"); err != nil {
			c.report.Problems.Add(c.located(n, r.inc, err, " (in the is_incremental branch)"))
			ok = false
		}
	}
	switch {
	case n.Kind == compile.KindSnapshot:
		return c.snapshot(ctx, n, r.sql, rel) && ok
	case mat != "ephemeral":
		c.created[rel.String()] = n.ID
	}
	if n.Config.ContractEnforced() {
		built, err := run.QueryColumns(ctx, c.db, "select * from "+relSQL(rel))
		if err != nil {
			c.report.Problems.Add(&diag.Error{File: n.Path, Msg: engineMessage(err), Err: err})
			return false
		}
		if problems := run.ContractProblems(ctx, c.db, c.m.Project, n, built); len(problems) > 0 {
			c.report.Problems.Add(problems)
			ok = false
		}
	}
	return ok
}

// snapshot creates a snapshot's table as its first run would, from the
// columns of its query (bound into query).
func (c *checker) snapshot(ctx context.Context, n *compile.Node, sql string, query adapter.Relation) bool {
	fail := func(err error) bool {
		c.report.Problems.Add(&diag.Error{File: n.Path, Msg: "snapshot " + n.Name + ": " + engineMessage(err), Err: err})
		return false
	}
	cfg, err := snapshot.ParseConfig(func(k string) any { return n.Config[k] })
	if err != nil {
		return fail(err)
	}
	src, err := run.QueryColumns(ctx, c.db, "select * from "+relSQL(query))
	if err != nil {
		return fail(err)
	}
	if err := c.ensureSchema(ctx, n.Relation); err != nil {
		return fail(err)
	}
	plan, err := snapshot.Build(cfg, snapshot.Input{Relation: n.Relation, Query: sql, Source: src, Now: c.m.Opts.RunStarted})
	if err != nil {
		return fail(err)
	}
	for _, stmt := range plan.Statements {
		if err := c.exec(ctx, stmt); err != nil {
			return fail(err)
		}
	}
	c.created[n.Relation.String()] = n.ID
	return true
}

// located turns a DuckDB error binding sql (compiled from n) into a
// problem at the template's line, as a build's error is located.
func (c *checker) located(n *compile.Node, sql string, err error, where string) *diag.Error {
	msg := engineMessage(err) + where
	if c.foreign != "" {
		msg += " (DuckDB's binder; the target is " + c.foreign + ")"
	}
	d := &diag.Error{File: n.Path, Msg: msg, Err: err}
	var qe *adapter.QueryLineError
	if !errors.As(duckdb.QueryLine(err), &qe) || n.Model == nil {
		return d
	}
	if line, ok := diag.SourceLine(sql, qe.Line, n.Model.Src); ok {
		d.Line, d.Source = line, diag.LineOf(n.Model.Src, line)
		return d
	}
	// The line comes from a macro or an ephemeral model inlined: show the
	// compiled line instead.
	d.Msg += fmt.Sprintf(" (line %d of the compiled SQL: %s)", qe.Line, strings.TrimSpace(diag.LineOf([]byte(sql), qe.Line)))
	return d
}

// engineMessage is DuckDB's message without the LINE excerpt of the
// statement (which shows the check's wrapper, not the user's file), on one
// line.
func engineMessage(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "\n\nLINE "); i >= 0 {
		msg = msg[:i]
	} else if i := strings.Index(msg, "\nLINE "); i >= 0 {
		msg = msg[:i]
	}
	// DuckDB lists every overload of an operator it could not pick: dozens
	// of lines that bury the point.
	if i := strings.Index(msg, "Candidate functions:"); i >= 0 {
		msg = msg[:i]
	}
	return strings.Join(strings.Fields(msg), " ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func trimSQL(s string) string { return strings.TrimRight(s, " \t\r\n;") }

// columns reads every created table's columns at once into the report.
func (c *checker) columns(ctx context.Context) error {
	rows, err := c.conn.QueryContext(ctx, `SELECT database_name, schema_name, table_name, column_name, data_type
FROM duckdb_columns() WHERE NOT internal ORDER BY database_name, schema_name, table_name, column_index`)
	if err != nil {
		return fmt.Errorf("check: reading columns: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var db, schema, table, name, typ string
		if err := rows.Scan(&db, &schema, &table, &name, &typ); err != nil {
			return fmt.Errorf("check: reading columns: %w", err)
		}
		key := adapter.Relation{Schema: schema, Name: table}.String()
		id, ok := c.created[key]
		if !ok {
			id, ok = c.created[db+"."+key]
		}
		if ok {
			c.report.Columns[id] = append(c.report.Columns[id], adapter.Column{Name: name, Type: typ})
		}
	}
	return rows.Err()
}

// Sorted returns the report's notes in file order.
func (r *Report) Sorted() []Note {
	out := append([]Note(nil), r.Notes...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].File < out[j].File })
	return out
}
