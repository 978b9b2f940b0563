package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// tmpSuffix names the relation a table is built under before the swap. It
// only ever exists inside the building transaction.
const tmpSuffix = "__ingot_tmp"

// stagePrefix names the temporary table holding an incremental run's rows.
const stagePrefix = "__ingot_stage_"

// Materialize implements adapter.Adapter.
func (a *Adapter) Materialize(ctx context.Context, m adapter.Materialization) (adapter.Result, error) {
	res, err := a.materialize(ctx, m)
	if err != nil {
		return adapter.Result{}, fmt.Errorf("%s (%s): %w", m.Relation, m.Materialized, err)
	}
	return res, nil
}

func (a *Adapter) materialize(ctx context.Context, m adapter.Materialization) (adapter.Result, error) {
	plan, err := m.Check()
	if err != nil {
		return adapter.Result{}, err
	}
	if err := a.EnsureSchema(ctx, m.Relation.Schema); err != nil {
		return adapter.Result{}, err
	}
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer conn.Close()

	h := m.Hooks
	return a.outside.Around(ctx, h, "the relation was built", a.execOn(ctx, conn), func() (adapter.Result, error) {
		switch {
		case m.Materialized == "view":
			return a.buildView(ctx, conn, m.Relation, m.SQL, h)
		case m.Materialized == "incremental" && m.Incremental:
			return a.buildIncremental(ctx, conn, m, plan, h)
		}
		n, err := a.buildTable(ctx, conn, m.Relation, m.SQL, nil, h)
		if err != nil {
			return adapter.Result{}, err
		}
		return adapter.Result{RowsAffected: n, Message: fmt.Sprintf("CREATE TABLE (%d rows)", n)}, nil
	})
}

// inModelTx is inTx with the pre-hooks first and the post-hooks last, so
// that a failing hook rolls the build back (dbt's default).
func (a *Adapter) inModelTx(ctx context.Context, conn *sql.Conn, h adapter.Hooks, fn func() error) error {
	return a.inTx(ctx, conn, func() error {
		if err := a.runHooks(ctx, conn, "pre_hook", h.PreHooks); err != nil {
			return err
		}
		if err := fn(); err != nil {
			return err
		}
		return a.runHooks(ctx, conn, "post_hook", h.PostHooks)
	})
}

func (a *Adapter) runHooks(ctx context.Context, conn *sql.Conn, kind string, hooks []string) error {
	return adapter.RunHooks(ctx, kind, hooks, a.execOn(ctx, conn))
}

// aroundHooks runs h's pre-hooks, fn and h's post-hooks as statements of
// their own, for the replace paths no transaction holds: a failing
// post-hook is reported after built, which says what stays.
func (a *Adapter) aroundHooks(ctx context.Context, conn *sql.Conn, h adapter.Hooks, built string, fn func() error) error {
	if err := a.runHooks(ctx, conn, "pre_hook", h.PreHooks); err != nil {
		return err
	}
	if err := fn(); err != nil {
		return err
	}
	if err := a.runHooks(ctx, conn, "post_hook", h.PostHooks); err != nil {
		return fmt.Errorf("%s, but %w", built, err)
	}
	return nil
}

// execOn runs a hook's statement on conn.
func (a *Adapter) execOn(ctx context.Context, conn *sql.Conn) func(string) error {
	return func(stmt string) error {
		_, err := a.exec(ctx, conn, stmt)
		return err
	}
}

// buildView replaces r with a view; a table of that name is dropped in the
// same transaction.
func (a *Adapter) buildView(ctx context.Context, conn *sql.Conn, r adapter.Relation, query string, h adapter.Hooks) (adapter.Result, error) {
	kind, _, err := a.describe(ctx, conn, r)
	if err != nil && kind != adapter.KindView {
		return adapter.Result{}, err
	}
	create := func() error {
		if kind == adapter.KindTable {
			if _, err := a.exec(ctx, conn, dropSQL(kind, r)); err != nil {
				return err
			}
		}
		_, err := a.execAs(ctx, conn, "CREATE OR REPLACE VIEW "+relSQL(r), query)
		return err
	}
	if a.caps.Replace() == adapter.ReplaceInTransaction {
		err = a.inModelTx(ctx, conn, h, create)
	} else {
		// Creating a view takes no time: one statement replaces it on
		// either path without a transaction.
		err = a.aroundHooks(ctx, conn, h, "the view was created", create)
	}
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: -1, Message: "CREATE VIEW"}, nil
}

