package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// LoadSeed implements adapter.Adapter: DuckDB's bulk readers build the new
// table, which is swapped in atomically like a table model; a file that
// cannot be read leaves the old table in place. An incremental seed reads
// only its new and changed files (see loadSeedIncremental).
func (a *Adapter) LoadSeed(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	res, err := a.loadSeedWithHooks(ctx, s)
	if err != nil {
		return adapter.Result{}, fmt.Errorf("seed %s: %w", s.Relation, err)
	}
	return res, nil
}

// loadSeedWithHooks loads s on one connection, its hooks around and
// inside the load's transaction as a model's.
func (a *Adapter) loadSeedWithHooks(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	if err := a.EnsureSchema(ctx, s.Relation.Schema); err != nil {
		return adapter.Result{}, err
	}
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer conn.Close()
	h := s.Hooks
	return a.outside.Around(ctx, h, "the table was loaded", a.execOn(ctx, conn), func() (adapter.Result, error) {
		if s.Incremental {
			return a.loadSeedIncremental(ctx, conn, s, h)
		}
		return a.loadSeed(ctx, conn, s, h)
	})
}

// SeedColumns implements adapter.Adapter. An incremental seed whose next
// load appends to its table keeps the table's columns; otherwise DuckDB
// describes the seed's read expression, which reads only what its readers
// sniff (for JSON, a sample of every file).
func (a *Adapter) SeedColumns(ctx context.Context, s adapter.Seed) ([]adapter.Column, error) {
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if s.Incremental {
		s.SourceFileColumn = true // as LoadSeed
		cols, ok := seedfile.AppendedColumns(s,
			func() (adapter.Kind, []adapter.Column, error) { return a.describe(ctx, conn, s.Relation) },
			func() (map[string]string, error) {
				return a.loadedFiles(ctx, conn, stateRelation(s.Relation), s.Relation.Name)
			})
		if ok {
			return cols, nil
		}
	}
	expr, cleanup, err := seedfile.Source(ctx, conn, s)
	defer cleanup()
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", s.Relation, err)
	}
	a.log("DESCRIBE SELECT * FROM " + expr)
	cols, err := seedfile.Describe(ctx, conn, expr)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", s.Relation, seedfile.Error(ctx, s, interrupted(ctx, err)))
	}
	return cols, nil
}

func (a *Adapter) loadSeed(ctx context.Context, conn *sql.Conn, s adapter.Seed, h adapter.Hooks) (adapter.Result, error) {
	expr, cleanup, err := seedfile.Source(ctx, conn, s)
	defer cleanup()
	if err != nil {
		return adapter.Result{}, err
	}
	// Forgetting first is safe whatever happens next: with no record, an
	// incremental load (should the seed become one again) loads it whole.
	if err := a.forgetSeedFiles(ctx, conn, s.Relation); err != nil {
		return adapter.Result{}, err
	}
	n, err := a.buildTable(ctx, conn, s.Relation, "SELECT * FROM "+expr, func(err error) error {
		return seedfile.Error(ctx, s, err)
	}, h)
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: n, Message: fmt.Sprintf("INSERT %d", n)}, nil
}

