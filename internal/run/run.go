// Package run executes selected nodes against an adapter: seeds are
// loaded, models rendered (with is_incremental decided from the warehouse)
// and materialized, tests delegated to a Tester, all in one DAG walk.
package run

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
)

// Statuses of a node's result, as dbt prints them.
const (
	StatusSuccess = "success"
	StatusError   = "error"
	StatusSkipped = "skipped"
	StatusPass    = "pass"
	StatusWarn    = "warn"
	StatusFail    = "fail"
)

// Result is what happened to one node.
type Result struct {
	ID        string
	Node      *compile.Node
	Status    string
	Message   string // short status text, e.g. "CREATE TABLE (42 rows)"
	Rows      int64  // rows affected, -1 unknown
	Failures  int64  // failing rows of a test
	Err       error
	Started   time.Time
	Duration  time.Duration
	SQL       string // the SQL that was run (models, tests)
	SQLPath   string // project-relative path of the written SQL
	SkippedBy string // failed ancestor that caused a skip
	Detail    string // extra text to print under the result (failing rows, diffs)
}

// Failed reports whether the result should fail the command.
func (r *Result) Failed() bool { return r.Status == StatusError || r.Status == StatusFail }

// Event is a node starting or finishing, for progress output.
type Event struct {
	Start  bool // true when the node starts, false when it ends
	Index  int  // 1-based position among the run's nodes
	Total  int
	Node   *compile.Node
	Result *Result // set on end
}

// Tester runs a test node; the datatest package implements it.
type Tester interface {
	RunTest(ctx context.Context, n *compile.Node) Result
}

// Options control a run.
type Options struct {
	Threads     int
	FailFast    bool
	FullRefresh bool
	// Caps are the target engine's: materializations take the paths they
	// allow.
	Caps adapter.Caps
	// WriteSQL stores a node's SQL under target/run; returns the
	// project-relative path written.
	WriteSQL func(n *compile.Node, sql string) (string, error)
}

// Runner executes nodes of one manifest on one adapter.
type Runner struct {
	M      *compile.Manifest
	A      adapter.Adapter
	Tester Tester
	Opts   Options
	Events func(Event)
}

// Run walks ids (a selection in topological order) and returns one result
// per node, in the order they ended.
func (r *Runner) Run(ctx context.Context, ids []string) []Result {
	var runnable []string
	for _, id := range ids {
		n := r.M.Nodes[id]
		if n == nil || n.Kind == compile.KindSource || (n.Kind == compile.KindModel && n.Materialized() == "ephemeral") {
			continue
		}
		runnable = append(runnable, id)
	}
	threads := r.Opts.Threads
	if threads <= 0 {
		threads = 1
	}
	var out []Result
	events := func(ev WalkEvent) {
		n := r.M.Nodes[ev.ID]
		if ev.Start {
			r.emit(Event{Start: true, Index: ev.Index, Total: ev.Total, Node: n})
			return
		}
		res, ok := ev.Result.Detail.(*Result)
		if !ok {
			res = &Result{ID: ev.ID, Node: n, Status: StatusSkipped, SkippedBy: ev.Result.SkippedBecause, Rows: -1}
			if p := r.M.Nodes[ev.Result.SkippedBecause]; p != nil {
				res.Message = "skipped because " + p.Name + " failed"
			} else {
				res.Message = "cancelled"
			}
		}
		out = append(out, *res)
		r.emit(Event{Index: ev.Index, Total: ev.Total, Node: n, Result: res})
	}
	Walk(ctx, r.M.Graph, runnable, WalkOptions{Threads: threads, FailFast: r.Opts.FailFast},
		func(ctx context.Context, id string) NodeResult {
			n := r.M.Nodes[id]
			res := r.runNode(ctx, n)
			res.ID, res.Node = id, n
			return NodeResult{ID: id, Status: walkStatus(res.Status), Err: res.Err, Detail: &res}
		}, events)
	return out
}

func walkStatus(s string) Status {
	switch s {
	case StatusError, StatusFail:
		return StatusFailed
	case StatusSkipped:
		return StatusSkip
	}
	return StatusOK
}

func (r *Runner) runNode(ctx context.Context, n *compile.Node) Result {
	start := time.Now()
	var res Result
	switch n.Kind {
	case compile.KindSeed:
		res = r.seed(ctx, n)
	case compile.KindModel:
		res = r.model(ctx, n)
	case compile.KindSnapshot:
		res = r.snapshot(ctx, n)
	case compile.KindTest:
		if r.Tester == nil {
			res = Result{Status: StatusError, Err: errors.New("tests are not run by this command")}
		} else {
			res = r.Tester.RunTest(ctx, n)
		}
	default:
		res = Result{Status: StatusSuccess}
	}
	res.Started, res.Duration = start, time.Since(start)
	if res.Err != nil && res.Status == "" {
		res.Status = StatusError
	}
	return res
}

func (r *Runner) seed(ctx context.Context, n *compile.Node) Result {
	if err := r.A.EnsureSchema(ctx, n.Relation.Schema); err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	seed, err := SeedSpec(r.M, n, r.Opts.FullRefresh)
	if err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	if seed.PreHooks, seed.BeforeBegin, err = r.hooks(ctx, n, "pre_hook", false); err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	if seed.PostHooks, seed.AfterCommit, err = r.hooks(ctx, n, "post_hook", false); err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	res, err := r.A.LoadSeed(ctx, seed)
	if err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	return Result{Status: StatusSuccess, Rows: res.RowsAffected, Message: res.Message}
}

