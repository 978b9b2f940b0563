package datatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/diag"
	"github.com/ingot-dev/ingot/internal/project"
	"github.com/ingot-dev/ingot/internal/run"
)

// unitTest is what a unit test node carries in Node.Test.
type unitTest struct {
	Spec        *project.UnitTest
	Model       string // node ID of the model under test
	Given       []givenInput
	This        *fixture // rows of {{ this }} (is_incremental tests)
	Expect      fixture
	Ordered     bool
	Incremental bool
	Vars        map[string]any
}

// givenInput is one fixture standing in for a ref or source.
type givenInput struct {
	Node    string // node ID
	Fixture fixture
	Line    int
}

// units plans the unit_tests entries of property files.
func (p *planner) units() ([]*compile.Node, error) {
	var errs diag.List
	var out []*compile.Node
	for _, u := range p.m.Project.UnitTests {
		n, err := p.unit(u)
		if err != nil {
			errs.Add(err)
			continue
		}
		if n != nil {
			out = append(out, n)
		}
	}
	return out, errs.Err()
}

func (p *planner) unit(u *project.UnitTest) (*compile.Node, error) {
	at := func(line int, format string, args ...any) error {
		return p.errAt(u.File, line, 0, "unit test %s: "+format, append([]any{u.Name}, args...)...)
	}
	model, err := p.m.Lookup(u.Model)
	if err != nil {
		for _, pm := range p.m.Project.Models {
			if pm.Name == u.Model || pm.Schema+"."+pm.Name == u.Model {
				return nil, nil // the model is disabled, and so is its test
			}
		}
		return nil, at(u.Line, "%v", err)
	}
	if model.Kind != compile.KindModel {
		return nil, at(u.Line, "%s is a %s; unit tests test models", u.Model, model.Kind)
	}
	ut := &unitTest{Spec: u, Model: model.ID, Ordered: u.Expect.Ordered, Incremental: u.Overrides.IsIncremental, Vars: u.Overrides.Vars}
	for k := range u.Overrides.Macros {
		if k != "is_incremental" {
			return nil, at(u.Line, "overrides.macros.%s: only is_incremental can be overridden (use overrides.vars for values)", k)
		}
	}
	allowed := modelInputs(p.m, model)
	seen := map[string]bool{}
	for _, g := range u.Given {
		f, err := parseFixture(g.Format, g.Rows)
		if err != nil {
			return nil, at(g.Line, "input %s: %v", g.Input, err)
		}
		if strings.TrimSpace(g.Input) == "this" {
			if ut.This != nil {
				return nil, at(g.Line, "input this is given twice")
			}
			ut.This = &f
			continue
		}
		in, err := p.resolveRelationArg(g.Input)
		if err != nil {
			return nil, at(g.Line, "input %s: %v", g.Input, err)
		}
		if !allowed[in.ID] {
			names := make([]string, 0, len(allowed))
			for _, id := range sortedKeys(allowed) {
				names = append(names, inputName(p.m.Nodes[id]))
			}
			list := "none"
			if len(names) > 0 {
				list = strings.Join(names, ", ")
			}
			return nil, at(g.Line, "input %s is not read by model %s (its inputs: %s)", g.Input, model.Name, list)
		}
		if seen[in.ID] {
			return nil, at(g.Line, "input %s is given twice", g.Input)
		}
		seen[in.ID] = true
		ut.Given = append(ut.Given, givenInput{Node: in.ID, Fixture: f, Line: g.Line})
	}
	if u.Overrides.This != nil {
		if ut.This != nil {
			return nil, at(u.Line, "this is given both as an input and under overrides")
		}
		format, rows := "", u.Overrides.This
		if m, ok := rows.(map[string]any); ok {
			format, rows = fmt.Sprint(m["format"]), m["rows"]
			if m["format"] == nil {
				format = ""
			}
		}
		f, err := parseFixture(format, rows)
		if err != nil {
			return nil, at(u.Line, "overrides.this: %v", err)
		}
		ut.This = &f
	}
	if u.Expect.Rows == nil && u.Expect.Format == "" {
		return nil, at(u.Line, "no expect rows (write expect: {rows: []} to expect none)")
	}
	if ut.Expect, err = parseFixture(u.Expect.Format, u.Expect.Rows); err != nil {
		return nil, at(u.Line, "expect: %v", err)
	}
	cfg := project.Config{}
	if len(u.Tags) > 0 {
		cfg["tags"] = toAny(u.Tags)
	}
	return &compile.Node{
		ID: "unit_test." + model.Name + "." + u.Name, Kind: compile.KindTest, Name: u.Name, Path: u.File,
		Config: cfg, AttachedTo: []string{model.ID}, TestType: TypeUnit, Test: ut,
	}, nil
}

