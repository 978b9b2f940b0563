package adaptertest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// RunRelations checks CreateTableAs, Describe, EnsureSchema, Exec and
// DropRelation, with identifiers that need quoting.
func RunRelations(t *testing.T, o Opener) {
	d := o.Dialect
	sent := &Statements{}
	a := o.Open(t, sent.Add)
	ctx := context.Background()
	// Concurrent creation of one schema must not fail on a catalog race.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = a.EnsureSchema(ctx, "Mixed Case") })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	r := rel("Mixed Case", `odd "name"`)
	if err := a.CreateTableAs(ctx, r, "SELECT 1 AS a, CAST('x' AS VARCHAR) AS \"B\";"); err != nil {
		t.Fatal(err)
	}
	kind, cols, err := a.Describe(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprint([]adapter.Column{{Name: "a", Type: d.Integer}, {Name: "B", Type: d.Varchar}}); kind != adapter.KindTable || fmt.Sprint(cols) != want {
		t.Errorf("Describe = %s %v, want table %s", kind, cols, want)
	}
	// CreateTableAs replaces tables and views alike.
	if err := a.CreateTableAs(ctx, r, "SELECT 2 AS z"); err != nil {
		t.Fatal(err)
	}
	wantRows(t, a, selectAll(a, r), "2")
	mustMaterialize(t, a, adapter.Materialization{Relation: rel("Mixed Case", "v"), Materialized: "view", SQL: "SELECT 1 AS a"})
	if kind, _, _ := a.Describe(ctx, rel("Mixed Case", "v")); kind != adapter.KindView {
		t.Errorf("view described as %q", kind)
	}
	if err := a.CreateTableAs(ctx, rel("Mixed Case", "v"), "SELECT CAST(2.5 AS DECIMAL(4,1)) AS a"); err != nil {
		t.Fatal(err)
	}
	if kind, cols, _ := a.Describe(ctx, rel("Mixed Case", "v")); kind != adapter.KindTable || len(cols) != 1 || cols[0].Type != d.Decimal4_1 {
		t.Errorf("v = %s %v", kind, cols)
	}
	n, err := a.Exec(ctx, "INSERT INTO "+a.Dialect().RelationSQL(r)+" VALUES (3), (4)")
	if err != nil || n != 2 {
		t.Errorf("exec = %d, %v", n, err)
	}
	if len(sent.Matching("VALUES (3), (4)")) != 1 {
		t.Errorf("onStatement missed the statement Exec sent: %q", sent.All())
	}
	for _, r := range []adapter.Relation{r, rel("Mixed Case", "v"), rel("Mixed Case", "missing"), rel("nope", "missing")} {
		if err := a.DropRelation(ctx, r); err != nil {
			t.Errorf("drop %s: %v", r, err)
		}
		if kind, cols, err := a.Describe(ctx, r); kind != adapter.KindNone || cols != nil || err != nil {
			t.Errorf("%s after drop: %v %v %v", r, kind, cols, err)
		}
	}
	if got := a.Dialect().RelationSQL(rel(`we"ird`, "x y")); got != `"we""ird"."x y"` {
		t.Errorf("RelationSQL = %s", got)
	}
	if got := a.Dialect().Quote("a b"); got != `"a b"` {
		t.Errorf("Quote = %s", got)
	}
}

// RunQuery checks Query's limit, statements without a result, errors and
// the normalization of values every engine has.
func RunQuery(t *testing.T, o Opener) {
	d := o.Dialect
	sent := &Statements{}
	a := o.Open(t, sent.Add)
	ctx := context.Background()
	for _, tt := range []struct{ limit, want int }{{0, 10}, {-1, 10}, {3, 3}, {10, 10}, {11, 10}} {
		r, err := a.Query(ctx, d.Series(10), tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Rows) != tt.want || len(r.Columns) != 1 || r.Columns[0] != (adapter.Column{Name: "n", Type: d.SeriesType}) {
			t.Errorf("limit %d: %d rows, columns %v", tt.limit, len(r.Rows), r.Columns)
		}
	}
	// A huge result is not read to the end, and the adapter stays usable.
	r, err := a.Query(ctx, d.Series(100_000_000), 2)
	if err != nil || len(r.Rows) != 2 {
		t.Fatalf("%v %v", r, err)
	}
	wantRows(t, a, "SELECT 1", "1")
	if len(sent.Matching("SELECT 1")) == 0 {
		t.Errorf("query not reported to onStatement: %q", sent.All())
	}
	r, err = a.Query(ctx, "CREATE TABLE x_no_result (a INTEGER)", 0)
	if err != nil || len(r.Rows) != 0 || fmt.Sprint(r.Columns) != fmt.Sprint(d.NoResultColumns) {
		t.Errorf("statement without result: %v %v, want no rows and columns %v", r, err, d.NoResultColumns)
	}
	if _, err := a.Query(ctx, "SELECT nope FROM nowhere", 0); err == nil || !containsErr(err, d.MissingRelation("nowhere")) {
		t.Errorf("err = %v", err)
	}

	res, err := a.Query(ctx, `SELECT CAST(2 AS INTEGER) AS i32, CAST(3 AS BIGINT) AS i64, CAST(1.25 AS DECIMAL(10,2)) AS dec,
		CAST(0.5 AS DOUBLE PRECISION) AS f64, DATE '2024-05-28' AS d, TIMESTAMP '2024-05-28 10:11:12' AS ts,
		CAST('5a36e2e6-76e6-40a5-9104-be60b5f55bc1' AS UUID) AS u, 'txt' AS s, true AS t, NULL AS n`, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(2), int64(3), 1.25, 0.5, time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 28, 10, 11, 12, 0, time.UTC),
		"5a36e2e6-76e6-40a5-9104-be60b5f55bc1", "txt", true, nil}
	for i, w := range want {
		got := res.Rows[0][i]
		if tm, ok := got.(time.Time); ok {
			if !tm.Equal(w.(time.Time)) || tm.Location() != time.UTC {
				t.Errorf("%s = %v, want %v in UTC", res.Columns[i].Name, tm, w)
			}
			continue
		}
		if got != w {
			t.Errorf("%s (%s) = %#v (%T), want %#v (%T)", res.Columns[i].Name, res.Columns[i].Type, got, got, w, w)
		}
	}
}