// loadSeedIncremental compares the seed's files with those recorded at its
// last load and, in one transaction, deletes the rows of changed and
// removed files (by _source_file), appends the rows of new and changed
// files, and updates the record. The seed is loaded whole (and recorded)
// on a full refresh, when the table or the record is missing, when the
// table has no _source_file column, and when no file is unchanged.
func (a *Adapter) loadSeedIncremental(ctx context.Context, conn *sql.Conn, s adapter.Seed, h adapter.Hooks) (adapter.Result, error) {
	s.SourceFileColumn = true
	state := stateRelation(s.Relation)
	if err := a.ensureStateTable(ctx, conn, state); err != nil {
		return adapter.Result{}, err
	}
	loaded, err := a.loadedFiles(ctx, conn, state, s.Relation.Name)
	if err != nil {
		return adapter.Result{}, err
	}
	plan, err := seedfile.Plan(s, loaded)
	if err != nil {
		return adapter.Result{}, err
	}
	kind, cols, err := a.describe(ctx, conn, s.Relation)
	if err != nil && kind != adapter.KindView {
		return adapter.Result{}, err
	}
	if seedfile.LoadsWhole(s, kind, cols, loaded, plan) {
		return a.loadSeedWhole(ctx, conn, s, plan, h)
	}
	if plan.Nothing() {
		// Nothing to load; the hooks still run, as on every load.
		if len(h.PreHooks)+len(h.PostHooks) > 0 {
			if err := a.inModelTx(ctx, conn, h, func() error { return nil }); err != nil {
				return adapter.Result{}, err
			}
		}
		return adapter.Result{RowsAffected: 0, Message: plan.Message(0, 0)}, nil
	}

	sub := s
	sub.Files = plan.LoadPaths()
	var expr string
	var names string
	if len(sub.Files) > 0 {
		e, cleanup, err := seedfile.Source(ctx, conn, sub)
		defer cleanup()
		if err != nil {
			return adapter.Result{}, err
		}
		newCols, err := seedfile.Describe(ctx, conn, e)
		if err != nil {
			return adapter.Result{}, seedfile.Error(ctx, sub, interrupted(ctx, err))
		}
		if err := seedfile.CheckColumns(s.Relation, cols, newCols, nil); err != nil {
			return adapter.Result{}, err
		}
		q := make([]string, len(newCols))
		for i, c := range newCols {
			q[i] = adapter.QuoteIdent(c.Name)
		}
		expr, names = e, strings.Join(q, ", ")
	}

	target := relSQL(s.Relation)
	var inserted, deleted int64
	err = a.inModelTx(ctx, conn, h, func() error {
		if del := plan.Delete(); len(del) > 0 {
			n, err := a.exec(ctx, conn, "DELETE FROM "+target+" WHERE "+adapter.QuoteIdent(seedfile.SourceFileColumn)+" IN ("+literals(del)+")")
			if err != nil {
				return err
			}
			deleted = n
			if _, err := a.exec(ctx, conn, "DELETE FROM "+relSQL(state)+" WHERE seed = ? AND file IN ("+literals(del)+")", s.Relation.Name); err != nil {
				return err
			}
		}
		if expr != "" {
			n, err := a.exec(ctx, conn, "INSERT INTO "+target+" ("+names+") SELECT "+names+" FROM "+expr)
			if err != nil {
				if ctx.Err() != nil {
					return err
				}
				return seedfile.Error(ctx, sub, err)
			}
			inserted = n
			return a.recordFiles(ctx, conn, state, s.Relation.Name, plan.Load)
		}
		return nil
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: inserted, Message: plan.Message(inserted, deleted)}, nil
}

// loadSeedWhole replaces the table with all of the seed's files and, in
// the same transaction, replaces the record of loaded files.
func (a *Adapter) loadSeedWhole(ctx context.Context, conn *sql.Conn, s adapter.Seed, plan seedfile.FilePlan, h adapter.Hooks) (adapter.Result, error) {
	expr, cleanup, err := seedfile.Source(ctx, conn, s)
	defer cleanup()
	if err != nil {
		return adapter.Result{}, err
	}
	state := stateRelation(s.Relation)
	n, err := a.buildTableThen(ctx, conn, s.Relation, "SELECT * FROM "+expr, func(err error) error {
		return seedfile.Error(ctx, s, err)
	}, func() error {
		if _, err := a.exec(ctx, conn, "DELETE FROM "+relSQL(state)+" WHERE seed = ?", s.Relation.Name); err != nil {
			return err
		}
		return a.recordFiles(ctx, conn, state, s.Relation.Name, plan.Files)
	}, h)
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: n, Message: seedfile.FullMessage(n, len(plan.Files))}, nil
}

func stateRelation(seed adapter.Relation) adapter.Relation {
	return adapter.Relation{Schema: seed.Schema, Name: seedfile.StateTable}
}

// ensureStateTable creates the record of loaded files on demand. Creation
// is serialised: two seeds of one schema would otherwise race to create it.
func (a *Adapter) ensureStateTable(ctx context.Context, conn *sql.Conn, state adapter.Relation) error {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	c := seedfile.StateColumns
	_, err := a.exec(ctx, conn, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s VARCHAR NOT NULL, %s VARCHAR NOT NULL, %s VARCHAR NOT NULL)",
		relSQL(state), c[0], c[1], c[2]))
	if err != nil {
		return fmt.Errorf("creating %s: %w", state, err)
	}
	return nil
}

// loadedFiles reads the recorded fingerprints of seed's files, keyed by
// relative path.
func (a *Adapter) loadedFiles(ctx context.Context, conn *sql.Conn, state adapter.Relation, seed string) (map[string]string, error) {
	q := "SELECT file, fingerprint FROM " + relSQL(state) + " WHERE seed = ?"
	a.log(q)
	rows, err := conn.QueryContext(ctx, q, seed)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", state, interrupted(ctx, err))
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var file, fp string
		if err := rows.Scan(&file, &fp); err != nil {
			return nil, err
		}
		out[file] = fp
	}
	return out, rows.Err()
}

func (a *Adapter) recordFiles(ctx context.Context, conn *sql.Conn, state adapter.Relation, seed string, files []seedfile.File) error {
	if len(files) == 0 {
		return nil
	}
	vals := make([]string, len(files))
	for i, f := range files {
		vals[i] = "(" + literal(seed) + ", " + literal(f.Rel) + ", " + literal(f.Fingerprint) + ")"
	}
	_, err := a.exec(ctx, conn, "INSERT INTO "+relSQL(state)+" VALUES "+strings.Join(vals, ", "))
	return err
}

// forgetSeedFiles drops what an incremental load recorded about seed r, if
// anything.
func (a *Adapter) forgetSeedFiles(ctx context.Context, conn *sql.Conn, r adapter.Relation) error {
	state := stateRelation(r)
	kind, _, err := a.describe(ctx, conn, state)
	if err != nil || kind != adapter.KindTable {
		return err
	}
	_, err = a.exec(ctx, conn, "DELETE FROM "+relSQL(state)+" WHERE seed = ?", r.Name)
	return err
}

func literals(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = literal(v)
	}
	return strings.Join(q, ", ")
}
