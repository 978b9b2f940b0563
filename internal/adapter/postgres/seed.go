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
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// LoadSeed reads a seed with DuckDB (in memory, on this machine: the same
// readers and type inference as the DuckDB target), streams the rows to the
// server with COPY in binary format, and swaps the new table in like a
// table model. A file that can not be read leaves the old table in place.
// An incremental seed copies only its new and changed files (see
// loadSeedIncremental).
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
			return a.loadSeedIncremental(ctx, conn, s)
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
		cols, ok := seedfile.AppendedColumns(s,
			func() (adapter.Kind, []adapter.Column, error) { return describe(ctx, conn, s.Relation) },
			func() (map[string]string, error) {
				return loadedFiles(ctx, conn, stateRelation(s.Relation), s.Relation.Name)
			})
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

// copyTo streams the seed's rows into the existing table rel with COPY.
func (r *seedReader) copyTo(ctx context.Context, tx pgx.Tx, rel adapter.Relation) (int64, error) {
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
	if err := forgetSeedFiles(ctx, conn, s.Relation); err != nil {
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

// loadSeedIncremental compares the seed's files with those recorded at its
// last load and, in one transaction, deletes the rows of changed and
// removed files (by _source_file), copies the rows of new and changed files
// into the table, and updates the record. The seed is loaded whole (and
// recorded) on a full refresh, when the table or the record is missing,
// when the table has no _source_file column, and when no file is unchanged.
func (a *Adapter) loadSeedIncremental(ctx context.Context, conn *pgxpool.Conn, s adapter.Seed) (adapter.Result, error) {
	s.SourceFileColumn = true
	state := stateRelation(s.Relation)
	if err := ensureStateTable(ctx, conn, state); err != nil {
		return adapter.Result{}, err
	}
	loaded, err := loadedFiles(ctx, conn, state, s.Relation.Name)
	if err != nil {
		return adapter.Result{}, err
	}
	plan, err := seedfile.Plan(s, loaded)
	if err != nil {
		return adapter.Result{}, err
	}
	kind, cols, err := describe(ctx, conn, s.Relation)
	if err != nil {
		return adapter.Result{}, err
	}
	if seedfile.LoadsWhole(s, kind, cols, loaded, plan) {
		rows, notes, err := a.loadSeedWhole(ctx, conn, s, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "DELETE FROM "+relationSQL(state)+" WHERE seed = $1", s.Relation.Name); err != nil {
				return err
			}
			return recordFiles(ctx, tx, state, s.Relation.Name, plan.Files)
		})
		if err != nil {
			return adapter.Result{}, err
		}
		return adapter.Result{RowsAffected: rows, Message: message(seedfile.FullMessage(rows, len(plan.Files)), notes)}, nil
	}
	if plan.Nothing() {
		// Nothing to load; the hooks still run, as on every load.
		if len(s.PreHooks)+len(s.PostHooks) > 0 {
			if err := a.inModelTx(ctx, conn, false, s.Hooks, func(pgx.Tx) error { return nil }); err != nil {
				return adapter.Result{}, err
			}
		}
		return adapter.Result{RowsAffected: 0, Message: plan.Message(0, 0)}, nil
	}

	var rd *seedReader
	if len(plan.Load) > 0 {
		sub := s
		sub.Files = plan.LoadPaths()
		if rd, err = openSeedReader(ctx, sub); err != nil {
			return adapter.Result{}, err
		}
		defer rd.Close()
		newCols := make([]adapter.Column, len(rd.cols))
		for i, c := range rd.cols {
			newCols[i] = adapter.Column{Name: c.name, Type: c.pgType}
		}
		if err := seedfile.CheckColumns(s.Relation, cols, newCols, normalizeType); err != nil {
			return adapter.Result{}, err
		}
	}
	var inserted, deleted int64
	err = a.inModelTx(ctx, conn, false, s.Hooks, func(tx pgx.Tx) error {
		if del := plan.Delete(); len(del) > 0 {
			tag, err := tx.Exec(ctx, "DELETE FROM "+relationSQL(s.Relation)+" WHERE "+adapter.QuoteIdent(seedfile.SourceFileColumn)+" = ANY($1)", del)
			if err != nil {
				return err
			}
			deleted = tag.RowsAffected()
			if _, err := tx.Exec(ctx, "DELETE FROM "+relationSQL(state)+" WHERE seed = $1 AND file = ANY($2)", s.Relation.Name, del); err != nil {
				return err
			}
		}
		if rd == nil {
			return nil
		}
		n, err := rd.copyTo(ctx, tx, s.Relation)
		if err != nil {
			return err
		}
		inserted = n
		return recordFiles(ctx, tx, state, s.Relation.Name, plan.Load)
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: inserted, Message: plan.Message(inserted, deleted)}, nil
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

func stateRelation(seed adapter.Relation) adapter.Relation {
	return adapter.Relation{Schema: seed.Schema, Name: seedfile.StateTable}
}

// ensureStateTable creates the record of loaded files on demand.
func ensureStateTable(ctx context.Context, q querier, state adapter.Relation) error {
	c := seedfile.StateColumns
	_, err := q.Exec(ctx, fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s text NOT NULL, %s text NOT NULL, %s text NOT NULL)",
		relationSQL(state), c[0], c[1], c[2]))
	// Two sessions creating it at once race on the catalog.
	if err != nil && !isSQLState(err, "42P07", "42710", "23505") {
		return fmt.Errorf("creating %s: %w", state, err)
	}
	return nil
}

// loadedFiles reads the recorded fingerprints of seed's files, keyed by
// relative path.
func loadedFiles(ctx context.Context, q querier, state adapter.Relation, seed string) (map[string]string, error) {
	rows, err := q.Query(ctx, "SELECT file, fingerprint FROM "+relationSQL(state)+" WHERE seed = $1", seed)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", state, err)
	}
	out := map[string]string{}
	var file, fp string
	_, err = pgx.ForEachRow(rows, []any{&file, &fp}, func() error {
		out[file] = fp
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", state, err)
	}
	return out, nil
}

func recordFiles(ctx context.Context, tx pgx.Tx, state adapter.Relation, seed string, files []seedfile.File) error {
	if len(files) == 0 {
		return nil
	}
	rels := make([]string, len(files))
	fps := make([]string, len(files))
	for i, f := range files {
		rels[i], fps[i] = f.Rel, f.Fingerprint
	}
	_, err := tx.Exec(ctx, "INSERT INTO "+relationSQL(state)+" SELECT $1::text, f, fp FROM unnest($2::text[], $3::text[]) AS u(f, fp)", seed, rels, fps)
	return err
}

// forgetSeedFiles drops what an incremental load recorded about seed r, if
// anything.
func forgetSeedFiles(ctx context.Context, q querier, r adapter.Relation) error {
	state := stateRelation(r)
	ri, err := lookup(ctx, q, state)
	if err != nil || ri.relkind != "r" {
		return err
	}
	_, err = q.Exec(ctx, "DELETE FROM "+relationSQL(state)+" WHERE seed = $1", r.Name)
	return err
}

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
