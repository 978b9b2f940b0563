// Package adapter defines what the runner needs from a warehouse engine. Each
// engine lives in a sub-package (duckdb, postgres); the runner only sees this
// interface, so dialect details stay out of scheduling code.
package adapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// Target is a resolved connection output from profiles.yml. The CLI builds it
// from the project's profile; adapters never read configuration files.
type Target struct {
	Name    string // output name, e.g. "dev" or "pg"
	Type    string // engine name (profiles.yml type), e.g. "duckdb"
	Threads int
	// Settings are applied to every connection: SET key = value on DuckDB,
	// run-time parameters of the session on PostgreSQL (e.g. work_mem).
	Settings map[string]string
	// Schema is the profile's schema: the target schema of dbt's schema
	// rules.
	Schema string
	// Options are the engine's own profile keys, as its DecodeOptions
	// returned them (e.g. duckdb.Options); nil means the engine's defaults.
	Options Options

	// OnStatement, when set, receives every SQL statement the adapter sends,
	// before it is sent. Tests use it to check what reaches the server.
	OnStatement func(sql string)
}

// Relation is a table or view name: schema-qualified, and catalog-qualified
// when Database is set (engines with Caps.Catalogs).
type Relation struct {
	Database string
	Schema   string
	Name     string
}

func (r Relation) String() string {
	if r.Database != "" {
		return r.Database + "." + r.Schema + "." + r.Name
	}
	return r.Schema + "." + r.Name
}

// Kind of an existing relation.
type Kind string

const (
	KindNone  Kind = ""      // the relation does not exist
	KindTable Kind = "table" // a base table
	KindView  Kind = "view"
)

// Column is a column name and its engine type, as the engine spells it.
type Column struct {
	Name string
	Type string
}

// Materialization asks the adapter to (re)build one relation from a SELECT.
type Materialization struct {
	Relation Relation
	// Materialized is "view", "table" or "incremental" ("ephemeral" never
	// reaches an adapter).
	Materialized string
	// SQL is the model's rendered SELECT (ephemeral CTEs already inlined).
	SQL string
	// Incremental is true when the relation exists as a table and no full
	// refresh was asked: apply Strategy instead of rebuilding. The runner
	// decides this (it renders the model with is_incremental accordingly).
	Incremental    bool
	Strategy       string   // "append" (default when UniqueKey is empty), "merge" (default otherwise), "delete+insert"
	UniqueKey      []string // columns identifying a row for merge / delete+insert
	OnSchemaChange string   // "ignore" (default), "fail", "append_new_columns"
	Hooks
}

// Hooks are a model's or seed's pre_hook and post_hook statements, run on
// the session that builds it. PreHooks and PostHooks run inside the build's
// transaction (first and just before the commit), so a failing one leaves
// the old relation; BeforeBegin and AfterCommit are the hooks configured
// with transaction: false.
type Hooks struct {
	PreHooks    []string
	PostHooks   []string
	BeforeBegin []string
	AfterCommit []string
}

// RunHooks runs hooks in order with exec, skipping blank ones. A failure
// names the hook by kind ("pre_hook", "post_hook"), number and clipped
// text, the same on every engine; after cancellation it is ctx's error.
func RunHooks(ctx context.Context, kind string, hooks []string, exec func(sql string) error) error {
	for i, h := range hooks {
		if strings.TrimSpace(h) == "" {
			continue
		}
		if err := exec(h); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("%s %d (%s): %w", kind, i+1, Clip(strings.Join(strings.Fields(h), " "), 60), err)
		}
	}
	return nil
}

// OutsideHooks runs the hooks configured with transaction: false around a
// build. An adapter has one, shared by its models and seeds: such hooks are
// shared setup (CREATE TABLE IF NOT EXISTS on an audit table, say), and the
// same statement run at once by two sessions conflicts on both engines'
// catalogs, so they run one model or seed at a time.
type OutsideHooks struct {
	mu sync.Mutex
}

// Around runs h.BeforeBegin, then build, then h.AfterCommit, each hook
// with exec. A failing after-commit hook is reported after built, which
// says what stays ("the relation was built").
func (o *OutsideHooks) Around(ctx context.Context, h Hooks, built string, exec func(sql string) error, build func() (Result, error)) (Result, error) {
	if err := o.run(ctx, "pre_hook", h.BeforeBegin, exec); err != nil {
		return Result{}, err
	}
	res, err := build()
	if err != nil {
		return Result{}, err
	}
	if err := o.run(ctx, "post_hook", h.AfterCommit, exec); err != nil {
		return Result{}, fmt.Errorf("%s, but %w", built, err)
	}
	return res, nil
}