// buildTable replaces r with a table of the rows of query, by the path
// the capabilities choose (adapter.Caps.Replace). In a transaction (DuckDB
// itself) the rows are built under a temporary name and swapped in:
// readers see the old relation or the new table, and a failure (or
// cancellation) leaves the old one and no temporary relation. mapErr,
// when set, rewrites an error of the build statement itself.
func (a *Adapter) buildTable(ctx context.Context, conn *sql.Conn, r adapter.Relation, query string, mapErr func(error) error, h adapter.Hooks) (int64, error) {
	return a.buildTableThen(ctx, conn, r, query, mapErr, nil, h)
}

// buildTableThen is buildTable running then, when set, after the swap:
// in the same transaction on the transactional path, as statements of
// their own on the others.
func (a *Adapter) buildTableThen(ctx context.Context, conn *sql.Conn, r adapter.Relation, query string, mapErr func(error) error, then func() error, h adapter.Hooks) (int64, error) {
	tmp := adapter.Relation{Database: r.Database, Schema: r.Schema, Name: r.Name + tmpSuffix}
	// A view that no longer binds (its source is gone) is still replaced.
	kind, _, err := a.describe(ctx, conn, r)
	if err != nil && kind != adapter.KindView {
		return 0, err
	}
	var rows int64
	// build creates into (r itself, or tmp to be renamed) from query and
	// counts its rows.
	build := func(into adapter.Relation) error {
		if _, err := a.execAs(ctx, conn, "CREATE OR REPLACE TABLE "+relSQL(into), query); err != nil {
			if mapErr != nil && ctx.Err() == nil {
				return mapErr(err)
			}
			return err
		}
		// CREATE TABLE AS reports no row count; counting a table is a
		// metadata lookup in DuckDB.
		n, err := a.count(ctx, conn, relSQL(into))
		rows = n
		return err
	}
	drop := func() error {
		if kind == adapter.KindNone {
			return nil
		}
		_, err := a.exec(ctx, conn, dropSQL(kind, r))
		return err
	}
	rename := func() error {
		_, err := a.exec(ctx, conn, "ALTER TABLE "+relSQL(tmp)+" RENAME TO "+dialect.Quote(r.Name))
		return err
	}
	andThen := func() error {
		if then != nil {
			return then()
		}
		return nil
	}
	switch a.caps.Replace() {
	case adapter.ReplaceInPlace:
		err = a.aroundHooks(ctx, conn, h, "the table was built", func() error {
			if kind == adapter.KindView {
				// CREATE OR REPLACE TABLE does not replace a view.
				if _, err := a.exec(ctx, conn, dropSQL(kind, r)); err != nil {
					return err
				}
			}
			if err := build(r); err != nil {
				return err
			}
			return andThen()
		})
	case adapter.ReplaceDropRename:
		err = a.aroundHooks(ctx, conn, h, "the table was built", func() error {
			if err := build(tmp); err != nil {
				a.dropLeftover(ctx, conn, tmp) // a cancelled count leaves it
				return err
			}
			if err := drop(); err != nil {
				a.dropLeftover(ctx, conn, tmp) // the old relation stays
				return err
			}
			if err := rename(); err != nil {
				return fmt.Errorf("the old %s was dropped, and its new rows stay in %s (the next build replaces it): %w", r, tmp, err)
			}
			return andThen()
		})
	default:
		err = a.inModelTx(ctx, conn, h, func() error {
			if err := build(tmp); err != nil {
				return err
			}
			if err := drop(); err != nil {
				return err
			}
			if err := rename(); err != nil {
				return err
			}
			return andThen()
		})
	}
	if err != nil {
		return 0, err
	}
	return rows, nil
}

// dropLeftover drops the temporary table a failed drop-and-rename build
// left, even after cancellation; a failure here leaves it to the next
// build's CREATE OR REPLACE.
func (a *Adapter) dropLeftover(ctx context.Context, conn *sql.Conn, tmp adapter.Relation) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	_, _ = a.exec(cctx, conn, "DROP TABLE IF EXISTS "+relSQL(tmp))
}

func (a *Adapter) count(ctx context.Context, conn *sql.Conn, relation string) (int64, error) {
	q := "SELECT count(*) FROM " + relation
	a.log(q)
	var n int64
	err := conn.QueryRowContext(ctx, q).Scan(&n)
	return n, err
}

