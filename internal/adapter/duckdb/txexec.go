package duckdb

import "context"

// ExecInTx runs stmts in order in one transaction on one connection and
// returns each one's rows affected (-1 when unknown); any failure rolls
// all of them back. Snapshots use it: a run's statements commit together.
func (a *Adapter) ExecInTx(ctx context.Context, stmts []string) ([]int64, error) {
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	counts := make([]int64, 0, len(stmts))
	err = a.inTx(ctx, conn, func() error {
		for _, s := range stmts {
			n, err := a.exec(ctx, conn, s)
			if err != nil {
				return err
			}
			counts = append(counts, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return counts, nil
}
