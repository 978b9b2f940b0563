package duckdb

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/pglock"
)

// LakeAlias is the name a DuckLake target's catalog is attached under, and
// the current database of every session: models' unqualified
// schema.name relations resolve into the lake.
const LakeAlias = "lake"

// sqliteBusyTimeout is how long a SQLite catalog statement waits for
// another connection's write lock.
const sqliteBusyTimeout = 30 * time.Second

// lake is the DuckLake side of an adapter whose target has type ducklake.
// The DuckDB database itself is in memory; the lake is attached on the
// first connection and made the current database of every connection.
type lake struct {
	cfg adapter.Lake

	mu       sync.Mutex
	attached bool
}

// execQueryer is what a driver connection offers to the connector's init
// function: Exec, and Query for the version lookups.
type execQueryer interface {
	driver.ExecerContext
	driver.QueryerContext
}

// connect prepares a new connection: the first one loads the extensions
// and attaches the lake; every one makes the lake its current database.
func (l *lake) connect(ctx context.Context, ex driver.ExecerContext, log func(string)) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	exec := func(q string) error {
		log(q)
		_, err := ex.ExecContext(ctx, q, nil)
		return err
	}
	if !l.attached {
		eq, ok := ex.(execQueryer)
		if !ok {
			return errors.New("ducklake: the DuckDB driver connection cannot run queries")
		}
		if err := l.attach(ctx, eq, exec); err != nil {
			return err
		}
		l.attached = true
	}
	if err := exec("USE " + LakeAlias); err != nil {
		return fmt.Errorf("ducklake: %w", err)
	}
	return nil
}

func (l *lake) attach(ctx context.Context, eq execQueryer, exec func(string) error) error {
	// Extensions are installed by load below, whose error says what to do
	// offline; never behind a query's back.
	if err := exec("SET autoinstall_known_extensions = false"); err != nil {
		return fmt.Errorf("ducklake: %w", err)
	}
	version, err := queryString(ctx, eq, "SELECT library_version FROM pragma_version()")
	if err != nil {
		return fmt.Errorf("ducklake: reading the DuckDB version: %w", err)
	}
	platform, err := queryString(ctx, eq, "SELECT platform FROM pragma_platform()")
	if err != nil {
		return fmt.Errorf("ducklake: reading the DuckDB platform: %w", err)
	}
	for _, name := range l.extensions() {
		if err := l.load(exec, name, version, platform); err != nil {
			return err
		}
	}
	if err := l.makeDirs(); err != nil {
		return err
	}
	if err := exec(attachSQL(l.cfg, false)); err != nil {
		return fmt.Errorf("ducklake: attaching the lake (catalog %s): %w", l.catalogName(), err)
	}
	return nil
}

// extensions lists the extensions the lake's catalog needs, ducklake first.
func (l *lake) extensions() []string {
	switch l.cfg.Catalog.Kind {
	case adapter.CatalogSQLite:
		return []string{"ducklake", "sqlite_scanner"}
	case adapter.CatalogPostgres:
		return []string{"ducklake", "postgres_scanner"}
	}
	return []string{"ducklake"}
}

// load loads one extension: from the file found in the lake's extension
// directory (a machine without internet), else as DuckDB does it — LOAD
// from its own extension folder, and when the extension is not there yet,
// INSTALL from DuckDB's repository first.
func (l *lake) load(exec func(string) error, name, version, platform string) error {
	if dir := l.cfg.ExtensionDir; dir != "" {
		path, tried := findExtension(dir, name, version, platform)
		if path == "" {
			return &ExtensionError{Name: name, Version: version, Dir: dir, Tried: tried}
		}
		if err := exec("LOAD " + literal(path)); err != nil {
			return fmt.Errorf("ducklake: loading extension %s from %s: %w", name, path, err)
		}
		return nil
	}
	if exec("LOAD "+name) == nil {
		return nil
	}
	// Not installed yet. DuckDB's download fails at once without a route
	// to its repository and gives up after its http_timeout otherwise.
	if err := exec("INSTALL " + name); err != nil {
		return &ExtensionError{Name: name, Version: version, Err: err}
	}
	if err := exec("LOAD " + name); err != nil {
		return &ExtensionError{Name: name, Version: version, Err: err}
	}
	return nil
}