// modelInputs are the nodes a model reads: its parents, and through
// ephemeral parents (inlined into it) theirs.
func modelInputs(m *compile.Manifest, n *compile.Node) map[string]bool {
	out := map[string]bool{}
	var visit func(x *compile.Node)
	visit = func(x *compile.Node) {
		for _, id := range x.DependsOn {
			p := m.Nodes[id]
			if p == nil || p.Kind == compile.KindTest || out[id] {
				continue
			}
			out[id] = true
			if p.Kind == compile.KindModel && p.Materialized() == "ephemeral" {
				visit(p)
			}
		}
	}
	visit(n)
	return out
}

func inputName(n *compile.Node) string {
	if n.Kind == compile.KindSource {
		return fmt.Sprintf("source(%q, %q)", n.Source.SourceName, n.Name)
	}
	return fmt.Sprintf("ref(%q)", n.Name)
}

// resolveKey turns a render override key ("ref:x", "source:s.t") into a node.
func resolveKey(m *compile.Manifest, key string) *compile.Node {
	if name, ok := strings.CutPrefix(key, "ref:"); ok {
		n, err := m.Lookup(name)
		if err != nil {
			return nil
		}
		return n
	}
	if st, ok := strings.CutPrefix(key, "source:"); ok {
		// Source names and table names are identifiers; the first dot splits them.
		src, table, _ := strings.Cut(st, ".")
		n, err := m.LookupSource(src, table)
		if err != nil {
			return nil
		}
		return n
	}
	return nil
}

