// Package adaptertest is the conformance suite every engine's adapter
// passes: materializations and incremental strategies, atomic swaps, seeds,
// hooks, the run lock, error lines, relations, queries and cancellation.
// Each engine's test calls Run with an Opener; what the engines legitimately
// spell differently (types, error texts, statements sent) is in Dialect, so
// the difference is stated in one place rather than hidden in two copies of
// the same test.
package adaptertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// Opener opens fresh adapters of one engine for the suite.
type Opener struct {
	// Open returns an adapter on a fresh, empty database, closed when the
	// test ends. onStatement, when not nil, receives every statement sent.
	Open func(t *testing.T, onStatement func(sql string)) adapter.Adapter
	// OpenSame opens a second adapter on a's database, closed when the test
	// ends, or is nil when an engine's database admits one adapter only (a
	// DuckDB file is held by the process that opened it).
	OpenSame func(t *testing.T, a adapter.Adapter) adapter.Adapter
	Dialect  Dialect
}

// Dialect is what the suite's expectations depend on that the engines
// spell differently.
type Dialect struct {
	// Types as Describe reports them.
	Integer, Varchar, Decimal4_1 string
	// Leftovers is a query listing relations an unfinished build would
	// leave (temporary tables and views), one per row.
	Leftovers string
	// Series is a SELECT of the integers 1..n as column n, of type
	// SeriesType.
	Series     func(n int) string
	SeriesType string
	// NoResultColumns are the columns Query reports for a statement that
	// returns no rows, such as CREATE TABLE (DuckDB reports a count).
	NoResultColumns []adapter.Column
	// Long is a SELECT that runs for a long time (it is cancelled) and
	// returns one column n.
	Long string
	// ConversionError is in the error of a failed cast of text to integer.
	ConversionError string
	// Failing is an integer expression that fails when evaluated, with
	// FailingError in its error (DuckDB's 1/0 is NULL, not an error).
	Failing, FailingError string
	// AppendMismatch is in the error of appending text to an integer
	// column (DuckDB tries the cast, PostgreSQL refuses the types).
	AppendMismatch string
	// MissingRelation is in the error of a query reading relation name
	// that does not exist.
	MissingRelation func(name string) string
	// ErrorLine is what the error of the ErrorLine model shows: at least
	// "LINE 4:"; an engine may show more (the line and a caret).
	ErrorLine string
	// LockWaiters lists sessions waiting for the run lock ("" when
	// the engine can not tell).
	LockWaiters string
	// Running lists statements of this database still running Long on
	// the server ("" when the engine runs in process).
	Running string
	// NoTransaction is a statement on relation {rel} the engine refuses
	// inside a transaction, with the error it gives there ("" when none is
	// known): a hook configured with transaction: false can run it.
	NoTransaction, NoTransactionError string
	// CancelledError, when set, is in the engine's error for a statement
	// the server cancelled, accepted besides context.Canceled (PostgreSQL
	// may answer the cancel request before the client sees ctx done).
	CancelledError string
	// DuplicateMergeKey is the error of a merge whose new rows hold one
	// key twice; "" when the engine updates the old row once.
	DuplicateMergeKey string
	// ReportsAddedColumns: an append_new_columns build says in its
	// message which columns it added (PostgreSQL does, DuckDB not).
	ReportsAddedColumns bool
	// Seeds spells seed loading.
	Seeds SeedDialect
}

// SeedDialect is how an engine types seed columns and what statements a
// seed load sends.
type SeedDialect struct {
	BigInt, Double, Text, Date, Decimal12_2 string
	// WriteParquet writes the rows of a DuckDB query to a parquet file;
	// a is the suite's adapter, for engines that can write it themselves.
	WriteParquet func(t *testing.T, a adapter.Adapter, duckdbQuery, path string)
	// FailedReplace are statements (prefixes) an incremental load of
	// seeds.ev sends when it deletes the rows of the changed file
	// seeds/ev/b.jsonl and then fails writing the new ones.
	FailedReplace []string
	// Loads inspects the statements one load sent and reports into which
	// relation rows were written ("" when none) and which files were read
	// (nil when the engine reads files outside SQL, so statements can not
	// tell).
	Loads func(sent []string) (into string, read []string)
	// DescribesFiles tells whether statements SeedColumns sent read the
	// seed's files; nil when the engine reads files outside SQL.
	DescribesFiles func(sent []string) bool
}