func containsErr(err error, s string) bool { return err != nil && strings.Contains(err.Error(), s) }

// RunLock checks the target-wide run lock.
func RunLock(t *testing.T, o Opener) {
	ctx := context.Background()
	a := o.Open(t, nil)
	release, err := a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	release()
	release() // idempotent
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := a.Lock(cctx, true); !errors.Is(err, context.Canceled) {
		t.Errorf("lock with a cancelled context: %v", err)
	}
	if o.OpenSame == nil {
		return // the database file is the lock: Open holds it
	}
	other := o.OpenSame(t, a)
	release, err = a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Lock(ctx, false); !errors.Is(err, adapter.ErrLocked) {
		t.Fatalf("second run without waiting: %v, want ErrLocked", err)
	}
	// Waiting ends with the context.
	wctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = other.Lock(wctx, true)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting second run: %v, want deadline exceeded", err)
	}
	// A waiting run gets the lock once the first releases it.
	got := make(chan error, 1)
	var release2 func()
	go func() {
		var err error
		release2, err = other.Lock(ctx, true)
		got <- err
	}()
	if q := o.Dialect.LockWaiters; q != "" {
		waitFor(t, func() bool { return len(Rows(t, a, q)) == 1 })
	}
	release()
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if _, err := a.Lock(ctx, false); !errors.Is(err, adapter.ErrLocked) {
		t.Fatalf("lock taken over by the second run: %v, want ErrLocked", err)
	}
	release2()
	r3, err := a.Lock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	// Close frees a lock that was never released.
	a.Close()
	r3()
	if _, err := other.Lock(ctx, false); err != nil {
		t.Fatalf("after Close: %v", err)
	}
}

