// Package postgres is the PostgreSQL adapter, on pgx (one pgxpool per run).
//
// Relations are always written schema-qualified and quoted, so nothing
// depends on the session's search_path. Cancelling a context sends a cancel
// request to the server, so a cancelled model stops running there too.
//
// Replacing a relation (table and view models, seeds) happens in one
// transaction: the new relation is built under a temporary name, then the
// old one is dropped and the new one renamed into place. PostgreSQL refuses
// to drop a relation that views depend on, and DROP … CASCADE would silently
// remove views of models that are not part of this run. So the swap saves
// the definitions (and grants and comments) of the dependent views, drops
// them, swaps, and recreates them on the new relation. A dependent view that
// no longer fits the new relation (it uses a column that is gone) cannot be
// kept: it is dropped and named in the result message; the runner rebuilds it
// when it is part of the run. Other dependents (materialized views, foreign
// keys) make the swap fail with PostgreSQL's own message, and the old
// relation stays.
//
// pg_duckdb: Open looks the extension up in pg_extension of the target
// database. With pg_duckdb "auto" (found) or "on" (required), table and
// incremental builds run in a transaction that starts with
// SET LOCAL duckdb.force_execution = true; views (nothing runs when they are
// created), seeds, hooks and other queries never get it. "off" never sends it.
//
// Seeds are read on this machine by an in-memory DuckDB (package seedfile:
// the same readers and inferred types as the DuckDB target), mapped to
// PostgreSQL types and streamed with COPY in binary format.
//
// The run lock is a session-level advisory lock with a fixed key, held on a
// connection of its own. Advisory locks are per database, so two runs on the
// same database exclude each other whatever their target names.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/pglock"
)

var _ adapter.Adapter = (*Adapter)(nil)

// defaultConnectTimeout bounds connecting when neither the target nor the
// DSN sets connect_timeout, so a wrong host fails instead of hanging.
const defaultConnectTimeout = 10 * time.Second

// detectPgDuckdbSQL finds the pg_duckdb extension of the current database.
const detectPgDuckdbSQL = `select extversion from pg_catalog.pg_extension where extname = 'pg_duckdb'`

// forceExecutionSQL makes pg_duckdb execute the transaction's queries.
const forceExecutionSQL = `SET LOCAL duckdb.force_execution = true`

// Adapter is an open PostgreSQL target. It is safe for concurrent use.
type Adapter struct {
	target  adapter.Target
	opts    Options
	pool    *pgxpool.Pool
	connCfg *pgx.ConnConfig // for the lock's dedicated connection
	secrets adapter.Secrets // strings that must never appear in errors

	serverVersion    string
	serverVersionNum int
	database, user   string

	pgDuckdbMode    string // auto, on or off
	pgDuckdbVersion string // "" when the extension is not installed
	forceExecution  bool   // send forceExecutionSQL with builds

	outside adapter.OutsideHooks // hooks with transaction: false, one build at a time

	schemas sync.Map // schema name → struct{}: known to exist
	types   sync.Map // typeKey → engine type name

	mu    sync.Mutex
	locks map[*pglock.Lock]struct{} // held run locks, released by Close
}

// Open connects to the target, checks the connection and detects pg_duckdb.
func Open(ctx context.Context, t adapter.Target) (*Adapter, error) {
	a := &Adapter{target: t, opts: optionsOf(t)}
	a.secrets.Add(a.opts.Password)
	a.secrets.Add(adapter.DSNPasswords(a.opts.DSN)...)
	if err := a.open(ctx); err != nil {
		if a.pool != nil {
			a.pool.Close()
		}
		return nil, a.secrets.Error(a.connectFailed(ctx, fmt.Errorf("postgres target %q: %w", t.Name, err)))
	}
	return a, nil
}

// connectFailed says what to do when the first connection fails: pgx's
// message names the address but not the setting to look at.
func (a *Adapter) connectFailed(ctx context.Context, err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) || ctx.Err() != nil || a.connCfg == nil {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w\nthe server at %s did not answer within connect_timeout (%s): check host and port in profiles.yml, or raise connect_timeout for a slow network",
			err, a.address(), a.connCfg.ConnectTimeout)
	}
	return fmt.Errorf("%w\ncheck that PostgreSQL is running at %s and that host and port in profiles.yml point at it", err, a.address())
}