// runUnit builds the fixtures in a scratch schema, runs the model's SQL
// against them and compares the expected columns.
func (t *Tester) runUnit(ctx context.Context, n *compile.Node, ut *unitTest) run.Result {
	fail := func(err error) run.Result {
		return run.Result{Err: fmt.Errorf("unit test %s: %w", n.Name, err)}
	}
	db, err := t.unitDB(ctx)
	if err != nil {
		return fail(err)
	}
	schema, drop, err := t.scratchSchema(ctx, db)
	if err != nil {
		return fail(err)
	}
	defer drop()
	model := t.m.Nodes[ut.Model]

	tables := map[string]string{} // node ID → fixture relation SQL
	for _, g := range ut.Given {
		p := t.m.Nodes[g.Node]
		rel := adapter.Relation{Schema: schema, Name: fixtureName(p)}
		if err := t.createFixture(ctx, db, rel, g.Fixture, p); err != nil {
			return fail(fmt.Errorf("input %s: %w", inputName(p), err))
		}
		tables[p.ID] = db.Dialect().RelationSQL(rel)
	}
	this := ""
	if ut.This != nil || ut.Incremental {
		rel := adapter.Relation{Schema: schema, Name: "this"}
		f := fixture{Format: formatDict}
		if ut.This != nil {
			f = *ut.This
		}
		if err := t.createFixture(ctx, db, rel, f, model); err != nil {
			return fail(fmt.Errorf("input this: %w", err))
		}
		this = db.Dialect().RelationSQL(rel)
	}

	// Inputs that are not given become empty tables with their columns;
	// ephemeral models not given are inlined as usual, their inputs
	// replaced the same way.
	var mu sync.Mutex
	var overrideErr error
	override := func(key string) (string, bool) {
		p := resolveKey(t.m, key)
		if p == nil {
			return "", false
		}
		mu.Lock()
		defer mu.Unlock()
		if rel, ok := tables[p.ID]; ok {
			return rel, true
		}
		if p.Kind == compile.KindModel && p.Materialized() == "ephemeral" {
			return "", false
		}
		rel := adapter.Relation{Schema: schema, Name: fixtureName(p)}
		if err := t.createFixture(ctx, db, rel, fixture{Format: formatDict}, p); err != nil {
			if overrideErr == nil {
				overrideErr = fmt.Errorf("input %s (not given, so an empty table): %w", inputName(p), err)
			}
			return db.Dialect().RelationSQL(rel), true
		}
		tables[p.ID] = db.Dialect().RelationSQL(rel)
		return tables[p.ID], true
	}
	sql, err := t.m.Render(ctx, model.ID, compile.RenderOptions{
		Incremental: ut.Incremental, Vars: ut.Vars, Override: override, This: this,
		Query: func(ctx context.Context, q string) ([]map[string]any, error) { return queryMaps(ctx, db, q) },
	})
	if err == nil {
		err = overrideErr
	}
	if err != nil {
		return fail(err)
	}
	sql = trimSQL(sql)
	res := run.Result{SQL: sql}
	if t.opts.WriteSQL != nil {
		note := fmt.Sprintf("-- unit test %s of model %s: the inputs are fixture tables in schema %s,\n-- which is dropped after the test\n", n.Name, model.Name, schema)
		if res.SQLPath, err = t.opts.WriteSQL(n, note+sql); err != nil {
			return fail(err)
		}
	}
	actual, err := db.Query(ctx, sql, 0)
	if err != nil {
		res.Err = fmt.Errorf("unit test %s: running model %s: %w", n.Name, model.Name, err)
		return res
	}
	cols, expected, err := t.expectedRows(ctx, db, ut.Expect)
	if err != nil {
		res.Err = fmt.Errorf("unit test %s: expect: %w", n.Name, err)
		return res
	}
	idx := make([]int, len(cols))
	var absent []string
	for i, c := range cols {
		idx[i] = -1
		for j, ac := range actual.Columns {
			if ac.Name == c || (idx[i] < 0 && strings.EqualFold(ac.Name, c)) {
				idx[i] = j
			}
		}
		if idx[i] < 0 {
			absent = append(absent, c)
		}
	}
	if len(absent) > 0 {
		names := make([]string, len(actual.Columns))
		for i, c := range actual.Columns {
			names[i] = c.Name
		}
		res.Status, res.Failures = run.StatusFail, int64(len(expected))
		res.Detail = indent(fmt.Sprintf("expected column%s %s not in the model's output (its columns: %s)",
			plural(int64(len(absent))), strings.Join(absent, ", "), strings.Join(names, ", ")))
		return res
	}
	// Show the expected columns in the order the model returns them.
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return idx[order[a]] < idx[order[b]] })
	cols, idx, expected = reorder(cols, idx, expected, order)
	got := make([][]any, len(actual.Rows))
	for r, row := range actual.Rows {
		got[r] = make([]any, len(cols))
		for i, j := range idx {
			got[r][i] = row[j]
		}
	}
	failures, diff := compareRows(cols, expected, got, ut.Ordered)
	res.Failures = failures
	if failures == 0 {
		res.Status = run.StatusPass
		return res
	}
	res.Status = run.StatusFail
	res.Message = fmt.Sprintf("%d row%s differ", failures, plural(failures))
	res.Detail = indent(diff)
	return res
}

func reorder(cols []string, idx []int, rows [][]any, order []int) ([]string, []int, [][]any) {
	c2 := make([]string, len(order))
	i2 := make([]int, len(order))
	for i, o := range order {
		c2[i], i2[i] = cols[o], idx[o]
	}
	r2 := make([][]any, len(rows))
	for r, row := range rows {
		r2[r] = make([]any, len(order))
		for i, o := range order {
			r2[r][i] = row[o]
		}
	}
	return c2, i2, r2
}

