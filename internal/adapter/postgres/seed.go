package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/seedstate"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// LoadSeed reads a seed with DuckDB (in memory, on this machine: the same
// readers and type inference as the DuckDB target), streams the rows to the
// server with COPY in binary format, and swaps the new table in like a
// table model. A file that can not be read leaves the old table in place.
// An incremental seed copies only its new and changed files (see
// seedstate.Book.Load).
func (a *Adapter) LoadSeed(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	res, err := a.loadSeedWithHooks(ctx, s)
	if err != nil {
		return adapter.Result{}, a.redact(fmt.Errorf("seed %s: %w", s.Relation, withDetail(err)))
	}
	return res, nil
}

// loadSeedWithHooks loads s on one connection, its hooks around and
// inside the load's transaction as a model's.
func (a *Adapter) loadSeedWithHooks(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	if err := a.EnsureSchema(ctx, s.Relation.Schema); err != nil {
		return adapter.Result{}, err
	}
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer conn.Release()
	return a.outside.Around(ctx, s.Hooks, "the table was loaded", execOn(ctx, conn), func() (adapter.Result, error) {
		if s.Incremental {
			return seeds.Load(ctx, &seedSession{a: a, conn: conn}, s)
		}
		return a.loadSeed(ctx, conn, s)
	})
}

// SeedColumns implements adapter.Adapter. An incremental seed whose next
// load appends to its table keeps the table's columns; otherwise the
// seed's files are described by the in-memory DuckDB that would read them
// for COPY, and its types mapped as LoadSeed maps them; nothing is loaded.
func (a *Adapter) SeedColumns(ctx context.Context, s adapter.Seed) ([]adapter.Column, error) {
	if s.Incremental {
		s.SourceFileColumn = true // as LoadSeed
		conn, err := a.pool.Acquire(ctx)
		if err != nil {
			return nil, err
		}
		cols, ok := seeds.Columns(ctx, &seedSession{a: a, conn: conn}, s)
		conn.Release()
		if ok {
			return cols, nil
		}
	}
	r, err := openSeedReader(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", s.Relation, err)
	}
	defer r.Close()
	cols := make([]adapter.Column, len(r.cols))
	for i, c := range r.cols {
		cols[i] = adapter.Column{Name: c.name, Type: normalizeType(c.pgType)}
	}
	return cols, nil
}

// seedReader is a seed's DuckDB expression, opened in a private in-memory
// DuckDB, with the columns it returns.
type seedReader struct {
	s       adapter.Seed
	expr    string
	cleanup func()
	db      *sql.DB
	duck    *sql.Conn
	cols    []seedColumn
	duckCol []adapter.Column // as DuckDB describes them
}

func openSeedReader(ctx context.Context, s adapter.Seed) (*seedReader, error) {
	r := &seedReader{s: s, cleanup: func() {}}
	var err error
	if r.db, err = sql.Open("duckdb", ""); err != nil {
		r.Close()
		return nil, err
	}
	if r.duck, err = r.db.Conn(ctx); err != nil {
		r.Close()
		return nil, err
	}
	if r.expr, r.cleanup, err = seedfile.Source(ctx, r.duck, s); err != nil {
		r.Close()
		return nil, err
	}
	if r.duckCol, err = seedfile.Describe(ctx, r.duck, r.expr); err != nil {
		err = seedfile.Error(ctx, s, err)
		r.Close()
		return nil, err
	}
	r.cols = make([]seedColumn, len(r.duckCol))
	for i, c := range r.duckCol {
		r.cols[i] = mapDuckType(c.Name, c.Type)
	}
	return r, nil
}

func (r *seedReader) Close() {
	if r.duck != nil {
		_ = r.duck.Close()
	}
	if r.db != nil {
		_ = r.db.Close()
	}
	r.cleanup()
}

