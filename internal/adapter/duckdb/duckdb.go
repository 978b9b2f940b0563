// Package duckdb is the embedded DuckDB adapter: one database handle per run
// (a file, or in memory), tables swapped in atomically, incremental
// strategies, and seeds loaded with DuckDB's own file readers.
package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

var _ adapter.Adapter = (*Adapter)(nil)

// Adapter is an open DuckDB database. It is safe for concurrent use: every
// materialization runs on its own connection of the pool.
type Adapter struct {
	db     *sql.DB
	path   string // "" for in-memory
	onStmt func(string)
	lake   *lake // a ducklake target's lake, attached on every connection; nil otherwise
	// caps choose the materializations' paths: DuckDB's own, or those of
	// an engine that runs on DuckDB declaring fewer (OpenWith).
	caps adapter.Caps

	schemaMu sync.Mutex           // serialises CREATE SCHEMA
	stateMu  sync.Mutex           // serialises creating the incremental seeds' state tables
	outside  adapter.OutsideHooks // hooks with transaction: false, one build at a time
}

// cleanupTimeout bounds rollbacks and drops that run after the caller's
// context is already done.
const cleanupTimeout = 30 * time.Second

var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Open opens (creating if needed) the database of target t. t.Path "" or
// ":memory:" is an in-memory database; otherwise the file's directory is
// created. t.Settings are applied with SET on every connection.
func Open(ctx context.Context, t adapter.Target) (*Adapter, error) {
	return OpenWith(ctx, t, caps)
}

// OpenWith is Open for an engine that runs DuckDB with capabilities c:
// materializations take the paths c allows (see adapter.Caps.Replace).
func OpenWith(ctx context.Context, t adapter.Target, c adapter.Caps) (*Adapter, error) {
	opts := optionsOf(t)
	path := opts.Path
	if path == ":memory:" || opts.Lake != nil {
		path = ""
	}
	sets, err := settingStatements(t.Settings)
	if err != nil {
		return nil, err
	}
	if path != "" {
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, fmt.Errorf("duckdb: creating directory for %s: %w", path, err)
			}
		}
	}
	a := &Adapter{path: path, onStmt: t.OnStatement, caps: c}
	if opts.Lake != nil {
		a.lake = &lake{cfg: *opts.Lake}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	connector, err := duckdbdriver.NewConnector(path, func(ex driver.ExecerContext) error {
		for _, s := range sets {
			a.log(s)
			if _, err := ex.ExecContext(context.Background(), s, nil); err != nil {
				return fmt.Errorf("duckdb setting (%s): %w", s, err)
			}
		}
		if a.lake != nil {
			return a.lake.connect(ctx, ex, a.log)
		}
		return nil
	})
	if err != nil {
		return nil, openError(path, err)
	}
	a.db = sql.OpenDB(connector)
	// Keep connections (and their settings) around between models.
	a.db.SetMaxIdleConns(max(t.Threads, 4) + 2)
	if a.lake != nil {
		// One session at a time. Sessions of one process committing side
		// by side break DuckLake 1.5: on a SQLite catalog a commit fails
		// with "database is locked" when another committed since the
		// transaction read the catalog (DuckLake does not retry that), and
		// on either catalog a commit can fail with "schema not found in
		// metadata catalog" or put a table in another schema. Models then
		// build one at a time; each statement still runs on every core, and
		// readers in other processes are never held up.
		a.db.SetMaxOpenConns(1)
	}
	if err := a.db.PingContext(ctx); err != nil {
		_ = a.db.Close()
		if a.lake != nil {
			// Name the profile output, as the PostgreSQL engine does.
			return nil, fmt.Errorf("ducklake target %q: %w", t.Name, err)
		}
		return nil, err
	}
	return a, nil
}

