package postgres

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// reader is a BI session on its own connection.
func (e *env) reader(isolation string) (pgx.Tx, func()) {
	e.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, e.db.DSN)
	if err != nil {
		e.t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.TxIsoLevel(isolation)})
	if err != nil {
		e.t.Fatal(err)
	}
	return tx, func() { _ = tx.Rollback(ctx); _ = conn.Close(ctx) }
}

func count(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func kpis(n int, swap string) adapter.Materialization {
	return adapter.Materialization{Relation: rel("gold", "kpis"), Materialized: "table", Swap: swap,
		SQL: "select g as id, 'w' || g as week from generate_series(1, " + strconv.Itoa(n) + ") g"}
}

// TestReaderSeesRebuild is what a reader whose transaction is open across
// a rebuild (19 rows → 25) sees, by swap mode and isolation level, as the
// package documentation (swap.go) and README say.
func TestReaderSeesRebuild(t *testing.T) {
	cases := []struct {
		swap, isolation string
		want            int
	}{
		{adapter.SwapRename, "read committed", 25},
		{adapter.SwapRename, "repeatable read", 0}, // a new relation, written after the snapshot
		{adapter.SwapRows, "read committed", 25},
		{adapter.SwapRows, "repeatable read", 19}, // the snapshot's rows
		{"", "repeatable read", 0},                // rename is the default
	}
	e := newEnv(t)
	for _, c := range cases {
		t.Run(c.swap+"/"+c.isolation, func(t *testing.T) {
			e.mustMaterialize(kpis(19, c.swap))
			tx, done := e.reader(c.isolation)
			defer done()
			// The snapshot is taken by the transaction's first query, which
			// does not touch the table (a dashboard's other tiles).
			count(t, tx, "select count(*) from pg_catalog.pg_namespace")
			e.mustMaterialize(kpis(25, c.swap))
			if got := count(t, tx, "select count(*) from gold.kpis"); got != c.want {
				t.Errorf("reader in %s sees %d rows after a %q swap, want %d", c.isolation, got, c.swap, c.want)
			}
			done()
			if got := count(t, e.a.pool, "select count(*) from gold.kpis"); got != 25 {
				t.Errorf("a new reader sees %d rows, want 25", got)
			}
		})
	}
	if l := e.leftovers(); len(l) > 0 {
		t.Errorf("leftovers: %v", l)
	}
}

// TestSwapWaitsForReaders: a rename swap waits for a reader holding the
// table in slices of lock_timeout up to LockTimeout, then gives up leaving
// the old table; a rows swap does not wait for it at all.
func TestSwapWaitsForReaders(t *testing.T) {
	e := newEnv(t)
	e.mustMaterialize(kpis(19, ""))
	b := e.open(adapter.Target{LockTimeout: 1500 * time.Millisecond})

	tx, done := e.reader("read committed")
	defer done()
	count(t, tx, "select count(*) from gold.kpis") // holds ACCESS SHARE until it ends

	e.sent.Reset()
	_, err := b.Materialize(context.Background(), kpis(25, adapter.SwapRename))
	if err == nil || !strings.Contains(err.Error(), "gave up after 1.5s waiting for readers of gold.kpis to finish") {
		t.Fatalf("rename swap with a reader open: err = %v", err)
	}
	// Two attempts: a 1s slice (readers queue behind it at most that long),
	// then the rest of the 1.5s.
	slices := e.sent.Matching("SET LOCAL lock_timeout = ")
	if len(slices) != 2 || slices[0] != "SET LOCAL lock_timeout = 1000" {
		t.Errorf("lock_timeout slices = %q, want two, the first of 1000 ms", slices)
	}
	if got := count(t, tx, "select count(*) from gold.kpis"); got != 19 {
		t.Errorf("after the failed swap the table has %d rows, want the old 19", got)
	}

	if _, err := b.Materialize(context.Background(), kpis(25, adapter.SwapRows)); err != nil {
		t.Fatalf("rows swap with a reader open: %v", err)
	}
	if got := count(t, tx, "select count(*) from gold.kpis"); got != 25 {
		t.Errorf("read committed reader sees %d rows after the rows swap committed, want 25", got)
	}
	done()

	// Columns that changed cannot be replaced row by row: rename it is.
	res, err := b.Materialize(context.Background(), adapter.Materialization{Relation: rel("gold", "kpis"), Materialized: "table", Swap: adapter.SwapRows, SQL: "select 1 as other"})
	if err != nil || !strings.Contains(res.Message, "columns changed: swapped by rename") {
		t.Errorf("rows swap with new columns: %+v, %v", res, err)
	}
	e.wantRows("select * from gold.kpis", "1")
}

// TestSwapOutwaitsShortReader: a reader holding the table past one
// lock_timeout slice delays a rename swap, which retries and succeeds once
// the reader commits, well within its LockTimeout.
func TestSwapOutwaitsShortReader(t *testing.T) {
	e := newEnv(t)
	e.mustMaterialize(kpis(19, ""))

	// The reader commits when the first slice has given up (the adapter
	// rolls back to its savepoint), not after a sleep: the swap then needs
	// a second slice however slow the machine, and the generous LockTimeout
	// leaves room for any number of further ones.
	firstSliceFailed := make(chan struct{})
	var once sync.Once
	signal := func() { once.Do(func() { close(firstSliceFailed) }) }
	b := e.open(adapter.Target{LockTimeout: time.Minute, OnStatement: func(sql string) {
		e.sent.Add(sql)
		if strings.HasPrefix(sql, "ROLLBACK TO SAVEPOINT ingot_swap") {
			signal()
		}
	}})

	tx, done := e.reader("read committed")
	defer done()
	count(t, tx, "select count(*) from gold.kpis") // holds ACCESS SHARE until it ends
	committed := make(chan error, 1)
	go func() {
		<-firstSliceFailed
		committed <- tx.Commit(context.Background())
	}()

	e.sent.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	_, err := b.Materialize(ctx, kpis(25, adapter.SwapRename))
	elapsed := time.Since(start)
	signal() // lets the reader go if the swap never waited
	if cerr := <-committed; cerr != nil {
		t.Fatalf("reader commit: %v", cerr)
	}
	if err != nil {
		t.Fatalf("rename swap after the reader committed: %v", err)
	}

	// Every attempt sets a 1s slice; all but the last gave up and rolled
	// back to the savepoint.
	slices := e.sent.Matching("SET LOCAL lock_timeout = ")
	if len(slices) < 2 || slices[0] != "SET LOCAL lock_timeout = 1000" {
		t.Errorf("lock_timeout slices = %q, want at least two, the first of 1000 ms", slices)
	}
	if rb := e.sent.Matching("ROLLBACK TO SAVEPOINT ingot_swap"); len(rb) != len(slices)-1 {
		t.Errorf("%d rollbacks to the savepoint for %d slices, want one fewer", len(rb), len(slices))
	}
	// A lower bound only: the first slice waited its full lock_timeout.
	if elapsed < swapLockSlice {
		t.Errorf("swap took %s, less than one %s slice", elapsed, swapLockSlice)
	}
	if got := count(t, e.a.pool, "select count(*) from gold.kpis"); got != 25 {
		t.Errorf("after the swap the table has %d rows, want the new 25", got)
	}
	if l := e.leftovers(); len(l) > 0 {
		t.Errorf("leftovers: %v", l)
	}
}
