package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// tmpSuffix marks relations being built; they exist only inside the
// transaction that builds them.
const tmpSuffix = "__ingot_tmp"

// maxIdent is PostgreSQL's identifier length (NAMEDATALEN-1); longer names
// are silently truncated, which could make two names collide.
const maxIdent = 63

// tmpName is the name a relation is built under before the swap.
func tmpName(name string) string {
	if len(name)+len(tmpSuffix) <= maxIdent {
		return name + tmpSuffix
	}
	sum := sha256.Sum256([]byte(name))
	keep := maxIdent - len(tmpSuffix) - 9
	// Cut on a rune boundary so the name stays valid UTF-8.
	for keep > 0 && keep < len(name) && name[keep]&0xC0 == 0x80 {
		keep--
	}
	return name[:keep] + "_" + hex.EncodeToString(sum[:4]) + tmpSuffix
}

// Materialize builds one model: pre-hooks, the build, post-hooks, all on
// one connection.
func (a *Adapter) Materialize(ctx context.Context, m adapter.Materialization) (adapter.Result, error) {
	res, err := a.materialize(ctx, m)
	if err != nil {
		return adapter.Result{}, a.redact(fmt.Errorf("%s (%s): %w", m.Relation, m.Materialized, withDetail(err)))
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
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer conn.Release()

	return a.outside.Around(ctx, m.Hooks, "the relation was built", execOn(ctx, conn), func() (adapter.Result, error) {
		switch {
		case m.Materialized == "view":
			return a.buildView(ctx, conn, m)
		case m.Materialized == "incremental" && m.Incremental:
			return a.buildIncremental(ctx, conn, m, plan)
		}
		return a.buildTable(ctx, conn, m)
	})
}

// inModelTx is inTx with h's pre-hooks first and post-hooks last, so that
// a failing hook rolls the build back (dbt's default).
func (a *Adapter) inModelTx(ctx context.Context, conn *pgxpool.Conn, force bool, h adapter.Hooks, fn func(pgx.Tx) error) error {
	return a.inTx(ctx, conn, force, func(tx pgx.Tx) error {
		if err := runHooks(ctx, tx, "pre_hook", h.PreHooks); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return runHooks(ctx, tx, "post_hook", h.PostHooks)
	})
}

func runHooks(ctx context.Context, conn querier, kind string, hooks []string) error {
	return adapter.RunHooks(ctx, kind, hooks, execOn(ctx, conn))
}

// execOn runs a hook's statement on conn.
func execOn(ctx context.Context, conn querier) func(string) error {
	return func(stmt string) error {
		_, err := conn.Exec(ctx, stmt)
		return withDetail(err)
	}
}

// inTx runs fn in a transaction on conn; with force it starts with
// pg_duckdb's force_execution. Failure or cancellation rolls everything
// back, temporary relations included.
func (a *Adapter) inTx(ctx context.Context, conn *pgxpool.Conn, force bool, fn func(pgx.Tx) error) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	if force {
		if _, err := tx.Exec(ctx, forceExecutionSQL); err != nil {
			rollback(ctx, tx)
			return fmt.Errorf("pg_duckdb: %w", err)
		}
	}
	if err := fn(tx); err != nil {
		rollback(ctx, tx)
		return err
	}
	return tx.Commit(ctx)
}

// rollback also works when ctx is already cancelled; pgx closes the
// connection if it can not roll back, which aborts the transaction too.
func rollback(ctx context.Context, tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_ = tx.Rollback(ctx)
}

