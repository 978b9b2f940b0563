package run

import (
	"context"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/snapshot"
)

// txExecer runs statements in one transaction; both engines' adapters
// implement it.
type txExecer interface {
	ExecInTx(ctx context.Context, stmts []string) ([]int64, error)
}

// snapshot records one run of snapshot n: new and changed rows become new
// versions, ended versions get their valid_to, all in one transaction.
func (r *Runner) snapshot(ctx context.Context, n *compile.Node) Result {
	fail := func(res Result, err error) Result {
		res.Status, res.Err = StatusError, fmt.Errorf("snapshot %s: %w", n.Name, err)
		return res
	}
	res := Result{Rows: -1}
	tx, ok := r.A.(txExecer)
	if !ok {
		return fail(res, fmt.Errorf("the %s engine cannot run snapshots", r.A.Type()))
	}
	cfg, err := snapshot.ParseConfig(func(k string) any { return n.Config[k] })
	if err != nil {
		return fail(res, fmt.Errorf("%s: %w", n.Path, err))
	}
	if err := r.A.EnsureSchema(ctx, n.Relation.Schema); err != nil {
		return fail(res, err)
	}
	sql, err := r.M.Render(ctx, n.ID, compile.RenderOptions{Query: r.query})
	if err != nil {
		return fail(res, err)
	}
	res.SQL = sql
	if r.Opts.WriteSQL != nil {
		if res.SQLPath, err = r.Opts.WriteSQL(n, sql); err != nil {
			return fail(res, err)
		}
	}
	src, err := r.A.Query(ctx, "select * from (\n"+strings.TrimRight(strings.TrimSpace(sql), ";")+"\n) as __ingot_query limit 0", 0)
	if err != nil {
		return fail(res, err)
	}
	kind, existing, err := r.A.Describe(ctx, n.Relation)
	if err != nil {
		return fail(res, err)
	}
	switch kind {
	case adapter.KindNone:
		existing = nil
	case adapter.KindView:
		return fail(res, fmt.Errorf("%s is a view; drop it so the snapshot can create its table", n.Relation))
	}
	plan, err := snapshot.Build(cfg, snapshot.Input{Relation: n.Relation, Query: sql, Source: src.Columns, Existing: existing, Now: r.M.Opts.RunStarted, Dialect: r.A.Dialect()})
	if err != nil {
		return fail(res, fmt.Errorf("%s: %w", n.Path, err))
	}
	counts, err := tx.ExecInTx(ctx, plan.Statements)
	if err != nil {
		return fail(res, err)
	}
	var inserted, closed int64
	for i, c := range counts {
		switch plan.Kinds[i] {
		case "inserted":
			inserted += c
		case "closed":
			closed += c
		}
	}
	res.Status, res.Rows = StatusSuccess, inserted+closed
	res.Message = fmt.Sprintf("SNAPSHOT %d new, %d closed", inserted, closed)
	return res
}