// expectedRows reads the expect fixture: its columns and rows.
func (t *Tester) expectedRows(ctx context.Context, db adapter.Adapter, f fixture) ([]string, [][]any, error) {
	if f.Format != formatSQL {
		return f.Columns, f.Rows, nil
	}
	rows, err := db.Query(ctx, f.SQL, 0)
	if err != nil {
		return nil, nil, err
	}
	cols := make([]string, len(rows.Columns))
	for i, c := range rows.Columns {
		cols[i] = c.Name
	}
	return cols, rows.Rows, nil
}

// fixtureName names an input's table in the scratch schema.
func fixtureName(n *compile.Node) string {
	if n.Kind == compile.KindSource {
		return "source__" + n.Source.SourceName + "__" + n.Name
	}
	return n.Relation.Schema + "__" + n.Name
}

// createFixture creates rel with the rows of f, shaped like node p: every
// column p has (as far as it can be found), given values cast to p's types.
func (t *Tester) createFixture(ctx context.Context, db adapter.Adapter, rel adapter.Relation, f fixture, p *compile.Node) error {
	known, kerr := t.columnsOf(ctx, db, p.ID)
	var kp *relationColumns
	if kerr == nil && len(known.Cols) > 0 {
		kp = &known
	}
	if kp == nil && len(f.Columns) == 0 && f.Format != formatSQL {
		if kerr != nil {
			return fmt.Errorf("its columns could not be found (%v); give its rows", kerr)
		}
		return fmt.Errorf("its columns are unknown; give its rows, or declare its columns in yml")
	}
	var sqlCols []adapter.Column
	create := func(sql string) error {
		if err := db.CreateTableAs(ctx, rel, sql); err != nil {
			return fmt.Errorf("creating its fixture table: %w", err)
		}
		return nil
	}
	if f.Format == formatSQL {
		if kp == nil {
			return create(f.SQL)
		}
		rows, err := db.Query(ctx, "select * from (\n"+f.SQL+"\n) as v where 1 = 0", 0)
		if err != nil {
			return fmt.Errorf("its sql rows: %w", err)
		}
		sqlCols = rows.Columns
	}
	sql, err := rowsSQL(f, kp, db.Dialect(), sqlCols)
	if err != nil {
		return err
	}
	return create(sql)
}

// scratchSchema creates a schema of its own for one unit test and returns
// a function dropping it.
func (t *Tester) scratchSchema(ctx context.Context, db adapter.Adapter) (string, func(), error) {
	seq := t.seq.Add(1)
	name := fmt.Sprintf("ingot_unit_%d", seq)
	if t.opts.UnitInTarget {
		// Several runs may share the target database.
		var b [4]byte
		_, _ = rand.Read(b[:])
		name = fmt.Sprintf("ingot_unit_%s_%d", hex.EncodeToString(b[:]), seq)
	}
	if err := db.EnsureSchema(ctx, name); err != nil {
		return "", nil, err
	}
	drop := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_, _ = db.Exec(cctx, "drop schema if exists "+db.Dialect().Quote(name)+" cascade")
	}
	return name, drop, nil
}

func queryMaps(ctx context.Context, db adapter.Adapter, q string) ([]map[string]any, error) {
	rows, err := db.Query(ctx, q, 0)
	if err != nil {
		return nil, err
	}
	return rows.Maps(), nil
}

// schemaCache remembers the columns of unit-test inputs for the run; each
// is worked out once even when tests ask concurrently.
type schemaCache struct {
	mu      sync.Mutex
	entries map[string]*schemaEntry
}

type schemaEntry struct {
	done chan struct{}
	cols relationColumns
	err  error
}

// columnsOf finds the columns (and types) of a model, seed or source
// without a warehouse: a seed's file is read with DuckDB's sniffer, a model
// is compiled against empty relations shaped like its own inputs and
// described, a source has the columns its yml declares. Declared data_type
// wins over a found type.
func (t *Tester) columnsOf(ctx context.Context, db adapter.Adapter, id string) (relationColumns, error) {
	c := &t.schemas
	c.mu.Lock()
	e, ok := c.entries[id]
	if !ok {
		e = &schemaEntry{done: make(chan struct{})}
		c.entries[id] = e
		c.mu.Unlock()
		e.cols, e.err = t.discover(ctx, db, id)
		close(e.done)
		return e.cols, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
		return e.cols, e.err
	case <-ctx.Done():
		return relationColumns{}, ctx.Err()
	}
}

