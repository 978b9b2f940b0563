package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
)

// ExecInTx runs stmts in order in one transaction on one connection and
// returns each one's rows affected; any failure rolls all of them back.
// Snapshots use it: a run's statements commit together.
func (a *Adapter) ExecInTx(ctx context.Context, stmts []string) ([]int64, error) {
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return nil, a.redact(err)
	}
	defer conn.Release()
	counts := make([]int64, 0, len(stmts))
	err = a.inTx(ctx, conn, false, func(tx pgx.Tx) error {
		for _, s := range stmts {
			tag, err := tx.Exec(ctx, s)
			if err != nil {
				return withDetail(err)
			}
			counts = append(counts, tag.RowsAffected())
		}
		return nil
	})
	if err != nil {
		return nil, a.redact(err)
	}
	return counts, nil
}