// connectionLost reports whether err means the server went away or can no
// longer be reached, rather than that a statement failed.
func connectionLost(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false // the user stopped the run
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		// admin_shutdown, crash_shutdown, cannot_connect_now
		isSQLState(err, "57P01", "57P02", "57P03")
}

// address is the target's host:port as connections use it.
func (a *Adapter) address() string {
	if strings.HasPrefix(a.connCfg.Host, "/") {
		return fmt.Sprintf("the unix socket in %s (port %d)", a.connCfg.Host, a.connCfg.Port)
	}
	return net.JoinHostPort(a.connCfg.Host, strconv.Itoa(int(a.connCfg.Port)))
}

func (a *Adapter) open(ctx context.Context) error {
	mode := a.opts.PgDuckdb
	switch mode {
	case "":
		mode = "auto"
	case "auto", "on", "off":
	default:
		return fmt.Errorf("pg_duckdb must be auto, on or off, not %q", mode)
	}
	a.pgDuckdbMode = mode

	cfg, err := a.poolConfig()
	if err != nil {
		return err
	}
	a.connCfg = cfg.ConnConfig.Copy()
	a.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}

	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	pc := conn.Conn().PgConn()
	a.serverVersion = pc.ParameterStatus("server_version")
	if err := conn.QueryRow(ctx, `select current_setting('server_version_num')::int, current_database(), current_user`).
		Scan(&a.serverVersionNum, &a.database, &a.user); err != nil {
		return err
	}

	var version string
	switch err := conn.QueryRow(ctx, detectPgDuckdbSQL).Scan(&version); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("detecting pg_duckdb: %w", err)
	default:
		a.pgDuckdbVersion = version
	}
	if a.pgDuckdbVersion == "" && mode == "on" {
		return fmt.Errorf("pg_duckdb is \"on\" but the extension is not installed in database %q (CREATE EXTENSION pg_duckdb, or set pg_duckdb: auto)", a.database)
	}
	a.forceExecution = a.pgDuckdbVersion != "" && mode != "off"
	return nil
}

// poolConfig builds the pool configuration: the DSN when set, else the
// target's fields; PG* environment variables fill what neither gives.
func (a *Adapter) poolConfig() (*pgxpool.Config, error) {
	t, o := a.target, a.opts
	connString := o.DSN
	if connString == "" {
		var kv []string
		add := func(k, v string) {
			if v != "" {
				kv = append(kv, k+"="+quoteConnValue(v))
			}
		}
		add("host", o.Host)
		if o.Port != 0 {
			add("port", strconv.Itoa(o.Port))
		}
		add("user", o.User)
		add("password", o.Password)
		add("dbname", o.DBName)
		add("sslmode", o.SSLMode)
		connString = strings.Join(kv, " ")
	}
	cfg, err := pgxpool.ParseConfig(connString)
	if err != nil {
		return nil, errors.New("invalid connection settings: " + parseErrorReason(err))
	}
	a.secrets.Add(cfg.ConnConfig.Password)
	cc := cfg.ConnConfig
	if o.ConnectTimeout > 0 {
		cc.ConnectTimeout = o.ConnectTimeout
	} else if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = defaultConnectTimeout
	}
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "ingot"
	}
	// Sent in the startup message, so they hold on every pooled connection
	// and a misspelt name fails the connection with the server's message.
	for k, v := range t.Settings {
		if !settingName.MatchString(k) {
			return nil, fmt.Errorf("invalid setting name %q: settings are PostgreSQL parameter names such as work_mem", k)
		}
		cc.RuntimeParams[k] = v
	}
	// Models rebuild relations all the time; cached prepared statements
	// would fail with "cached plan must not change result type".
	cc.DefaultQueryExecMode = pgx.QueryExecModeExec
	// A cancelled context cancels the statement on the server, and the
	// connection stays usable; the deadline is the fallback.
	cc.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: 5 * time.Second}
	}
	if t.OnStatement != nil {
		cc.Tracer = tracer{on: t.OnStatement}
	}
	threads := t.Threads
	if threads < 1 {
		threads = 1
	}
	cfg.MaxConns = int32(max(threads+1, 4))
	return cfg, nil
}

