package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/seedstate"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// LoadSeed implements adapter.Adapter: DuckDB's bulk readers build the new
// table, which is swapped in atomically like a table model; a file that
// cannot be read leaves the old table in place. An incremental seed reads
// only its new and changed files (see seedstate.Book.Load).
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
			return a.seeds().Load(ctx, &seedSession{a: a, conn: conn, hooks: h}, s)
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
		if cols, ok := a.seeds().Columns(ctx, &seedSession{a: a, conn: conn}, s); ok {
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
	if err := a.seeds().Forget(ctx, &seedSession{a: a, conn: conn}, s.Relation); err != nil {
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

// seeds is the incremental seeds' bookkeeping on DuckDB.
func (a *Adapter) seeds() seedstate.Book {
	return seedstate.Book{Dialect: dialect, TextType: "VARCHAR", CreateLock: &a.stateMu}
}

// seedSession gives seedstate a load's connection. DuckDB's transactions
// are statements on the connection, so Exec needs no transaction handle.
type seedSession struct {
	a     *Adapter
	conn  *sql.Conn
	hooks adapter.Hooks // the seed's, run by LoadWhole's transaction
}

func (s *seedSession) Exec(ctx context.Context, stmt string) (int64, error) {
	return s.a.exec(ctx, s.conn, stmt)
}

func (s *seedSession) Pairs(ctx context.Context, query string) ([][2]string, error) {
	s.a.log(query)
	rows, err := s.conn.QueryContext(ctx, query)
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, interrupted(ctx, rows.Err())
}

func (s *seedSession) Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	return s.a.describe(ctx, s.conn, r)
}

func (s *seedSession) Tx(ctx context.Context, h adapter.Hooks, fn func() error) error {
	return s.a.inModelTx(ctx, s.conn, h, fn)
}

func (s *seedSession) LoadWhole(ctx context.Context, seed adapter.Seed, then func() error) (int64, []string, error) {
	expr, cleanup, err := seedfile.Source(ctx, s.conn, seed)
	defer cleanup()
	if err != nil {
		return 0, nil, err
	}
	n, err := s.a.buildTableThen(ctx, s.conn, seed.Relation, "SELECT * FROM "+expr, func(err error) error {
		return seedfile.Error(ctx, seed, err)
	}, then, s.hooks)
	return n, nil, err
}

func (s *seedSession) Files(ctx context.Context, sub adapter.Seed) (seedstate.Files, error) {
	expr, cleanup, err := seedfile.Source(ctx, s.conn, sub)
	if err != nil {
		cleanup()
		return nil, err
	}
	cols, err := seedfile.Describe(ctx, s.conn, expr)
	if err != nil {
		cleanup()
		return nil, seedfile.Error(ctx, sub, interrupted(ctx, err))
	}
	return &seedFiles{s: s, sub: sub, expr: expr, cols: cols, cleanup: cleanup}, nil
}

// seedFiles are files read by a DuckDB expression on the load's
// connection.
type seedFiles struct {
	s       *seedSession
	sub     adapter.Seed
	expr    string
	cols    []adapter.Column
	cleanup func()
}

func (f *seedFiles) Columns() []adapter.Column { return f.cols }

func (f *seedFiles) AppendTo(ctx context.Context, r adapter.Relation) (int64, error) {
	q := make([]string, len(f.cols))
	for i, c := range f.cols {
		q[i] = dialect.Quote(c.Name)
	}
	names := strings.Join(q, ", ")
	n, err := f.s.Exec(ctx, "INSERT INTO "+relSQL(r)+" ("+names+") SELECT "+names+" FROM "+f.expr)
	if err != nil && ctx.Err() == nil {
		return 0, seedfile.Error(ctx, f.sub, err)
	}
	return n, err
}

func (f *seedFiles) Close() { f.cleanup() }