// Run runs the whole suite.
func Run(t *testing.T, o Opener) {
	t.Run("Materialize", func(t *testing.T) { RunMaterialize(t, o) })
	t.Run("Swap", func(t *testing.T) { RunSwap(t, o) })
	t.Run("ErrorLine", func(t *testing.T) { RunErrorLine(t, o) })
	t.Run("Hooks", func(t *testing.T) { RunHooks(t, o) })
	t.Run("Seeds", func(t *testing.T) { RunSeeds(t, o) })
	t.Run("IncrementalSeeds", func(t *testing.T) { RunIncrementalSeeds(t, o) })
	t.Run("Relations", func(t *testing.T) { RunRelations(t, o) })
	t.Run("Query", func(t *testing.T) { RunQuery(t, o) })
	t.Run("Lock", func(t *testing.T) { RunLock(t, o) })
	t.Run("Cancel", func(t *testing.T) { RunCancel(t, o) })
	t.Run("Concurrent", func(t *testing.T) { RunConcurrent(t, o) })
}

// Statements records what an adapter sends.
type Statements struct {
	mu   sync.Mutex
	list []string
}

// Add records sql; it is an Opener's onStatement.
func (s *Statements) Add(sql string) {
	s.mu.Lock()
	s.list = append(s.list, sql)
	s.mu.Unlock()
}

// Reset forgets what was recorded.
func (s *Statements) Reset() {
	s.mu.Lock()
	s.list = nil
	s.mu.Unlock()
}

// All returns what was recorded, in order.
func (s *Statements) All() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.list...)
}

// Matching returns the recorded statements containing sub.
func (s *Statements) Matching(sub string) []string {
	var out []string
	for _, st := range s.All() {
		if strings.Contains(st, sub) {
			out = append(out, st)
		}
	}
	return out
}

func rel(schema, name string) adapter.Relation { return adapter.Relation{Schema: schema, Name: name} }

// Rows runs q on a and renders each row as "v1|v2|…" (NULL for nil),
// sorted, so that expectations need no engine's ORDER BY spelling.
func Rows(t *testing.T, a adapter.Adapter, q string) []string {
	t.Helper()
	res, err := a.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	out := []string{}
	for _, r := range res.Rows {
		parts := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	slices.Sort(out)
	return out
}

// wantRows checks Rows of q against want, in any order.
func wantRows(t *testing.T, a adapter.Adapter, q string, want ...string) {
	t.Helper()
	w := append([]string{}, want...)
	slices.Sort(w)
	if got := Rows(t, a, q); !slices.Equal(got, w) {
		t.Errorf("%s:\n got %q\nwant %q", q, got, w)
	}
}

func selectAll(a adapter.Adapter, r adapter.Relation) string {
	return "SELECT * FROM " + a.Dialect().RelationSQL(r)
}

func noLeftovers(t *testing.T, o Opener, a adapter.Adapter, when string) {
	t.Helper()
	if l := Rows(t, a, o.Dialect.Leftovers); len(l) > 0 {
		t.Errorf("%stemporary relations left: %v", when, l)
	}
}

func exec(t *testing.T, a adapter.Adapter, sql string) {
	t.Helper()
	if _, err := a.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func mustMaterialize(t *testing.T, a adapter.Adapter, m adapter.Materialization) adapter.Result {
	t.Helper()
	res, err := a.Materialize(context.Background(), m)
	if err != nil {
		t.Fatalf("%s: %v", m.Relation, err)
	}
	return res
}

// WriteFile writes content to rel under root, making directories.
func WriteFile(t *testing.T, root, rel, content string) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func columnNames(cols []adapter.Column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Name+" "+c.Type)
	}
	return out
}