func (a *Adapter) buildView(ctx context.Context, conn *pgxpool.Conn, m adapter.Materialization) (adapter.Result, error) {
	tmp := adapter.Relation{Schema: m.Relation.Schema, Name: tmpName(m.Relation.Name)}
	var notes []string
	err := a.inModelTx(ctx, conn, false, m.Hooks, func(tx pgx.Tx) error {
		if err := dropIfExists(ctx, tx, tmp, ""); err != nil {
			return err
		}
		if _, err := execAs(ctx, tx, "CREATE VIEW "+relationSQL(tmp), m.SQL); err != nil {
			return err
		}
		var err error
		notes, err = swap(ctx, tx, m.Relation, tmp.Name)
		return err
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: -1, Message: message("CREATE VIEW", notes)}, nil
}

func (a *Adapter) buildTable(ctx context.Context, conn *pgxpool.Conn, m adapter.Materialization) (adapter.Result, error) {
	tmp := adapter.Relation{Schema: m.Relation.Schema, Name: tmpName(m.Relation.Name)}
	var rows int64
	var notes []string
	err := a.inModelTx(ctx, conn, a.forceExecution, m.Hooks, func(tx pgx.Tx) error {
		if err := dropIfExists(ctx, tx, tmp, ""); err != nil {
			return err
		}
		tag, err := execAs(ctx, tx, "CREATE TABLE "+relationSQL(tmp), m.SQL)
		if err != nil {
			return err
		}
		rows = tag.RowsAffected()
		notes, err = a.swapTable(ctx, tx, m, tmp.Name)
		return err
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: rows, Message: message(fmt.Sprintf("CREATE TABLE (%d rows)", rows), notes)}, nil
}

func message(head string, notes []string) string {
	if len(notes) == 0 {
		return head
	}
	return head + "; " + strings.Join(notes, "; ")
}

// dependentView is a view that must be recreated after a swap.
type dependentView struct {
	rel        adapter.Relation
	definition string
	options    []string // reloptions, e.g. security_barrier=true
	comment    string   // a quoted literal, or ""
	grants     []string
}

// swap replaces target with the relation tmpName of the same schema, inside
// tx. See the package documentation for how dependent views are kept.
func swap(ctx context.Context, tx pgx.Tx, target adapter.Relation, tmpName string) (notes []string, err error) {
	tmp := adapter.Relation{Schema: target.Schema, Name: tmpName}
	old, err := lookup(ctx, tx, target)
	if err != nil {
		return nil, err
	}
	newInfo, err := lookup(ctx, tx, tmp)
	if err != nil {
		return nil, err
	}
	renameKind := "TABLE"
	if newInfo.relkind == "v" {
		renameKind = "VIEW"
	}
	if old.relkind == "" {
		_, err := tx.Exec(ctx, "ALTER "+renameKind+" "+relationSQL(tmp)+" RENAME TO "+adapter.QuoteIdent(target.Name))
		return nil, err
	}
	dropWhat, err := dropKeyword(old.relkind)
	if err != nil {
		return nil, fmt.Errorf("%s %w", target, err)
	}

	// With only pg_catalog in the search path, pg_get_viewdef qualifies
	// every name, so definitions mean the same when replayed.
	if _, err := tx.Exec(ctx, "SET LOCAL search_path = pg_catalog"); err != nil {
		return nil, err
	}
	deps, err := dependentViews(ctx, tx, old.oid)
	if err != nil {
		return nil, fmt.Errorf("finding views that depend on %s: %w", target, err)
	}
	grants, err := grantsOf(ctx, tx, old.oid, target)
	if err != nil {
		return nil, err
	}
	comment, err := commentOf(ctx, tx, old.oid)
	if err != nil {
		return nil, err
	}
	for _, d := range slices.Backward(deps) {
		if _, err := tx.Exec(ctx, "DROP VIEW "+relationSQL(d.rel)); err != nil {
			return nil, err
		}
	}
	if _, err := tx.Exec(ctx, "DROP "+dropWhat+" "+relationSQL(target)); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, "ALTER "+renameKind+" "+relationSQL(tmp)+" RENAME TO "+adapter.QuoteIdent(target.Name)); err != nil {
		return nil, err
	}
	stmts := grants
	if comment != "" {
		stmts = append(stmts, "COMMENT ON "+renameKind+" "+relationSQL(target)+" IS "+comment)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return nil, fmt.Errorf("carrying over grants and comment of %s: %w", target, err)
		}
	}

	// Recreate each dependent view in a savepoint, so that one that no
	// longer fits the new relation is dropped without undoing the rest.
	var dropped []string
	for _, d := range deps {
		if _, err := tx.Exec(ctx, "SAVEPOINT ingot_dependent"); err != nil {
			return nil, err
		}
		if err := recreateView(ctx, tx, d); err != nil {
			if _, rbErr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT ingot_dependent"); rbErr != nil {
				return nil, rbErr
			}
			dropped = append(dropped, fmt.Sprintf("%s (%v)", d.rel, firstLine(err)))
			continue
		}
		if _, err := tx.Exec(ctx, "RELEASE SAVEPOINT ingot_dependent"); err != nil {
			return nil, err
		}
	}
	if len(dropped) > 0 {
		notes = append(notes, "dropped dependent views that no longer fit: "+strings.Join(dropped, ", "))
	}
	return notes, nil
}