// settingStatements renders SET statements in a stable order.
func settingStatements(settings map[string]string) ([]string, error) {
	keys := make([]string, 0, len(settings))
	for k := range settings {
		if !settingName.MatchString(k) {
			return nil, fmt.Errorf("duckdb: invalid setting name %q", k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = fmt.Sprintf("SET %s = %s", k, literal(settings[k]))
	}
	return out, nil
}

var reLockHolder = regexp.MustCompile(`Conflicting lock is held in (.*?) \(PID (\d+)\)`)

// LockedError reports a database file held by another process. It matches
// adapter.ErrLocked with errors.Is.
type LockedError struct {
	Path   string
	Holder string // program holding the lock, when DuckDB says
	PID    string // its process id, when DuckDB says
	Err    error
}

func (e *LockedError) Error() string {
	who := "another process"
	if e.PID != "" {
		who = fmt.Sprintf("another process (PID %s, %s)", e.PID, e.Holder)
	}
	return fmt.Sprintf("database file %s is locked by %s: DuckDB allows one process to write a file at a time; "+
		"wait for that process to finish or stop it (an earlier ingot run, a DuckDB shell or a BI tool with the file open), "+
		"or point the target at another path", e.Path, who)
}

func (e *LockedError) Unwrap() error { return e.Err }

func (e *LockedError) Is(target error) bool { return target == adapter.ErrLocked }

func openError(path string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "Could not set lock on file") {
		le := &LockedError{Path: path, Err: err}
		if m := reLockHolder.FindStringSubmatch(msg); m != nil {
			le.Holder, le.PID = m[1], m[2]
		}
		return le
	}
	if path == "" {
		return fmt.Errorf("duckdb: opening in-memory database: %w", err)
	}
	return fmt.Errorf("duckdb: opening %s: %w", path, err)
}

// Type implements adapter.Adapter.
func (a *Adapter) Type() string { return "duckdb" }

// DB exposes the database handle, for tests and tools that need raw access.
func (a *Adapter) DB() *sql.DB { return a.db }

// Info implements adapter.Adapter.
func (a *Adapter) Info(ctx context.Context) (adapter.Info, error) {
	var v string
	q := "SELECT version()"
	a.log(q)
	if err := a.db.QueryRowContext(ctx, q).Scan(&v); err != nil {
		return adapter.Info{}, fmt.Errorf("duckdb: reading version: %w", err)
	}
	path := a.path
	if path == "" {
		path = ":memory:"
	}
	if a.lake != nil {
		return adapter.Info{Engine: "duckdb", Version: v, Details: a.lake.details()}, nil
	}
	return adapter.Info{Engine: "duckdb", Version: v, Details: map[string]string{"path": path}}, nil
}

func relSQL(r adapter.Relation) string { return dialect.RelationSQL(r) }

// EnsureSchema implements adapter.Adapter. Schema creation is serialised:
// two transactions creating the same schema would conflict in DuckDB. No
// cache: a schema dropped during the run (DROP SCHEMA through Exec) must
// come back.
func (a *Adapter) EnsureSchema(ctx context.Context, schema string) error {
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	if _, err := a.exec(ctx, a.db, "CREATE SCHEMA IF NOT EXISTS "+adapter.QuoteIdent(schema)); err != nil {
		return fmt.Errorf("creating schema %s: %w", schema, err)
	}
	return nil
}

// querier is what *sql.DB and *sql.Conn share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (a *Adapter) log(q string) {
	if a.onStmt != nil {
		a.onStmt(q)
	}
}

func (a *Adapter) exec(ctx context.Context, q querier, stmt string, args ...any) (int64, error) {
	a.log(stmt)
	res, err := q.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, interrupted(ctx, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return -1, nil
	}
	return n, nil
}

// execAs runs createAs(head, query); an error DuckDB places in the query
// carries its line (adapter.QueryLineError).
func (a *Adapter) execAs(ctx context.Context, q querier, head, query string) (int64, error) {
	n, err := a.exec(ctx, q, createAs(head, query))
	if err != nil {
		return n, queryLine(err)
	}
	return n, nil
}

// Describe implements adapter.Adapter. For a view that no longer binds
// (a relation it reads was dropped) it returns KindView and the error.
func (a *Adapter) Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	kind, cols, err := a.describe(ctx, a.db, r)
	if err != nil {
		// The kind stays meaningful: a view whose query no longer binds is
		// still a view.
		return kind, nil, fmt.Errorf("describing %s: %w", r, err)
	}
	return kind, cols, nil
}