var settingName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// Type reports "postgres".
func (a *Adapter) Type() string { return "postgres" }

// Info describes the server and what was found of pg_duckdb.
func (a *Adapter) Info(ctx context.Context) (adapter.Info, error) {
	if err := a.pool.Ping(ctx); err != nil {
		return adapter.Info{}, a.redact(fmt.Errorf("connection check: %w", err))
	}
	return adapter.Info{
		Engine:  "postgres",
		Version: a.serverVersion,
		Details: map[string]string{
			"database":  a.database,
			"user":      a.user,
			"pg_duckdb": a.pgDuckdbStatus(),
		},
	}, nil
}

func (a *Adapter) pgDuckdbStatus() string {
	switch {
	case a.pgDuckdbVersion == "":
		return "not installed"
	case a.forceExecution:
		return "installed " + a.pgDuckdbVersion + ", in use"
	default:
		return "installed " + a.pgDuckdbVersion + ", not used (pg_duckdb: off)"
	}
}

// EnsureSchema creates a schema unless it exists. Existence is checked first
// so that a role without CREATE on the database can use existing schemas.
func (a *Adapter) EnsureSchema(ctx context.Context, schema string) error {
	if _, ok := a.schemas.Load(schema); ok {
		return nil
	}
	var exists bool
	if err := a.pool.QueryRow(ctx, `select exists(select 1 from pg_catalog.pg_namespace where nspname = $1)`, schema).Scan(&exists); err != nil {
		return a.redact(fmt.Errorf("schema %s: %w", schema, err))
	}
	if !exists {
		_, err := a.pool.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+dialect.Quote(schema))
		// Two sessions creating the same schema at once race on the catalog.
		if err != nil && !isSQLState(err, "42P06", "23505") {
			return a.redact(fmt.Errorf("creating schema %s: %w", schema, withDetail(err)))
		}
	}
	a.schemas.Store(schema, struct{}{})
	return nil
}

// Describe reports the kind and columns of a relation.
func (a *Adapter) Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	kind, cols, err := describe(ctx, a.pool, r)
	if err != nil {
		return adapter.KindNone, nil, a.redact(fmt.Errorf("describing %s: %w", r, err))
	}
	return kind, cols, nil
}

// querier is what catalog helpers need: the pool, a connection or a
// transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// relInfo is a relation's catalog entry.
type relInfo struct {
	oid     uint32
	relkind string // pg_class.relkind; "" when the relation does not exist
}

func lookup(ctx context.Context, q querier, r adapter.Relation) (relInfo, error) {
	var ri relInfo
	err := q.QueryRow(ctx, `select c.oid, c.relkind::text from pg_catalog.pg_class c
		join pg_catalog.pg_namespace n on n.oid = c.relnamespace
		where n.nspname = $1 and c.relname = $2`, r.Schema, r.Name).Scan(&ri.oid, &ri.relkind)
	if errors.Is(err, pgx.ErrNoRows) {
		return relInfo{}, nil
	}
	return ri, err
}

// kindOf maps pg_class.relkind to a relation kind.
func kindOf(relkind string) (adapter.Kind, error) {
	switch relkind {
	case "":
		return adapter.KindNone, nil
	case "r", "p", "f":
		return adapter.KindTable, nil
	case "v", "m":
		return adapter.KindView, nil
	}
	names := map[string]string{"i": "an index", "I": "an index", "S": "a sequence", "c": "a composite type", "t": "a TOAST table"}
	what := names[relkind]
	if what == "" {
		what = "relkind " + relkind
	}
	return adapter.KindNone, fmt.Errorf("exists as %s, not a table or view", what)
}

func describe(ctx context.Context, q querier, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	ri, err := lookup(ctx, q, r)
	if err != nil {
		return adapter.KindNone, nil, err
	}
	kind, err := kindOf(ri.relkind)
	if err != nil || kind == adapter.KindNone {
		return kind, nil, err
	}
	cols, err := columns(ctx, q, ri.oid)
	return kind, cols, err
}

func columns(ctx context.Context, q querier, oid uint32) ([]adapter.Column, error) {
	rows, err := q.Query(ctx, `select attname::text, pg_catalog.format_type(atttypid, atttypmod)
		from pg_catalog.pg_attribute where attrelid = $1 and attnum > 0 and not attisdropped order by attnum`, oid)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (adapter.Column, error) {
		var c adapter.Column
		err := row.Scan(&c.Name, &c.Type)
		return c, err
	})
}