// copier is what COPY runs on: a transaction or a connection.
type copier interface {
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// copyTo streams the seed's rows into the existing table rel with COPY.
func (r *seedReader) copyTo(ctx context.Context, tx copier, rel adapter.Relation) (int64, error) {
	names := make([]string, len(r.cols))
	selects := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = c.name
		selects[i] = c.selectExpr
	}
	src, err := r.duck.QueryContext(ctx, "SELECT "+strings.Join(selects, ", ")+" FROM "+r.expr)
	if err != nil {
		return 0, seedfile.Error(ctx, r.s, err)
	}
	defer src.Close()
	rs := &rowSource{rows: src, cols: r.cols}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{rel.Schema, rel.Name}, names, rs)
	if rs.readErr != nil {
		return 0, seedfile.Error(ctx, r.s, rs.readErr)
	}
	return n, err
}

func (a *Adapter) loadSeed(ctx context.Context, conn *pgxpool.Conn, s adapter.Seed) (adapter.Result, error) {
	// Forgetting first is safe whatever happens next: with no record, an
	// incremental load (should the seed become one again) loads it whole.
	if err := seeds.Forget(ctx, &seedSession{a: a, conn: conn}, s.Relation); err != nil {
		return adapter.Result{}, err
	}
	rows, notes, err := a.loadSeedWhole(ctx, conn, s, nil)
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: rows, Message: message(fmt.Sprintf("INSERT %d", rows), notes)}, nil
}

// loadSeedWhole builds the seed's table under a temporary name and swaps it
// in; then, when set, runs in the same transaction.
func (a *Adapter) loadSeedWhole(ctx context.Context, conn *pgxpool.Conn, s adapter.Seed, then func(pgx.Tx) error) (int64, []string, error) {
	rd, err := openSeedReader(ctx, s)
	if err != nil {
		return 0, nil, err
	}
	defer rd.Close()
	tmp := adapter.Relation{Schema: s.Relation.Schema, Name: tmpName(s.Relation.Name)}
	var rows int64
	var notes []string
	err = a.inModelTx(ctx, conn, false, s.Hooks, func(tx pgx.Tx) error {
		if err := dropIfExists(ctx, tx, tmp, ""); err != nil {
			return err
		}
		defs := make([]string, len(rd.cols))
		for i, c := range rd.cols {
			defs[i] = adapter.QuoteIdent(c.name) + " " + c.pgType
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE "+relationSQL(tmp)+" ("+strings.Join(defs, ", ")+")"); err != nil {
			return err
		}
		var err error
		if rows, err = rd.copyTo(ctx, tx, tmp); err != nil {
			return err
		}
		if notes, err = swap(ctx, tx, s.Relation, tmp.Name); err != nil {
			return err
		}
		if then != nil {
			return then(tx)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return rows, notes, nil
}

// normalizeType spells the types mapDuckType picks as format_type reports
// them, so that a file's columns compare with the table's.
func normalizeType(t string) string {
	switch t = strings.ToLower(strings.TrimSpace(t)); t {
	case "timestamp":
		return "timestamp without time zone"
	case "timestamptz":
		return "timestamp with time zone"
	case "time":
		return "time without time zone"
	}
	return t
}

// seeds is the incremental seeds' bookkeeping on PostgreSQL.
var seeds = seedstate.Book{
	Dialect: dialect, TextType: "text", NormType: normalizeType,
	// Two sessions creating the record table at once race on the catalog.
	Raced: func(err error) bool { return isSQLState(err, "42P07", "42710", "23505") },
}

// seedSession gives seedstate a load's connection; while a transaction
// is open, statements go to it.
type seedSession struct {
	a    *Adapter
	conn *pgxpool.Conn
	tx   pgx.Tx
}

func (s *seedSession) q() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.conn
}

// in runs fn with tx as the session's transaction.
func (s *seedSession) in(tx pgx.Tx, fn func() error) error {
	s.tx = tx
	defer func() { s.tx = nil }()
	return fn()
}

func (s *seedSession) Exec(ctx context.Context, stmt string) (int64, error) {
	tag, err := s.q().Exec(ctx, stmt)
	return tag.RowsAffected(), err
}

func (s *seedSession) Pairs(ctx context.Context, query string) ([][2]string, error) {
	rows, err := s.q().Query(ctx, query)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) ([2]string, error) {
		var p [2]string
		return p, row.Scan(&p[0], &p[1])
	})
}

