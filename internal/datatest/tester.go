package datatest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/run"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// detailRows is how many failing rows a failed test shows.
const detailRows = 5

// Options configure a Tester.
type Options struct {
	// WriteSQL stores a test's compiled SQL and returns the project-relative
	// path written; nil writes nothing.
	WriteSQL func(n *compile.Node, sql string) (string, error)
	// UnitInTarget runs unit tests in scratch schemas of the warehouse
	// adapter (dropped afterwards) instead of a scratch database.
	UnitInTarget bool
	// Scratch opens the private database unit tests run in when not in
	// the target (an in-memory DuckDB); it is opened once, on first use.
	Scratch func(ctx context.Context) (adapter.Adapter, error)
	// FullRefresh is the run's --full-refresh: incremental seeds will be
	// loaded whole, so their files say what their columns will be.
	FullRefresh bool
}

// Tester runs test nodes; it implements run.Tester and is safe for
// concurrent use. Close it when the run is over.
type Tester struct {
	m    *compile.Manifest
	a    adapter.Adapter // warehouse; nil when only unit tests run
	opts Options

	memOnce sync.Once
	mem     adapter.Adapter // scratch database of unit tests
	memErr  error

	seq     atomic.Int64 // scratch schema numbers
	schemas schemaCache  // column types of unit-test inputs
}

var _ run.Tester = (*Tester)(nil)

// New returns a Tester for the tests of m; a is the warehouse, which may be
// nil when no data test (and no unit test in the target) will run.
func New(m *compile.Manifest, a adapter.Adapter, opts Options) *Tester {
	return &Tester{m: m, a: a, opts: opts, schemas: schemaCache{entries: map[string]*schemaEntry{}}}
}

// Close releases the in-memory database of unit tests.
func (t *Tester) Close() error {
	if t.mem != nil {
		return t.mem.Close()
	}
	return nil
}

// RunTest implements run.Tester.
func (t *Tester) RunTest(ctx context.Context, n *compile.Node) run.Result {
	var res run.Result
	switch x := n.Test.(type) {
	case *dataTest:
		res = t.runData(ctx, n, x)
	case *unitTest:
		res = t.runUnit(ctx, n, x)
	default:
		res = run.Result{Err: fmt.Errorf("test %s: not planned by ingot's test planner", n.Name)}
	}
	res.Rows = -1
	if res.Err != nil {
		res.Status = run.StatusError
	}
	return res
}

// DataSQL returns the compiled query of a generic or singular test: the
// rows it returns are the failures (before limit).
func (t *Tester) DataSQL(ctx context.Context, n *compile.Node) (string, error) {
	dt, ok := n.Test.(*dataTest)
	if !ok {
		return "", fmt.Errorf("%s is not a data test", n.ID)
	}
	return t.dataSQL(ctx, n, dt)
}

func (t *Tester) dataSQL(ctx context.Context, n *compile.Node, dt *dataTest) (string, error) {
	if n.TestType == TypeSingular {
		sql, err := t.m.Render(ctx, n.ID, compile.RenderOptions{})
		if err != nil {
			return "", err
		}
		return trimSQL(sql), nil
	}
	target := t.m.Nodes[dt.Target]
	rel, err := t.fromItem(ctx, target)
	if err != nil {
		return "", err
	}
	if dt.Config.Where != "" {
		where := dt.Config.Where
		if strings.Contains(where, "{{") {
			where, err = t.m.RenderText(ctx, target.ID, n.Path+" (where of "+n.Name+")", where, compile.RenderOptions{})
			if err != nil {
				return "", err
			}
		}
		rel = fmt.Sprintf("(select * from %s as w where %s)", rel, where)
	}
	col := ""
	if dt.Column != "" {
		col = quoteColumn(t.m.Opts.Dialect, dt.Column)
	}
	if dt.Macro {
		return t.macroSQL(ctx, n, dt, target, rel)
	}
	b := builtins()[dt.Generic]
	q := query{Rel: rel, Column: col, Args: dt.Args, RunStarted: t.m.Opts.RunStarted, Dialect: t.m.Opts.Dialect}
	if dt.To != "" {
		if q.To, err = t.fromItem(ctx, t.m.Nodes[dt.To]); err != nil {
			return "", err
		}
	}
	return b.Build(q), nil
}

// fromItem is the SQL to select a node's rows from: its relation, or the
// query of an ephemeral model in parentheses.
func (t *Tester) fromItem(ctx context.Context, n *compile.Node) (string, error) {
	if n.Kind == compile.KindModel && n.Materialized() == "ephemeral" {
		sql, err := t.m.Render(ctx, n.ID, compile.RenderOptions{})
		if err != nil {
			return "", err
		}
		return "(\n" + trimSQL(sql) + "\n)", nil
	}
	return t.m.RelationSQL(n.Relation), nil
}