func (r *Runner) model(ctx context.Context, n *compile.Node) Result {
	mat := n.Materialized()
	if err := r.A.EnsureSchema(ctx, n.Relation.Schema); err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	incremental := false
	if mat == "incremental" {
		kind, _, err := r.A.Describe(ctx, n.Relation)
		if err != nil {
			return Result{Status: StatusError, Err: err, Rows: -1}
		}
		full := r.Opts.FullRefresh
		if v, ok := n.Config["full_refresh"].(bool); ok {
			full = v // a model may opt out of (or into) full refreshes
		}
		incremental = kind == adapter.KindTable && !full
	}
	sql, err := r.M.Render(ctx, n.ID, compile.RenderOptions{Incremental: incremental, Query: r.query})
	if err != nil {
		return Result{Status: StatusError, Err: err, Rows: -1}
	}
	res := Result{SQL: sql, Rows: -1}
	if r.Opts.WriteSQL != nil {
		path, err := r.Opts.WriteSQL(n, sql)
		if err != nil {
			return Result{Status: StatusError, Err: err, Rows: -1}
		}
		res.SQLPath = path
	}
	if err := r.contract(ctx, n, sql); err != nil {
		res.Status, res.Err = StatusError, err
		return res
	}
	pre, beforeBegin, err := r.hooks(ctx, n, "pre_hook", incremental)
	if err != nil {
		res.Status, res.Err = StatusError, err
		return res
	}
	post, afterCommit, err := r.hooks(ctx, n, "post_hook", incremental)
	if err != nil {
		res.Status, res.Err = StatusError, err
		return res
	}
	ar, err := r.A.Materialize(ctx, adapter.Materialization{
		Relation: n.Relation, Materialized: mat, SQL: sql, Incremental: incremental,
		Strategy:       r.Opts.Caps.Strategy(n.Config.String("incremental_strategy"), n.Config.List("unique_key")),
		UniqueKey:      n.Config.List("unique_key"),
		OnSchemaChange: n.Config.String("on_schema_change"), Swap: n.Config.String("swap"),
		Hooks: adapter.Hooks{PreHooks: pre, PostHooks: post, BeforeBegin: beforeBegin, AfterCommit: afterCommit},
	})
	if err != nil {
		res.Status, res.Err = StatusError, err
		return res
	}
	res.Rows, res.Message, res.Status = ar.RowsAffected, ar.Message, StatusSuccess
	return res
}

// SeedSpec describes seed node n to the adapter as a run loads it: files,
// reader options, column types and, for an incremental seed, each file's
// fingerprint. fullRefresh is the run's --full-refresh.
func SeedSpec(m *compile.Manifest, n *compile.Node, fullRefresh bool) (adapter.Seed, error) {
	s := n.Seed
	types := map[string]string{}
	if ct, ok := s.Config["column_types"].(map[string]any); ok {
		for k, v := range ct {
			types[k] = fmt.Sprint(v)
		}
	}
	seed := adapter.Seed{
		Relation: n.Relation, Root: m.Project.Root, Files: s.Files, Format: s.Format,
		Sheet: s.Config.String("sheet"), Delimiter: s.Config.String("delimiter"),
		ColumnTypes: types, SourceFileColumn: s.Combined,
	}
	if !s.Config.Bool("incremental", false) {
		return seed, nil
	}
	// Rows are deleted per file, so even a single-file seed needs
	// _source_file. A file's fingerprint is its size and modification
	// time: hashing the content would read every file on every build.
	seed.Incremental, seed.SourceFileColumn = true, true
	seed.FullRefresh = fullRefresh
	if v, ok := s.Config["full_refresh"].(bool); ok {
		seed.FullRefresh = v
	}
	seed.Fingerprints = make(map[string]string, len(s.Files))
	for _, f := range s.Files {
		fi, err := os.Stat(f)
		if err != nil {
			var pe *fs.PathError
			if rel, rerr := filepath.Rel(m.Project.Root, f); rerr == nil && errors.As(err, &pe) {
				err = fmt.Errorf("%s: %w", filepath.ToSlash(rel), pe.Err)
			}
			return adapter.Seed{}, fmt.Errorf("seed %s: %w", n.Relation, err)
		}
		seed.Fingerprints[f] = fmt.Sprintf("size=%d mtime=%s", fi.Size(), fi.ModTime().UTC().Format(time.RFC3339Nano))
	}
	return seed, nil
}

// hooks renders a model's pre_hook or post_hook entries (templates too, so
// {{ this }} works in them): those run inside the build's transaction, and
// those configured with transaction: false.
func (r *Runner) hooks(ctx context.Context, n *compile.Node, key string, incremental bool) (inTx, outside []string, err error) {
	hooks, err := n.Config.Hooks(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: config %w", n.Path, err)
	}
	for i, h := range hooks {
		s, err := r.M.RenderText(ctx, n.ID, fmt.Sprintf("%s (%s %d)", n.Path, key, i+1), h.SQL, compile.RenderOptions{Incremental: incremental, Query: r.query})
		if err != nil {
			return nil, nil, err
		}
		if h.Transaction {
			inTx = append(inTx, s)
		} else {
			outside = append(outside, s)
		}
	}
	return inTx, outside, nil
}

// query serves run_query: rows as maps from column name to value.
func (r *Runner) query(ctx context.Context, sql string) ([]map[string]any, error) {
	rows, err := r.A.Query(ctx, sql, 0)
	if err != nil {
		return nil, err
	}
	return rows.Maps(), nil
}

func (r *Runner) emit(e Event) {
	if r.Events != nil {
		r.Events(e)
	}
}