// Exec runs one statement (or several, separated by semicolons) and returns
// the rows affected by the last one.
func (a *Adapter) Exec(ctx context.Context, sql string) (int64, error) {
	tag, err := a.pool.Exec(ctx, sql)
	if err != nil {
		return 0, a.redact(withDetail(err))
	}
	return tag.RowsAffected(), nil
}

// CreateTableAs replaces r with the result of sql, without an atomic swap.
func (a *Adapter) CreateTableAs(ctx context.Context, r adapter.Relation, sql string) error {
	if err := a.EnsureSchema(ctx, r.Schema); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, a.pool, func(tx pgx.Tx) error {
		if err := dropIfExists(ctx, tx, r, ""); err != nil {
			return err
		}
		_, err := execAs(ctx, tx, "CREATE TABLE "+relationSQL(r), sql)
		return err
	})
	if err != nil {
		return a.redact(fmt.Errorf("creating %s: %w", r, withDetail(err)))
	}
	return nil
}

// DropRelation drops a table or view if it exists. Dependent objects make it
// fail rather than vanish.
func (a *Adapter) DropRelation(ctx context.Context, r adapter.Relation) error {
	if err := dropIfExists(ctx, a.pool, r, ""); err != nil {
		return a.redact(fmt.Errorf("dropping %s: %w", r, withDetail(err)))
	}
	return nil
}

// dropIfExists drops r whatever its kind; a non-empty cascade is appended
// to the statement.
func dropIfExists(ctx context.Context, q querier, r adapter.Relation, cascade string) error {
	ri, err := lookup(ctx, q, r)
	if err != nil || ri.relkind == "" {
		return err
	}
	what, err := dropKeyword(ri.relkind)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, "DROP "+what+" "+relationSQL(r)+cascade)
	return err
}

func dropKeyword(relkind string) (string, error) {
	switch relkind {
	case "r", "p":
		return "TABLE", nil
	case "v":
		return "VIEW", nil
	case "m":
		return "MATERIALIZED VIEW", nil
	case "f":
		return "FOREIGN TABLE", nil
	}
	_, err := kindOf(relkind)
	return "", err
}

// Close closes the pool and any run lock still held.
func (a *Adapter) Close() error {
	a.mu.Lock()
	for l := range a.locks {
		l.Release()
	}
	a.locks = nil
	a.mu.Unlock()
	a.pool.Close()
	return nil
}

// runLock names the advisory lock of ingot runs (see package pglock).
const runLock = "ingot run lock"

// Lock takes the run lock: a session-level advisory lock held on a
// dedicated connection until release is called.
func (a *Adapter) Lock(ctx context.Context, wait bool) (func(), error) {
	l, err := pglock.Acquire(ctx, a.connCfg.Copy(), pglock.Key(runLock), wait)
	switch {
	case errors.Is(err, adapter.ErrLocked):
		return nil, err
	case err != nil && wait:
		return nil, a.redact(fmt.Errorf("waiting for the run lock: %w", err))
	case err != nil:
		return nil, a.redact(fmt.Errorf("run lock: %w", err))
	}
	a.mu.Lock()
	if a.locks == nil {
		a.locks = map[*pglock.Lock]struct{}{}
	}
	a.locks[l] = struct{}{}
	a.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			_, held := a.locks[l]
			delete(a.locks, l)
			a.mu.Unlock()
			if !held {
				return // Close got there first
			}
			l.Release()
		})
	}, nil
}

// tracer hands every statement to Target.OnStatement.
type tracer struct{ on func(string) }

func (t tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.on(d.SQL)
	return ctx
}