func recreateView(ctx context.Context, tx pgx.Tx, d dependentView) error {
	with := ""
	if len(d.options) > 0 {
		with = " WITH (" + strings.Join(d.options, ", ") + ")"
	}
	if _, err := tx.Exec(ctx, "CREATE VIEW "+relationSQL(d.rel)+with+" AS "+trimSQL(d.definition)); err != nil {
		return err
	}
	stmts := d.grants
	if d.comment != "" {
		stmts = append(stmts, "COMMENT ON VIEW "+relationSQL(d.rel)+" IS "+d.comment)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return err
		}
	}
	return nil
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// dependentViews lists the views depending, directly or through other
// views, on relation oid, ordered so that each comes after those it uses.
func dependentViews(ctx context.Context, tx pgx.Tx, oid uint32) ([]dependentView, error) {
	rows, err := tx.Query(ctx, `
with recursive dep(oid, depth) as (
	select r.ev_class, 1
	from pg_catalog.pg_depend d
	join pg_catalog.pg_rewrite r on r.oid = d.objid
	join pg_catalog.pg_class c on c.oid = r.ev_class and c.relkind = 'v'
	where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
	  and d.refobjid = $1 and r.ev_class <> $1
	union
	select r.ev_class, dep.depth + 1
	from dep
	join pg_catalog.pg_depend d on d.refobjid = dep.oid
	join pg_catalog.pg_rewrite r on r.oid = d.objid
	join pg_catalog.pg_class c on c.oid = r.ev_class and c.relkind = 'v'
	where d.classid = 'pg_catalog.pg_rewrite'::regclass and d.refclassid = 'pg_catalog.pg_class'::regclass
	  and r.ev_class <> dep.oid
)
select dep.oid, n.nspname::text, c.relname::text, pg_catalog.pg_get_viewdef(dep.oid),
	coalesce(c.reloptions, '{}'::text[]),
	coalesce(pg_catalog.format('%L', pg_catalog.obj_description(dep.oid, 'pg_class')), '')
from (select oid, max(depth) as depth from dep group by oid) dep
join pg_catalog.pg_class c on c.oid = dep.oid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
order by dep.depth, n.nspname, c.relname`, oid)
	if err != nil {
		return nil, err
	}
	type row struct {
		oid uint32
		dependentView
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var v row
		err := r.Scan(&v.oid, &v.rel.Schema, &v.rel.Name, &v.definition, &v.options, &v.comment)
		return v, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]dependentView, len(list))
	for i, v := range list {
		v.grants, err = grantsOf(ctx, tx, v.oid, v.rel)
		if err != nil {
			return nil, err
		}
		out[i] = v.dependentView
	}
	return out, nil
}

// grantsOf renders the privileges granted on relation oid (other than its
// owner's own) as GRANT statements on rel.
func grantsOf(ctx context.Context, tx pgx.Tx, oid uint32, rel adapter.Relation) ([]string, error) {
	rows, err := tx.Query(ctx, `
select a.privilege_type, case when a.grantee = 0 then 'PUBLIC' else pg_catalog.quote_ident(r.rolname) end, a.is_grantable
from pg_catalog.pg_class c
cross join lateral pg_catalog.aclexplode(c.relacl) a
left join pg_catalog.pg_roles r on r.oid = a.grantee
where c.oid = $1 and a.grantee <> c.relowner
order by 2, 1`, oid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var priv, grantee string
		var grantable bool
		if err := r.Scan(&priv, &grantee, &grantable); err != nil {
			return "", err
		}
		s := "GRANT " + priv + " ON TABLE " + relationSQL(rel) + " TO " + grantee
		if grantable {
			s += " WITH GRANT OPTION"
		}
		return s, nil
	})
}

func commentOf(ctx context.Context, tx pgx.Tx, oid uint32) (string, error) {
	var c string
	err := tx.QueryRow(ctx, `select coalesce(pg_catalog.format('%L', pg_catalog.obj_description($1, 'pg_class')), '')`, oid).Scan(&c)
	return c, err
}

// newRowsTable holds an incremental run's new rows; it is dropped at commit.
const newRowsTable = "pg_temp.ingot_new_rows"