// findExtension looks for name's extension file in dir, laid out as the
// PyPI packages install it (pip install --target dir), as DuckDB's
// extension directory (version/platform/), or flat.
func findExtension(dir, name, version, platform string) (string, []string) {
	file := name + ".duckdb_extension"
	cands := []string{
		filepath.Join(dir, "duckdb_extension_"+name, "extensions", version, file),
		filepath.Join(dir, version, platform, file),
		filepath.Join(dir, "extensions", version, file),
		filepath.Join(dir, version, file),
		filepath.Join(dir, file),
	}
	for _, c := range cands {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() {
			return c, cands
		}
	}
	return "", cands
}

// ExtensionError reports a DuckDB extension a lake needs that cannot be
// loaded, with how to install it.
type ExtensionError struct {
	Name    string   // e.g. "ducklake"
	Version string   // DuckDB's, e.g. "v1.5.5"
	Dir     string   // the extension directory searched, "" = none configured
	Tried   []string // files looked for in Dir
	Err     error    // DuckDB's error loading from its own directory
}

func (e *ExtensionError) Error() string {
	pkg := "duckdb-extension-" + strings.ReplaceAll(e.Name, "_", "-") + "==" + strings.TrimPrefix(e.Version, "v")
	if e.Dir != "" {
		return fmt.Sprintf("DuckDB extension %s (%s) not found in extension directory %s (looked for %s); "+
			"install it there with: pip install --no-deps --target %s %s",
			e.Name, e.Version, e.Dir, strings.Join(e.Tried, ", "), e.Dir, pkg)
	}
	return fmt.Sprintf("DuckDB extension %s (%s) could not be installed (%v). "+
		"Without internet: pip install --no-deps --target DIR %s on a machine that reaches PyPI, "+
		"copy DIR here and set extension_directory: DIR in the target (or %s=DIR)",
		e.Name, e.Version, e.Err, pkg, adapter.ExtensionDirEnv)
}

func (e *ExtensionError) Unwrap() error { return e.Err }

// makeDirs creates the local folders of the catalog file and data path;
// a URL data path is the user's to create.
func (l *lake) makeDirs() error {
	var dirs []string
	if p := l.cfg.Catalog.Path; p != "" {
		dirs = append(dirs, filepath.Dir(p))
	}
	if d := l.cfg.DataPath; d != "" && !strings.Contains(d, "://") {
		dirs = append(dirs, d)
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("ducklake: creating %s: %w", d, err)
		}
	}
	return nil
}

func (l *lake) catalogName() string {
	if l.cfg.Catalog.Kind == adapter.CatalogPostgres {
		return "postgres"
	}
	return l.cfg.Catalog.Path
}

// AttachSQL is the ATTACH statement that opens lake: what ingot runs, and,
// with readOnly, what a BI tool or notebook runs to read the gold tables
// (with the ducklake extension loaded).
func AttachSQL(l adapter.Lake, readOnly bool) string { return attachSQL(l, readOnly) }

func attachSQL(l adapter.Lake, readOnly bool) string {
	var uri string
	switch l.Catalog.Kind {
	case adapter.CatalogSQLite:
		uri = "ducklake:sqlite:" + l.Catalog.Path
	case adapter.CatalogPostgres:
		uri = "ducklake:postgres:" + l.Catalog.DSN
	default:
		uri = "ducklake:duckdb:" + l.Catalog.Path
	}
	var opts []string
	if l.Catalog.Kind == adapter.CatalogSQLite {
		// WAL lets readers in other processes work during a commit; the
		// busy timeout makes concurrent commits (ingot's threads, another
		// process) wait for each other instead of failing at once.
		// A reader leaves the journal mode to the writer (it is kept in
		// the file).
		if !readOnly {
			opts = append(opts, "META_JOURNAL_MODE 'WAL'")
		}
		opts = append(opts, fmt.Sprintf("META_BUSY_TIMEOUT %d", sqliteBusyTimeout.Milliseconds()))
	}
	if readOnly {
		opts = append(opts, "READ_ONLY")
	} else if l.DataPath != "" {
		opts = append(opts, "DATA_PATH "+literal(l.DataPath))
	}
	q := "ATTACH " + literal(uri) + " AS " + LakeAlias
	if len(opts) > 0 {
		q += " (" + strings.Join(opts, ", ") + ")"
	}
	return q
}