func (s *seedSession) Describe(ctx context.Context, r adapter.Relation) (adapter.Kind, []adapter.Column, error) {
	return describe(ctx, s.q(), r)
}

func (s *seedSession) Tx(ctx context.Context, h adapter.Hooks, fn func() error) error {
	return s.a.inModelTx(ctx, s.conn, false, h, func(tx pgx.Tx) error { return s.in(tx, fn) })
}

func (s *seedSession) LoadWhole(ctx context.Context, seed adapter.Seed, then func() error) (int64, []string, error) {
	return s.a.loadSeedWhole(ctx, s.conn, seed, func(tx pgx.Tx) error { return s.in(tx, then) })
}

func (s *seedSession) Files(ctx context.Context, sub adapter.Seed) (seedstate.Files, error) {
	rd, err := openSeedReader(ctx, sub)
	if err != nil {
		return nil, err
	}
	return &seedFiles{s: s, rd: rd}, nil
}

// seedFiles are files read by an in-memory DuckDB and copied to the
// server.
type seedFiles struct {
	s  *seedSession
	rd *seedReader
}

func (f *seedFiles) Columns() []adapter.Column {
	cols := make([]adapter.Column, len(f.rd.cols))
	for i, c := range f.rd.cols {
		cols[i] = adapter.Column{Name: c.name, Type: c.pgType}
	}
	return cols
}

func (f *seedFiles) AppendTo(ctx context.Context, r adapter.Relation) (int64, error) {
	if f.s.tx != nil {
		return f.rd.copyTo(ctx, f.s.tx, r)
	}
	return f.rd.copyTo(ctx, f.s.conn, r)
}

func (f *seedFiles) Close() { f.rd.Close() }

// seedColumn is how one DuckDB column reaches PostgreSQL.
type seedColumn struct {
	name       string
	pgType     string
	selectExpr string                 // DuckDB expression producing the value
	convert    func(any) (any, error) // Go value from DuckDB → value pgx encodes
}

var reDecimal = regexp.MustCompile(`^DECIMAL\((\d+),\s*(\d+)\)$`)

// mapDuckType picks the PostgreSQL type of a DuckDB column and how to
// carry its values. Nested types (lists, structs, maps, unions) become
// jsonb; types without a PostgreSQL counterpart become text.
func mapDuckType(name, duckType string) seedColumn {
	q := adapter.QuoteIdent(name)
	c := seedColumn{name: name, selectExpr: q, convert: same}
	t := strings.ToUpper(strings.TrimSpace(duckType))
	cast := func(to string) string { return "CAST(" + q + " AS " + to + ")" }
	switch {
	case t == "BOOLEAN":
		c.pgType = "boolean"
	case t == "TINYINT" || t == "SMALLINT" || t == "UTINYINT":
		c.pgType, c.selectExpr = "smallint", cast("SMALLINT")
	case t == "INTEGER" || t == "USMALLINT":
		c.pgType, c.selectExpr = "integer", cast("INTEGER")
	case t == "BIGINT" || t == "UINTEGER":
		c.pgType, c.selectExpr = "bigint", cast("BIGINT")
	case t == "UBIGINT" || t == "HUGEINT" || t == "UHUGEINT" || t == "BIGNUM" || t == "VARINT":
		c.pgType, c.selectExpr, c.convert = "numeric", cast("VARCHAR"), numericFromString
	case t == "FLOAT":
		c.pgType = "real"
	case t == "DOUBLE":
		c.pgType = "double precision"
	case reDecimal.MatchString(t):
		m := reDecimal.FindStringSubmatch(t)
		c.pgType, c.convert = "numeric("+m[1]+","+m[2]+")", numericFromDecimal
	case t == "VARCHAR" || strings.HasPrefix(t, "VARCHAR("):
		c.pgType = "text"
	case t == "BLOB":
		c.pgType = "bytea"
	case t == "DATE":
		c.pgType = "date"
	case t == "TIME":
		c.pgType, c.convert = "time", timeOfDay
	case t == "TIMESTAMP" || t == "TIMESTAMP_S" || t == "TIMESTAMP_MS" || t == "TIMESTAMP_NS" || t == "DATETIME":
		c.pgType = "timestamp"
	case t == "TIMESTAMP WITH TIME ZONE" || t == "TIMESTAMPTZ":
		c.pgType = "timestamptz"
	case t == "INTERVAL":
		c.pgType, c.convert = "interval", intervalFromDuck
	case t == "UUID":
		c.pgType, c.selectExpr, c.convert = "uuid", cast("VARCHAR"), uuidFromString
	case t == "JSON":
		c.pgType, c.selectExpr = "jsonb", cast("VARCHAR")
	case strings.HasSuffix(t, "]") || strings.HasPrefix(t, "STRUCT(") || strings.HasPrefix(t, "MAP(") || strings.HasPrefix(t, "UNION("):
		c.pgType, c.selectExpr = "jsonb", "CAST(to_json("+q+") AS VARCHAR)"
	default:
		// ENUM, BIT, TIME WITH TIME ZONE and whatever DuckDB adds later.
		c.pgType, c.selectExpr = "text", cast("VARCHAR")
	}
	return c
}

