package duckdb

import (
	"context"
	"fmt"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// LoadSeed implements adapter.Adapter: DuckDB's bulk readers build the new
// table, which is swapped in atomically like a table model; a file that
// cannot be read leaves the old table in place.
func (a *Adapter) LoadSeed(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	res, err := a.loadSeed(ctx, s)
	if err != nil {
		return adapter.Result{}, fmt.Errorf("seed %s: %w", s.Relation, err)
	}
	return res, nil
}

func (a *Adapter) loadSeed(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	expr, cleanup, err := seedfile.Source(ctx, s)
	defer cleanup()
	if err != nil {
		return adapter.Result{}, err
	}
	if err := a.EnsureSchema(ctx, s.Relation.Schema); err != nil {
		return adapter.Result{}, err
	}
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer conn.Close()
	n, err := a.buildTable(ctx, conn, s.Relation, "SELECT * FROM "+expr, func(err error) error {
		return seedfile.Error(ctx, s, err)
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: n, Message: fmt.Sprintf("INSERT %d", n)}, nil
}