// macroSQL renders a user-defined generic test: macro test_<name> gets a
// dict with model (a from-item), column_name and the test's arguments
// (ref/source arguments as relations).
func (t *Tester) macroSQL(ctx context.Context, n *compile.Node, dt *dataTest, target *compile.Node, rel string) (string, error) {
	args := map[string]any{}
	for k, v := range dt.Args {
		args[k] = v
	}
	for k, id := range dt.RefArgs {
		r, err := t.fromItem(ctx, t.m.Nodes[id])
		if err != nil {
			return "", err
		}
		args[k] = r
	}
	// dbt passes the filtered relation with an alias; a plain relation needs none.
	if strings.HasPrefix(rel, "(") {
		rel += " as dbt_subquery"
	}
	args["model"] = rel
	args["column_name"] = dt.Column
	const key = "__ingot_test_arguments"
	text := fmt.Sprintf("{{ test_%s (var %q) }}", dt.Generic, key)
	sql, err := t.m.RenderText(ctx, target.ID, n.Path+" (test "+n.Name+")", text, compile.RenderOptions{Vars: map[string]any{key: args}})
	if err != nil {
		return "", err
	}
	return trimSQL(sql), nil
}

func trimSQL(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), "; \t\n")
}

// runData runs a generic or singular test: it counts the failing rows and
// decides pass, warn or fail from severity and thresholds.
func (t *Tester) runData(ctx context.Context, n *compile.Node, dt *dataTest) run.Result {
	sql, err := t.dataSQL(ctx, n, dt)
	if err != nil {
		return run.Result{Err: fmt.Errorf("test %s: %w", n.Name, err)}
	}
	cfg := dt.Config
	if cfg.Limit > 0 {
		sql = fmt.Sprintf("select * from (\n%s\n) as ingot_limited\nlimit %d", sql, cfg.Limit)
	}
	res := run.Result{SQL: sql}
	if t.opts.WriteSQL != nil {
		if res.SQLPath, err = t.opts.WriteSQL(n, sql); err != nil {
			res.Err = fmt.Errorf("test %s: %w", n.Name, err)
			return res
		}
	}
	if t.a == nil {
		res.Err = fmt.Errorf("test %s needs the warehouse, which is not open", n.Name)
		return res
	}
	from := "(\n" + sql + "\n) as ingot_test"
	var stored string
	if cfg.StoreFailures {
		rel := auditRelation(n, cfg)
		if err := t.a.CreateTableAs(ctx, rel, sql); err != nil {
			res.Err = fmt.Errorf("test %s: storing failures: %w", n.Name, err)
			return res
		}
		from = t.a.Dialect().RelationSQL(rel)
		stored = rel.String()
	}
	rows, err := t.a.Query(ctx, "select count(*) as failures from "+from, 0)
	if err != nil {
		res.Err = fmt.Errorf("test %s: %w", n.Name, err)
		return res
	}
	if len(rows.Rows) != 1 || len(rows.Rows[0]) != 1 {
		res.Err = fmt.Errorf("test %s: counting failures returned no row", n.Name)
		return res
	}
	failures, ok := asInt(rows.Rows[0][0])
	if !ok {
		res.Err = fmt.Errorf("test %s: failure count %v is not a number", n.Name, rows.Rows[0][0])
		return res
	}
	res.Failures = failures
	status, cond := cfg.decide(failures)
	res.Status = status
	if status == run.StatusPass {
		return res
	}
	verb := "fail"
	if status == run.StatusWarn {
		verb = "warn"
	}
	res.Message = fmt.Sprintf("Got %d result%s, configured to %s if %s", failures, plural(failures), verb, cond)
	var detail strings.Builder
	if failures > 0 {
		sample, err := t.a.Query(ctx, "select * from "+from, detailRows)
		if err != nil {
			res.Err = fmt.Errorf("test %s: reading failing rows: %w", n.Name, err)
			res.Status = ""
			return res
		}
		if failures > detailRows {
			fmt.Fprintf(&detail, "first %d of %d failing rows:\n", detailRows, failures)
		} else {
			fmt.Fprintf(&detail, "%d failing row%s:\n", failures, plural(failures))
		}
		detail.WriteString(textutil.Table(sample))
	} else {
		fmt.Fprintf(&detail, "%s\n", res.Message)
	}
	if stored != "" {
		fmt.Fprintf(&detail, "failing rows stored in %s\n", stored)
	}
	res.Detail = indent(strings.TrimRight(detail.String(), "\n"))
	return res
}

// auditRelation is the table store_failures writes: <schema>.<test name>,
// the name shortened with a hash when PostgreSQL's 63-byte limit would cut it.
func auditRelation(n *compile.Node, c config) adapter.Relation {
	schema := c.Schema
	if schema == "" {
		schema = defaultAuditSchema
	}
	name := n.Name
	if c.Alias != "" {
		name = c.Alias
	}
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(name))
		name = name[:54] + "_" + hex.EncodeToString(sum[:])[:8]
	}
	return adapter.Relation{Schema: schema, Name: name}
}

func indent(s string) string {
	if s == "" {
		return ""
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// unitDB returns the database unit tests run in: the warehouse when
// UnitInTarget is set, else one in-memory DuckDB shared by all unit tests
// (each test works in its own schema).
func (t *Tester) unitDB(ctx context.Context) (adapter.Adapter, error) {
	if t.opts.UnitInTarget {
		if t.a == nil {
			return nil, errors.New("unit tests run in the target here, which is not open")
		}
		return t.a, nil
	}
	t.memOnce.Do(func() {
		if t.opts.Scratch == nil {
			t.memErr = errors.New("unit tests need a scratch database, and none was given")
			return
		}
		db, err := t.opts.Scratch(ctx)
		if err != nil {
			t.memErr = fmt.Errorf("opening the scratch database for unit tests: %w", err)
			return
		}
		t.mem = db
	})
	return t.mem, t.memErr
}