// buildIncremental stages the model's rows in a temporary table and applies
// the strategy to the existing table in one transaction.
func (a *Adapter) buildIncremental(ctx context.Context, conn *sql.Conn, m adapter.Materialization, p adapter.IncrementalPlan, h adapter.Hooks) (adapter.Result, error) {
	kind, _, err := a.describe(ctx, conn, m.Relation)
	if err != nil && kind != adapter.KindView {
		return adapter.Result{}, err
	}
	if kind != adapter.KindTable {
		// Nothing to add to (first run, or a view in the way): build it whole.
		n, err := a.buildTable(ctx, conn, m.Relation, m.SQL, nil, h)
		if err != nil {
			return adapter.Result{}, err
		}
		return adapter.Result{RowsAffected: n, Message: fmt.Sprintf("CREATE TABLE (%d rows)", n)}, nil
	}
	if p.Strategy == "append" {
		return a.appendIncremental(ctx, conn, m, p, h)
	}
	target := relSQL(m.Relation)
	stage := adapter.QuoteIdent(stagePrefix + m.Relation.Name)
	var res adapter.Result
	err = a.inModelTx(ctx, conn, h, func() error {
		if _, err := a.execAs(ctx, conn, "CREATE OR REPLACE TEMP TABLE "+stage, m.SQL); err != nil {
			return err
		}
		n, err := a.count(ctx, conn, stage)
		if err != nil {
			return err
		}
		cols, add, targetCols, err := a.reconcile(ctx, conn, m.Relation, p, stage)
		if err != nil {
			return err
		}
		if err := a.addColumns(ctx, conn, m.Relation, add); err != nil {
			return err
		}
		colList := quoteAll(cols, "")
		insert := "INSERT INTO " + target + " (" + colList + ") SELECT " + colList + " FROM " + stage
		switch p.Strategy {
		case "delete+insert":
			del := "DELETE FROM " + target + " AS t WHERE EXISTS (SELECT 1 FROM " + stage + " AS s WHERE " + keyMatch(p.Keys) + ")"
			deleted, err := a.exec(ctx, conn, del)
			if err != nil {
				return err
			}
			if _, err := a.exec(ctx, conn, insert); err != nil {
				return err
			}
			res.Message = fmt.Sprintf("DELETE %d, INSERT %d", deleted, n)
		case "merge":
			replace, err := a.mergeByReplacing(ctx, conn, stage, cols, targetCols, add, p.Keys)
			if err != nil {
				return err
			}
			if replace {
				del := "DELETE FROM " + target + " AS t WHERE EXISTS (SELECT 1 FROM " + stage + " AS s WHERE " + keyMatch(p.Keys) + ")"
				if _, err := a.exec(ctx, conn, del); err != nil {
					return err
				}
				if _, err := a.exec(ctx, conn, insert); err != nil {
					return err
				}
			} else if _, err := a.exec(ctx, conn, mergeSQL(target, stage, cols, p.Keys)); err != nil {
				return err
			}
			res.Message = fmt.Sprintf("MERGE %d", n)
		}
		res.RowsAffected = n
		_, err = a.exec(ctx, conn, "DROP TABLE "+stage)
		return err
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return res, nil
}

// appendIncremental inserts the model's rows straight from its query, read
// through a temporary view: an append reads them once, so materializing
// them first (as merge and delete+insert must) would only copy them. When
// the table gains columns the rows are materialized before it does, so the
// query reads the table as it was, as in the other strategies.
func (a *Adapter) appendIncremental(ctx context.Context, conn *sql.Conn, m adapter.Materialization, p adapter.IncrementalPlan, h adapter.Hooks) (adapter.Result, error) {
	target := relSQL(m.Relation)
	view := adapter.QuoteIdent(stagePrefix + m.Relation.Name)
	var n int64
	err := a.inModelTx(ctx, conn, h, func() error {
		if _, err := a.execAs(ctx, conn, "CREATE OR REPLACE TEMP VIEW "+view, m.SQL); err != nil {
			return err
		}
		cols, add, _, err := a.reconcile(ctx, conn, m.Relation, p, view)
		if err != nil {
			return err
		}
		src, drop := view, "DROP VIEW "+view
		if len(add) > 0 {
			rows := adapter.QuoteIdent(stagePrefix + "rows_" + m.Relation.Name)
			if _, err := a.exec(ctx, conn, "CREATE OR REPLACE TEMP TABLE "+rows+" AS SELECT * FROM "+view); err != nil {
				return err
			}
			if _, err := a.exec(ctx, conn, drop); err != nil {
				return err
			}
			src, drop = rows, "DROP TABLE "+rows
		}
		if err := a.addColumns(ctx, conn, m.Relation, add); err != nil {
			return err
		}
		colList := quoteAll(cols, "")
		if n, err = a.exec(ctx, conn, "INSERT INTO "+target+" ("+colList+") SELECT "+colList+" FROM "+src); err != nil {
			return err
		}
		_, err = a.exec(ctx, conn, drop)
		return err
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: n, Message: fmt.Sprintf("INSERT %d", n)}, nil
}

// reconcile compares the columns of stage (the model's new rows) with the
// existing table r's, as on_schema_change says; it returns the columns to
// insert, those to add to r, and r's columns.
func (a *Adapter) reconcile(ctx context.Context, conn *sql.Conn, r adapter.Relation, p adapter.IncrementalPlan, stage string) ([]string, []adapter.Column, []adapter.Column, error) {
	stageCols, err := a.columns(ctx, conn, "SELECT column_name, column_type FROM (DESCRIBE "+stage+")")
	if err != nil {
		return nil, nil, nil, err
	}
	// The caller found the table, so DESCRIBE cannot fail here.
	_, targetCols, err := a.describe(ctx, conn, r)
	if err != nil {
		return nil, nil, nil, err
	}
	cols, add, err := p.Reconcile(r, stageCols, targetCols, strings.ToLower)
	return cols, add, targetCols, err
}

func (a *Adapter) addColumns(ctx context.Context, conn *sql.Conn, r adapter.Relation, add []adapter.Column) error {
	for _, c := range add {
		if _, err := a.exec(ctx, conn, "ALTER TABLE "+relSQL(r)+" ADD COLUMN "+adapter.QuoteIdent(c.Name)+" "+c.Type); err != nil {
			return err
		}
	}
	return nil
}

// mergeByReplacing reports whether a merge can be done as delete + insert.
// DuckDB keeps an UPDATE's new values apart and rewrites every updated
// column segment at the next checkpoint, while a DELETE only marks rows:
// replacing the matched rows costs far less to write. The result is
// MERGE's when the new rows carry every column of the table (nothing to
// keep from the old row) and no key twice (MERGE updates a row once).
func (a *Adapter) mergeByReplacing(ctx context.Context, conn *sql.Conn, stage string, cols []string, targetCols, added []adapter.Column, keys []string) (bool, error) {
	have := map[string]bool{}
	for _, c := range cols {
		have[strings.ToLower(c)] = true
	}
	for _, c := range append(append([]adapter.Column(nil), targetCols...), added...) {
		if !have[strings.ToLower(c.Name)] {
			return false, nil
		}
	}
	q := "SELECT count(*) FROM (SELECT 1 FROM " + stage + " GROUP BY " + quoteAll(keys, "") + " HAVING count(*) > 1)"
	a.log(q)
	var dups int64
	if err := conn.QueryRowContext(ctx, q).Scan(&dups); err != nil {
		return false, interrupted(ctx, err)
	}
	return dups == 0, nil
}

// keyMatch is the NULL-safe equality of the unique key between t and s.
func keyMatch(keys []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		q := adapter.QuoteIdent(k)
		parts[i] = "t." + q + " IS NOT DISTINCT FROM s." + q
	}
	return strings.Join(parts, " AND ")
}

func mergeSQL(target, stage string, cols, keys []string) string {
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[strings.ToLower(k)] = true
	}
	var set []string
	for _, c := range cols {
		if !isKey[strings.ToLower(c)] {
			q := adapter.QuoteIdent(c)
			set = append(set, q+" = s."+q)
		}
	}
	var b strings.Builder
	b.WriteString("MERGE INTO " + target + " AS t USING " + stage + " AS s ON (" + keyMatch(keys) + ")")
	if len(set) > 0 {
		b.WriteString("\nWHEN MATCHED THEN UPDATE SET " + strings.Join(set, ", "))
	}
	b.WriteString("\nWHEN NOT MATCHED THEN INSERT (" + quoteAll(cols, "") + ") VALUES (" + quoteAll(cols, "s.") + ")")
	return b.String()
}

func quoteAll(cols []string, prefix string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = prefix + adapter.QuoteIdent(c)
	}
	return strings.Join(q, ", ")
}