// waitFor polls cond until it holds; it fails the test after a generous
// limit rather than asserting on timing.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// RunCancel checks that a cancelled build, hook, query or statement stops
// with context.Canceled, leaves the old table and nothing temporary, and
// that the adapter stays usable.
func RunCancel(t *testing.T, o Opener) {
	long := o.Dialect.Long
	r := rel("silver", "sales")
	tests := []struct {
		name string
		run  func(ctx context.Context, a adapter.Adapter) error
	}{
		{"table", func(ctx context.Context, a adapter.Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: r, Materialized: "table", SQL: long})
			return err
		}},
		{"incremental", func(ctx context.Context, a adapter.Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: r, Materialized: "incremental", Incremental: true, SQL: long})
			return err
		}},
		{"incremental merge", func(ctx context.Context, a adapter.Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: r, Materialized: "incremental", Incremental: true, UniqueKey: []string{"n"}, SQL: long})
			return err
		}},
		{"pre hook", func(ctx context.Context, a adapter.Adapter) error {
			_, err := a.Materialize(ctx, adapter.Materialization{Relation: r, Materialized: "table", SQL: "SELECT 9 AS n", Hooks: adapter.Hooks{PreHooks: []string{long}}})
			return err
		}},
		{"query", func(ctx context.Context, a adapter.Adapter) error {
			_, err := a.Query(ctx, long, 10)
			return err
		}},
		{"exec", func(ctx context.Context, a adapter.Adapter) error {
			_, err := a.Exec(ctx, "CREATE TABLE silver.big AS "+long)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := o.Open(t, nil)
			mustMaterialize(t, a, adapter.Materialization{Relation: r, Materialized: "table", SQL: "SELECT 1 AS n"})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(300*time.Millisecond, cancel)
			err := tt.run(ctx, a)
			if !errors.Is(err, context.Canceled) && (o.Dialect.CancelledError == "" || !containsErr(err, o.Dialect.CancelledError)) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			noLeftovers(t, o, a, "")
			wantRows(t, a, selectAll(a, r), "1")
			if q := o.Dialect.Running; q != "" {
				// The statement stops on the server, not only in the client.
				waitFor(t, func() bool { return len(Rows(t, a, q)) == 0 })
			}
			// The pool stays usable after an interrupted statement.
			for range 8 {
				wantRows(t, a, "SELECT 1", "1")
			}
			mustMaterialize(t, a, adapter.Materialization{Relation: r, Materialized: "table", SQL: "SELECT 2 AS n"})
		})
	}
}

// RunConcurrent builds models of every materialization and loads seeds at
// once, twice, on one adapter.
func RunConcurrent(t *testing.T, o Opener) {
	a := o.Open(t, nil)
	ctx := context.Background()
	root := t.TempDir()
	csvPath := WriteFile(t, root, "seeds/s.csv", "id,v\n1,a\n2,b\n")
	errs := make(chan error, 100)
	for round := range 2 {
		var wg sync.WaitGroup
		for i := range 12 {
			wg.Go(func() {
				schema := []string{"bronze", "silver", "gold"}[i%3]
				m := adapter.Materialization{Relation: rel(schema, fmt.Sprintf("m%d", i)), Materialized: []string{"table", "view", "incremental"}[(i+round)%3],
					SQL: fmt.Sprintf("SELECT %d AS id, n AS r FROM (%s) s", i, o.Dialect.Series(1000)), Incremental: round > 0, UniqueKey: []string{"r"}}
				if _, err := a.Materialize(ctx, m); err != nil {
					errs <- err
				}
				s := adapter.Seed{Relation: rel("seeds", fmt.Sprintf("s%d", i)), Root: root, Files: []string{csvPath}, Format: "csv"}
				if _, err := a.LoadSeed(ctx, s); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantRows(t, a, "SELECT count(*) FROM information_schema.tables WHERE table_schema IN ('bronze', 'silver', 'gold', 'seeds')", "24")
}