// describe reports the kind and columns of r in the main database (not the
// connection's temporary objects), resolving names case-insensitively as
// DuckDB does. It avoids information_schema and duckdb_tables(), whose cost
// grows with the number of tables (milliseconds per call with a thousand
// models): views are looked up in duckdb_views(), tables by DESCRIBE. A
// missing table makes DESCRIBE fail, so describe must not run inside a
// transaction unless r is known to exist.
func (a *Adapter) describe(ctx context.Context, q querier, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	const viewSQL = `SELECT count(*) FROM duckdb_views()
WHERE database_name = current_database() AND NOT internal AND lower(schema_name) = lower(?) AND lower(view_name) = lower(?)`
	a.log(viewSQL)
	var views int
	if err := q.QueryRowContext(ctx, viewSQL, r.Schema, r.Name).Scan(&views); err != nil {
		return adapter.KindNone, nil, interrupted(ctx, err)
	}
	kind := adapter.KindTable
	if views > 0 {
		kind = adapter.KindView
	}
	cols, err := a.columns(ctx, q, "SELECT column_name, column_type FROM (DESCRIBE "+relSQL(r)+")")
	if err != nil {
		if kind == adapter.KindTable && ctx.Err() == nil && isNotFound(err) {
			return adapter.KindNone, nil, nil
		}
		return kind, nil, interrupted(ctx, err)
	}
	return kind, cols, nil
}

// isNotFound tells DuckDB's "no such table/schema" catalog errors.
func isNotFound(err error) bool {
	var de *duckdbdriver.Error
	if errors.As(err, &de) && de.Type != duckdbdriver.ErrorTypeCatalog {
		return false
	}
	return strings.Contains(err.Error(), "does not exist")
}

func (a *Adapter) columns(ctx context.Context, q querier, query string, args ...any) ([]adapter.Column, error) {
	a.log(query)
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []adapter.Column
	for rows.Next() {
		var c adapter.Column
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// Exec implements adapter.Adapter.
func (a *Adapter) Exec(ctx context.Context, stmt string) (int64, error) {
	return a.exec(ctx, a.db, stmt)
}

// CreateTableAs implements adapter.Adapter.
func (a *Adapter) CreateTableAs(ctx context.Context, r adapter.Relation, query string) error {
	if err := a.EnsureSchema(ctx, r.Schema); err != nil {
		return err
	}
	conn, err := a.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	kind, _, err := a.describe(ctx, conn, r)
	if err != nil && kind != adapter.KindView {
		return fmt.Errorf("creating table %s: %w", r, err)
	}
	err = a.inTx(ctx, conn, func() error {
		if kind == adapter.KindView {
			if _, err := a.exec(ctx, conn, "DROP VIEW "+relSQL(r)); err != nil {
				return err
			}
		}
		_, err = a.execAs(ctx, conn, "CREATE OR REPLACE TABLE "+relSQL(r), query)
		return err
	})
	if err != nil {
		return fmt.Errorf("creating table %s: %w", r, err)
	}
	return nil
}

// DropRelation implements adapter.Adapter.
func (a *Adapter) DropRelation(ctx context.Context, r adapter.Relation) error {
	kind, _, err := a.describe(ctx, a.db, r)
	if err != nil && kind != adapter.KindView {
		return fmt.Errorf("dropping %s: %w", r, err)
	}
	if kind == adapter.KindNone {
		return nil
	}
	if _, err := a.exec(ctx, a.db, dropSQL(kind, r)); err != nil {
		return fmt.Errorf("dropping %s: %w", r, err)
	}
	return nil
}

func dropSQL(kind adapter.Kind, r adapter.Relation) string {
	if kind == adapter.KindView {
		return "DROP VIEW IF EXISTS " + relSQL(r)
	}
	return "DROP TABLE IF EXISTS " + relSQL(r)
}

// Lock implements adapter.Adapter. DuckDB's own file lock already keeps a
// second process out of the file (Open fails with a LockedError).
func (a *Adapter) Lock(ctx context.Context, wait bool) (func(), error) {
	if a.lake != nil {
		return a.lake.lock(ctx, wait)
	}
	return func() {}, ctx.Err()
}

// Close implements adapter.Adapter.
func (a *Adapter) Close() error { return a.db.Close() }

// inTx runs fn inside a transaction on conn. On any failure, including a
// cancelled context, the transaction is rolled back under a fresh context;
// a connection that cannot be rolled back is discarded rather than reused.
func (a *Adapter) inTx(ctx context.Context, conn *sql.Conn, fn func() error) error {
	if _, err := a.exec(ctx, conn, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	err := fn()
	if err == nil {
		_, err = a.exec(ctx, conn, "COMMIT")
		if err == nil {
			return nil
		}
	}
	err = interrupted(ctx, err)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if _, rerr := a.exec(rctx, conn, "ROLLBACK"); rerr != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// interrupted reports a statement stopped by cancellation as just the
// context's error: DuckDB's "Interrupted!" adds nothing.
func interrupted(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func literal(s string) string { return dialect.Literal(s) }