func (t tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (t tracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	cols := make([]string, len(d.ColumnNames))
	for i, c := range d.ColumnNames {
		cols[i] = adapter.QuoteIdent(c)
	}
	// The statement as pgx words it.
	t.on("copy " + d.TableName.Sanitize() + " ( " + strings.Join(cols, ", ") + " ) from stdin binary;")
	return ctx
}

func (t tracer) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// relationSQL renders a quoted relation name.
func relationSQL(r adapter.Relation) string { return dialect.RelationSQL(r) }

// trimSQL drops trailing semicolons and space, so a model can be wrapped
// in a statement.
func trimSQL(sql string) string {
	return strings.TrimRight(sql, "; \t\r\n")
}

func quoteConnValue(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

func isSQLState(err error, codes ...string) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	for _, c := range codes {
		if pe.Code == c {
			return true
		}
	}
	return false
}

// withDetail adds PostgreSQL's DETAIL and HINT to an error; pgx leaves them
// out of the message, and they often say what to do (which view depends on
// what, for instance).
func withDetail(err error) error {
	var le *adapter.QueryLineError
	if errors.As(err, &le) {
		return err // atLine added the detail already
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || (pe.Detail == "" && pe.Hint == "") {
		return err
	}
	var extra []string
	if pe.Detail != "" {
		extra = append(extra, "DETAIL: "+pe.Detail)
	}
	if pe.Hint != "" {
		extra = append(extra, "HINT: "+pe.Hint)
	}
	return fmt.Errorf("%w; %s", err, strings.Join(extra, "; "))
}

// execAs runs head AS (query), the query starting on the statement's first
// line, and adds to an error PostgreSQL places in the query the line of the
// query it points at, as DuckDB does: the line of the compiled SQL file.
func execAs(ctx context.Context, tx pgx.Tx, head, query string) (pgconn.CommandTag, error) {
	prefix := head + " AS ("
	tag, err := tx.Exec(ctx, prefix+trimSQL(query)+"\n)")
	if err != nil {
		return tag, atLine(err, utf8.RuneCountInString(prefix), query)
	}
	return tag, nil
}

// atLine turns an error whose position (in characters, 1-based) falls in
// query, which starts after skip characters of the statement, into an
// adapter.QueryLineError whose message adds DETAIL, HINT and that line
// ("LINE n: text" and a caret under the column), as DuckDB words it.
func atLine(err error, skip int, query string) error {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Position <= 0 {
		return err
	}
	pos := int(pe.Position) - 1 - skip // characters into query
	if pos < 0 {
		return err
	}
	line, col, start := 1, 0, 0
	i := 0
	for off, r := range query {
		if i == pos {
			break
		}
		i++
		col++
		if r == '\n' {
			line, col, start = line+1, 0, off+1
		}
	}
	if i < pos {
		return err // past the query (the statement's closing parenthesis)
	}
	text, _, _ := strings.Cut(query[start:], "\n")
	text = strings.TrimRight(text, "\r")
	label := fmt.Sprintf("LINE %d: ", line)
	return &adapter.QueryLineError{Err: fmt.Errorf("%w\n\n%s%s\n%s^", withDetail(err), label, text, strings.Repeat(" ", len(label)+col)), Line: line}
}

// parseErrorReason says why a connection string could not be parsed
// without quoting any of it: pgx's messages quote the string, and in a
// malformed one the password can not be told apart reliably.
func parseErrorReason(err error) string {
	msg := err.Error()
	for _, known := range []string{
		"failed to parse as URL", "failed to parse as keyword/value", "unterminated quoted string",
		"invalid port", "invalid connect_timeout", "sslmode is invalid", "invalid sslcertmode",
		"invalid require_auth", "invalid target_session_attrs", "forbidden NUL byte",
		"unable to read", "unable to find service", "failed to read service", "failed to configure TLS",
		"pool_max_conns", "pool_min_conns", "pool_max_conn_lifetime", "pool_max_conn_idle_time", "pool_health_check_period",
	} {
		if strings.Contains(msg, known) {
			return known + " (the connection string is not shown, as it may hold a password)"
		}
	}
	return "the connection string can not be parsed (it is not shown, as it may hold a password)"
}

// redact masks the target's passwords in an error's message. Every error
// leaving an open adapter passes here, so it also says what a lost
// connection means: the statement did not fail, the server is gone.
func (a *Adapter) redact(err error) error {
	if err != nil && connectionLost(err) {
		err = fmt.Errorf("%w\nlost the connection to postgres target %q at %s (the server stopped or restarted, or the network failed): check that PostgreSQL is running there, then run again; ingot retry reruns only what failed or was skipped",
			err, a.target.Name, a.address())
	}
	return a.secrets.Error(err)
}