func queryString(ctx context.Context, q driver.QueryerContext, stmt string) (string, error) {
	rows, err := q.QueryContext(ctx, stmt, nil)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	vals := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(vals); err != nil {
		if err == io.EOF {
			return "", fmt.Errorf("%s returned no row", stmt)
		}
		return "", err
	}
	s, ok := vals[0].(string)
	if !ok {
		return "", fmt.Errorf("%s returned %T", stmt, vals[0])
	}
	return s, nil
}

// lockPath is the file a lake's runs lock, next to a file catalog.
func (l *lake) lockPath() string { return l.cfg.Catalog.Path + ".ingot-lock" }

// lakeRunLock names the advisory lock of runs on a lake whose catalog is
// in PostgreSQL; it differs from the PostgreSQL engine's, so a database
// holding both a lake catalog and a target's tables locks them apart.
const lakeRunLock = "ingot lake run lock"

// lock takes the lake's run lock, waiting while wait: an advisory lock in
// a PostgreSQL catalog (the catalog is shared between machines), else a
// lock file next to the catalog file (see lockFile), polled.
func (l *lake) lock(ctx context.Context, wait bool) (func(), error) {
	if l.cfg.Catalog.Kind == adapter.CatalogPostgres {
		return l.lockCatalog(ctx, wait)
	}
	path := l.lockPath()
	for {
		release, err := lockFile(path)
		if err == nil || !errors.Is(err, adapter.ErrLocked) || !wait {
			return release, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// lockCatalog takes the run lock in a PostgreSQL catalog.
func (l *lake) lockCatalog(ctx context.Context, wait bool) (func(), error) {
	var sec adapter.Secrets
	sec.Add(adapter.DSNPasswords(l.cfg.Catalog.DSN)...)
	cfg, err := pgx.ParseConfig(l.cfg.Catalog.DSN)
	if err != nil {
		return nil, fmt.Errorf("ducklake: the postgres catalog's connection settings: %s", sec.String(err.Error()))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	lk, err := pglock.Acquire(ctx, cfg, pglock.Key(lakeRunLock), wait)
	switch {
	case errors.Is(err, adapter.ErrLocked):
		return nil, fmt.Errorf("ducklake: run lock in the postgres catalog: %w", err)
	case err != nil:
		return nil, fmt.Errorf("ducklake: run lock in the postgres catalog: %s", sec.String(err.Error()))
	}
	return lk.Release, nil
}

// KeepsHistory implements adapter.TimeTraveler: a lake does, a DuckDB
// file does not.
func (a *Adapter) KeepsHistory() bool { return a.lake != nil }

// RelationAt implements adapter.TimeTraveler.
func (a *Adapter) RelationAt(r adapter.Relation, at adapter.AsOf) (string, error) {
	if a.lake == nil {
		return "", errors.New("reading a past version (--at-version, --as-of) needs a ducklake target; a DuckDB file keeps no history")
	}
	if at.Version > 0 {
		return fmt.Sprintf("%s AT (VERSION => %d)", relSQL(r), at.Version), nil
	}
	if !at.Timestamp.IsZero() {
		return fmt.Sprintf("%s AT (TIMESTAMP => TIMESTAMPTZ %s)", relSQL(r), literal(at.Timestamp.UTC().Format("2006-01-02 15:04:05.999999Z07:00"))), nil
	}
	return relSQL(r), nil
}

// Snapshots implements adapter.TimeTraveler.
func (a *Adapter) Snapshots(ctx context.Context, n int) ([]adapter.Snapshot, error) {
	if a.lake == nil {
		return nil, errors.New("snapshots need a ducklake target")
	}
	q := fmt.Sprintf("SELECT snapshot_id, snapshot_time, CAST(changes AS VARCHAR) FROM %s.snapshots() ORDER BY snapshot_id DESC LIMIT %d", LakeAlias, n)
	a.log(q)
	rows, err := a.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("listing the lake's snapshots: %w", interrupted(ctx, err))
	}
	defer rows.Close()
	var out []adapter.Snapshot
	for rows.Next() {
		var s adapter.Snapshot
		if err := rows.Scan(&s.ID, &s.Time, &s.Changes); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// details are what ingot debug shows of the lake.
func (l *lake) details() map[string]string {
	d := map[string]string{"catalog": l.cfg.Catalog.Kind + ":" + l.catalogName(), "data_path": l.cfg.DataPath, "attached_as": LakeAlias}
	if l.cfg.ExtensionDir != "" {
		d["extension_directory"] = l.cfg.ExtensionDir
	}
	return d
}
