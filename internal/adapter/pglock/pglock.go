// Package pglock is ingot's run lock on a PostgreSQL database: a
// session-level advisory lock held on a connection of its own. Advisory
// locks are per database, so runs that name the same key on the same
// database exclude each other whatever their target names, and the server
// frees the lock when the holding process dies.
package pglock

import (
	"context"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// Key turns a lock's name into its advisory lock key.
func Key(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}

// Lock is a held advisory lock.
type Lock struct {
	conn *pgx.Conn
	key  int64
}

// Acquire connects with cfg and takes the advisory lock key: with wait it
// blocks until the lock is granted or ctx ends; without, a lock held
// elsewhere is adapter.ErrLocked. Errors are the driver's, for the caller
// to wrap (and redact).
func Acquire(ctx context.Context, cfg *pgx.ConnConfig, key int64, wait bool) (*Lock, error) {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Lock, error) {
		// Closing the session frees the lock in case it was granted just
		// as the wait was cancelled.
		_ = conn.Close(context.Background())
		return nil, err
	}
	if wait {
		if _, err := conn.Exec(ctx, "select pg_catalog.pg_advisory_lock($1)", key); err != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return fail(err)
		}
		return &Lock{conn: conn, key: key}, nil
	}
	var got bool
	if err := conn.QueryRow(ctx, "select pg_catalog.pg_try_advisory_lock($1)", key).Scan(&got); err != nil {
		return fail(err)
	}
	if !got {
		return fail(adapter.ErrLocked)
	}
	return &Lock{conn: conn, key: key}, nil
}

// Release frees the lock and closes its connection. It unlocks explicitly:
// the server frees a closed session's locks only once its backend has
// exited, a moment later, and the next run may already ask.
func (l *Lock) Release() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = l.conn.Exec(ctx, "select pg_catalog.pg_advisory_unlock($1)", l.key)
	_ = l.conn.Close(ctx)
}
