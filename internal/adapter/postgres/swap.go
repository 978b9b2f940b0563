package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// What readers see of a rebuilt table depends on the swap (see README,
// "PostgreSQL readers"):
//
//   - rename (default): the old table is dropped and the new one renamed
//     in its place. READ COMMITTED readers see the old rows until the
//     commit, the new ones after. A REPEATABLE READ (or SERIALIZABLE)
//     reader whose snapshot is older than the commit sees the new table
//     EMPTY: it is a new relation whose rows were written after its
//     snapshot. DROP takes an ACCESS EXCLUSIVE lock, so the swap waits for
//     open readers of the table, and readers arriving meanwhile queue
//     behind it.
//   - rows: the new rows replace the old ones inside the existing table
//     (DELETE, INSERT … SELECT) in the build's transaction. Every reader
//     sees the old rows or the new ones as its snapshot says, REPEATABLE
//     READ included; the swap takes only ROW EXCLUSIVE, so it neither
//     waits for readers nor makes them wait. It costs a second write of
//     the rows and leaves dead tuples for vacuum. When the columns changed
//     it falls back to rename.
//
// Rename waits for its lock in slices of at most swapLockSlice (lock_timeout),
// retrying until the target's LockTimeout, so a long report neither holds
// the build forever nor queues other readers for longer than a slice.

// swapLockSlice is the longest readers queue behind one swap attempt.
const swapLockSlice = time.Second

// lockNotAvailable is SQLSTATE lock_not_available, raised by lock_timeout.
const lockNotAvailable = "55P03"

// swapTable replaces m.Relation with the table tmpName by m.Swap.
func (a *Adapter) swapTable(ctx context.Context, tx pgx.Tx, m adapter.Materialization, tmpName string) ([]string, error) {
	if m.Swap == adapter.SwapRows {
		done, err := replaceRows(ctx, tx, m.Relation, tmpName)
		if err != nil || done {
			return nil, err
		}
		notes, err := a.swapWaiting(ctx, tx, m.Relation, tmpName)
		return append([]string{"columns changed: swapped by rename"}, notes...), err
	}
	return a.swapWaiting(ctx, tx, m.Relation, tmpName)
}

// replaceRows moves tmpName's rows into target when target is a table with
// the same columns; false when it is not (nothing is changed then).
func replaceRows(ctx context.Context, tx pgx.Tx, target adapter.Relation, tmpName string) (bool, error) {
	tmp := adapter.Relation{Schema: target.Schema, Name: tmpName}
	old, err := lookup(ctx, tx, target)
	if err != nil || old.relkind != "r" {
		return false, err
	}
	oldCols, err := columns(ctx, tx, old.oid)
	if err != nil {
		return false, err
	}
	newCols, err := columnsOf(ctx, tx, relationSQL(tmp))
	if err != nil {
		return false, err
	}
	if !slices.Equal(oldCols, newCols) {
		return false, nil
	}
	names := make([]string, len(newCols))
	for i, c := range newCols {
		names[i] = adapter.QuoteIdent(c.Name)
	}
	list := strings.Join(names, ", ")
	for _, stmt := range []string{
		"DELETE FROM " + relationSQL(target),
		"INSERT INTO " + relationSQL(target) + " (" + list + ") SELECT " + list + " FROM " + relationSQL(tmp),
		"DROP TABLE " + relationSQL(tmp),
	} {
		if _, err := tx.Exec(ctx, stmt); err != nil {
			return false, err
		}
	}
	return true, nil
}

// swapWaiting runs swap with lock_timeout slices, retrying until the
// target's LockTimeout has passed.
func (a *Adapter) swapWaiting(ctx context.Context, tx pgx.Tx, target adapter.Relation, tmpName string) ([]string, error) {
	wait := a.target.LockTimeout
	if wait <= 0 {
		return swap(ctx, tx, target, tmpName)
	}
	deadline := time.Now().Add(wait)
	for {
		slice := min(swapLockSlice, max(time.Until(deadline), 10*time.Millisecond))
		stmts := []string{"SAVEPOINT ingot_swap", fmt.Sprintf("SET LOCAL lock_timeout = %d", slice.Milliseconds())}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return nil, err
			}
		}
		notes, err := swap(ctx, tx, target, tmpName)
		if err == nil {
			for _, s := range []string{"RELEASE SAVEPOINT ingot_swap", "SET LOCAL lock_timeout TO DEFAULT"} {
				if _, err := tx.Exec(ctx, s); err != nil {
					return nil, err
				}
			}
			return notes, nil
		}
		if !isSQLState(err, lockNotAvailable) {
			return nil, err
		}
		if _, rbErr := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT ingot_swap"); rbErr != nil {
			return nil, rbErr
		}
		if !time.Now().Before(deadline) {
			return nil, fmt.Errorf("gave up after %s waiting for readers of %s to finish (raise --lock-timeout, or set config swap: rows, which does not wait for readers)", wait, target)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(100*time.Millisecond, time.Until(deadline))):
		}
	}
}