func (t *Tester) discover(ctx context.Context, db adapter.Adapter, id string) (relationColumns, error) {
	n := t.m.Nodes[id]
	if n == nil {
		return relationColumns{}, fmt.Errorf("unknown node %s", id)
	}
	var declared []project.Column
	if n.Props != nil {
		declared = n.Props.Columns
	}
	var cols []adapter.Column
	var err error
	switch n.Kind {
	case compile.KindSeed:
		cols, err = t.seedColumns(ctx, db, n)
	case compile.KindModel:
		cols, err = t.modelColumns(ctx, db, n)
	default:
		err = fmt.Errorf("%s declares no columns in yml", inputName(n))
	}
	if err != nil {
		if len(declared) == 0 {
			return relationColumns{}, err
		}
		out := relationColumns{}
		for _, c := range declared {
			out.Cols = append(out.Cols, adapter.Column{Name: c.Name, Type: c.DataType})
		}
		return out, nil
	}
	for i, c := range cols {
		for _, d := range declared {
			if strings.EqualFold(d.Name, c.Name) && d.DataType != "" {
				cols[i].Type = d.DataType
			}
		}
	}
	return relationColumns{Cols: cols, Exact: true}, nil
}

// seedColumns reads a seed's columns the way `ingot seed` would type them,
// described rather than loaded (a seed can be millions of rows). An
// incremental seed is asked of the warehouse, when open: a load that
// appends keeps its table's columns, and reading them spares sniffing
// every file.
func (t *Tester) seedColumns(ctx context.Context, db adapter.Adapter, n *compile.Node) ([]adapter.Column, error) {
	spec, err := run.SeedSpec(t.m, n, t.opts.FullRefresh)
	if err != nil {
		return nil, err
	}
	if spec.Incremental && t.a != nil {
		db = t.a
	}
	return db.SeedColumns(ctx, spec)
}

// modelColumns compiles a model with every input replaced by an empty CTE
// of that input's columns and asks the engine for the result's columns.
func (t *Tester) modelColumns(ctx context.Context, db adapter.Adapter, n *compile.Node) ([]adapter.Column, error) {
	var mu sync.Mutex
	var defs []string
	names := map[string]string{}
	var firstErr error
	override := func(key string) (string, bool) {
		p := resolveKey(t.m, key)
		if p == nil || (p.Kind == compile.KindModel && p.Materialized() == "ephemeral") {
			return "", false
		}
		mu.Lock()
		name, ok := names[p.ID]
		mu.Unlock()
		if ok {
			return name, true
		}
		cols, err := t.columnsOf(ctx, db, p.ID)
		mu.Lock()
		defer mu.Unlock()
		name = fmt.Sprintf("ingot_empty_%d", len(names)+1)
		names[p.ID] = name
		if err == nil && len(cols.Cols) == 0 {
			err = fmt.Errorf("no columns known")
		}
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("input %s: %w", inputName(p), err)
			}
			return name, true
		}
		defs = append(defs, name+" as (\n"+emptySQL(cols.Cols, db.Dialect())+"\n)")
		return name, true
	}
	sql, err := t.m.Render(ctx, n.ID, compile.RenderOptions{Override: override})
	if err == nil {
		err = firstErr
	}
	if err != nil {
		return nil, fmt.Errorf("compiling model %s: %w", n.Name, err)
	}
	sql = trimSQL(sql)
	if len(defs) > 0 {
		sql = compile.InjectCTEs(sql, defs)
	}
	rows, err := db.Query(ctx, "select * from (\n"+sql+"\n) as ingot_columns where 1 = 0", 0)
	if err != nil {
		return nil, fmt.Errorf("describing model %s: %w", n.Name, err)
	}
	return rows.Columns, nil
}