func (o *OutsideHooks) run(ctx context.Context, kind string, hooks []string, exec func(sql string) error) error {
	if len(hooks) == 0 {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return RunHooks(ctx, kind, hooks, exec)
}

// QueryLineError is an engine's error that points at a line of a model's
// SQL: Line is the line (1-based) of the compiled SQL, as the run writes it
// to target/run.
type QueryLineError struct {
	Err  error
	Line int
}

func (e *QueryLineError) Error() string { return e.Err.Error() }
func (e *QueryLineError) Unwrap() error { return e.Err }

// Result of a materialization or seed load.
type Result struct {
	RowsAffected int64  // rows written (-1 when unknown, e.g. views)
	Message      string // short engine-style status, e.g. "CREATE TABLE (42 rows)"
}

// Seed describes one seed to load: one file, or several files of one folder
// combined into one table.
type Seed struct {
	Relation    Relation
	Root        string   // project root (absolute)
	Files       []string // absolute paths; more than one when combined
	Format      string   // "csv", "json", "parquet" or "xlsx"
	Sheet       string   // xlsx sheet; "" = first sheet
	Delimiter   string   // csv; "" = auto-detect
	ColumnTypes map[string]string
	// SourceFileColumn adds a column _source_file holding each row's file,
	// relative to Root with forward slashes (used by combined seeds).
	SourceFileColumn bool

	// Incremental loads only what changed since the last load: rows of
	// files loaded before and unchanged stay, new files are appended,
	// changed files replace their rows and rows of files that are gone are
	// deleted, all in one transaction. It needs SourceFileColumn. The
	// adapter records which files it loaded, with their fingerprints, in a
	// table of its own in the seed's schema.
	Incremental bool
	// FullRefresh, with Incremental, reloads every file (and records them).
	FullRefresh bool
	// Fingerprints maps each file of Files (absolute path) to a text that
	// changes when the file does (the runner uses size and modification
	// time). Required with Incremental.
	Fingerprints map[string]string

	Hooks
}

// Rows is a small, fully read query result (show, tests, run_query).
type Rows struct {
	Columns []Column
	Rows    [][]any
}

// Info describes the connected engine for `ingot debug`.
type Info struct {
	Engine  string            // "duckdb" or "postgres"
	Version string            // the engine's own version string
	Details map[string]string // e.g. "pg_duckdb": "installed 0.3.1, in use"
}

// Adapter is one open connection to a warehouse for the duration of a run.
// It must be safe for concurrent use by the runner's worker goroutines.
type Adapter interface {
	Type() string
	// Dialect is how the engine spells identifiers and relations.
	Dialect() Dialect
	Info(ctx context.Context) (Info, error)
	EnsureSchema(ctx context.Context, schema string) error
	// Describe reports the kind and columns of a relation; KindNone and no
	// error when it does not exist.
	Describe(ctx context.Context, r Relation) (Kind, []Column, error)
	Materialize(ctx context.Context, m Materialization) (Result, error)
	LoadSeed(ctx context.Context, s Seed) (Result, error)
	// SeedColumns reports the columns, in this engine's types, that
	// LoadSeed would give s's table, without loading it.
	SeedColumns(ctx context.Context, s Seed) ([]Column, error)
	// Query runs a statement and reads at most limit rows (limit <= 0: all).
	Query(ctx context.Context, sql string, limit int) (*Rows, error)
	Exec(ctx context.Context, sql string) (int64, error)
	// CreateTableAs replaces r with the rows of sql (used for test failures
	// and unit-test fixtures); not atomic-swapped, callers own r.
	CreateTableAs(ctx context.Context, r Relation, sql string) error
	DropRelation(ctx context.Context, r Relation) error
	// Lock takes the target-wide run lock, waiting until ctx is done. It
	// returns ErrLocked at once when wait is false and another run holds it.
	Lock(ctx context.Context, wait bool) (release func(), err error)
	Close() error
}

// ErrLocked is returned by Lock when another run holds the target lock.
var ErrLocked = errors.New("another ingot run holds the lock on this target")

// QuoteIdent double-quotes an identifier, doubling embedded quotes: the
// SQL-standard form, which engines spell SQL for DuckDB use (seed readers,
// unit-test scratch databases) whatever the target's dialect.
func QuoteIdent(s string) string { return Dialect{}.Quote(s) }

// Maps returns the rows as maps from column name to value, the shape
// run_query hands to templates.
func (r *Rows) Maps() []map[string]any {
	out := make([]map[string]any, len(r.Rows))
	for i, row := range r.Rows {
		m := make(map[string]any, len(r.Columns))
		for j, c := range r.Columns {
			m[c.Name] = row[j]
		}
		out[i] = m
	}
	return out
}