func same(v any) (any, error) { return v, nil }

func numericFromString(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var n pgtype.Numeric
	if err := n.Scan(v); err != nil {
		return nil, err
	}
	return n, nil
}

func numericFromDecimal(v any) (any, error) {
	switch d := v.(type) {
	case nil:
		return nil, nil
	case duckdb.Decimal:
		return pgtype.Numeric{Int: d.Value, Exp: -int32(d.Scale), Valid: true}, nil
	}
	return v, nil // float64 and friends encode as numeric as they are
}

func timeOfDay(v any) (any, error) {
	t, ok := v.(time.Time)
	if !ok {
		return v, nil
	}
	us := int64(t.Hour())*3600e6 + int64(t.Minute())*60e6 + int64(t.Second())*1e6 + int64(t.Nanosecond()/1000)
	return pgtype.Time{Microseconds: us, Valid: true}, nil
}

func intervalFromDuck(v any) (any, error) {
	i, ok := v.(duckdb.Interval)
	if !ok {
		return v, nil
	}
	return pgtype.Interval{Months: i.Months, Days: i.Days, Microseconds: i.Micros, Valid: true}, nil
}

func uuidFromString(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	var u pgtype.UUID
	if err := u.Scan(v); err != nil {
		return nil, err
	}
	return u, nil
}

// rowSource streams DuckDB rows into pgx's CopyFrom, one row in memory at
// a time. An error reading the seed is kept apart from errors of the copy
// so that it can be reported with the seed's file and line.
type rowSource struct {
	rows    *sql.Rows
	cols    []seedColumn
	vals    []any
	ptrs    []any
	readErr error
}

func (r *rowSource) Next() bool {
	if r.rows.Next() {
		return true
	}
	r.readErr = r.rows.Err()
	return false
}

func (r *rowSource) Values() ([]any, error) {
	if r.vals == nil {
		r.vals = make([]any, len(r.cols))
		r.ptrs = make([]any, len(r.cols))
		for i := range r.vals {
			r.ptrs[i] = &r.vals[i]
		}
	}
	if err := r.rows.Scan(r.ptrs...); err != nil {
		r.readErr = err
		return nil, err
	}
	out := make([]any, len(r.cols))
	for i, c := range r.cols {
		v, err := c.convert(r.vals[i])
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.name, err)
		}
		out[i] = v
	}
	return out, nil
}

func (r *rowSource) Err() error { return r.readErr }