// buildIncremental stages the model's rows in a temporary table and applies
// the strategy to the existing table, in one transaction.
func (a *Adapter) buildIncremental(ctx context.Context, conn *pgxpool.Conn, m adapter.Materialization, p adapter.IncrementalPlan) (adapter.Result, error) {
	ri, err := lookup(ctx, conn, m.Relation)
	if err != nil {
		return adapter.Result{}, err
	}
	if ri.relkind != "r" && ri.relkind != "p" {
		// Nothing to add to (first run, or a view in the way): build it whole.
		return a.buildTable(ctx, conn, m)
	}
	var res adapter.Result
	err = a.inModelTx(ctx, conn, a.forceExecution, m.Hooks, func(tx pgx.Tx) error {
		tag, err := execAs(ctx, tx, "CREATE TEMPORARY TABLE "+newRowsTable+" ON COMMIT DROP", m.SQL)
		if err != nil {
			return err
		}
		n := tag.RowsAffected()
		newCols, err := columnsOf(ctx, tx, newRowsTable)
		if err != nil {
			return err
		}
		oldCols, err := columns(ctx, tx, ri.oid)
		if err != nil {
			return err
		}
		cols, add, err := p.Reconcile(m.Relation, newCols, oldCols, func(s string) string { return s })
		if err != nil {
			return err
		}
		for _, c := range add {
			if _, err := tx.Exec(ctx, "ALTER TABLE "+relationSQL(m.Relation)+" ADD COLUMN "+adapter.QuoteIdent(c.Name)+" "+c.Type); err != nil {
				return err
			}
		}
		msg, err := a.applyStrategy(ctx, tx, p, m.Relation, cols, n)
		if err != nil {
			return err
		}
		res = adapter.Result{RowsAffected: n, Message: msg}
		if len(add) > 0 {
			names := make([]string, len(add))
			for i, c := range add {
				names[i] = c.Name
			}
			res.Message += "; added columns " + strings.Join(names, ", ")
		}
		return nil
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return res, nil
}

func columnsOf(ctx context.Context, tx pgx.Tx, regclass string) ([]adapter.Column, error) {
	var oid uint32
	if err := tx.QueryRow(ctx, "select $1::regclass::oid", regclass).Scan(&oid); err != nil {
		return nil, err
	}
	return columns(ctx, tx, oid)
}

// applyStrategy writes the staged rows (n of them) into r and returns the
// result message.
func (a *Adapter) applyStrategy(ctx context.Context, tx pgx.Tx, p adapter.IncrementalPlan, r adapter.Relation, cols []string, n int64) (string, error) {
	target := relationSQL(r)
	list := quoteList(cols, "")
	insert := "INSERT INTO " + target + " (" + list + ") SELECT " + list + " FROM " + newRowsTable
	if p.Strategy == "append" {
		_, err := tx.Exec(ctx, insert)
		return fmt.Sprintf("INSERT %d", n), err
	}

	// NULL-safe key matching. "=" lets the planner hash or use indexes, and
	// is exact when the new rows have no NULL key: a NULL in the table can
	// then never match anyway. Only otherwise use IS NOT DISTINCT FROM.
	var nullTests []string
	for _, k := range p.Keys {
		nullTests = append(nullTests, adapter.QuoteIdent(k)+" IS NULL")
	}
	var hasNull bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM "+newRowsTable+" WHERE "+strings.Join(nullTests, " OR ")+")").Scan(&hasNull); err != nil {
		return "", err
	}
	op := " = "
	if hasNull {
		op = " IS NOT DISTINCT FROM "
	}
	var conds []string
	for _, k := range p.Keys {
		q := adapter.QuoteIdent(k)
		conds = append(conds, "t."+q+op+"s."+q)
	}
	on := strings.Join(conds, " AND ")

	if p.Strategy == "delete+insert" {
		tag, err := tx.Exec(ctx, "DELETE FROM "+target+" AS t USING "+newRowsTable+" AS s WHERE "+on)
		if err != nil {
			return "", err
		}
		if _, err := tx.Exec(ctx, insert); err != nil {
			return "", err
		}
		return fmt.Sprintf("DELETE %d, INSERT %d", tag.RowsAffected(), n), nil
	}

	// merge
	var sets []string
	for _, c := range cols {
		if !slices.Contains(p.Keys, c) {
			q := adapter.QuoteIdent(c)
			sets = append(sets, q+" = s."+q)
		}
	}
	if a.serverVersionNum >= 150000 {
		matched := "DO NOTHING"
		if len(sets) > 0 {
			matched = "UPDATE SET " + strings.Join(sets, ", ")
		}
		_, err := tx.Exec(ctx, "MERGE INTO "+target+" AS t USING "+newRowsTable+" AS s ON "+on+
			"\nWHEN MATCHED THEN "+matched+
			"\nWHEN NOT MATCHED THEN INSERT ("+list+") VALUES ("+quoteList(cols, "s.")+")")
		return fmt.Sprintf("MERGE %d", n), err
	}
	// Before PostgreSQL 15 there is no MERGE: update, then insert the rest.
	if len(sets) > 0 {
		if _, err := tx.Exec(ctx, "UPDATE "+target+" AS t SET "+strings.Join(sets, ", ")+" FROM "+newRowsTable+" AS s WHERE "+on); err != nil {
			return "", err
		}
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+target+" ("+list+") SELECT "+quoteList(cols, "s.")+" FROM "+newRowsTable+
		" AS s WHERE NOT EXISTS (SELECT 1 FROM "+target+" AS t WHERE "+on+")")
	return fmt.Sprintf("MERGE %d", n), err
}

func quoteList(cols []string, prefix string) string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = prefix + adapter.QuoteIdent(c)
	}
	return strings.Join(out, ", ")
}
