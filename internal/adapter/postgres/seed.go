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

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/seedfile"
)

// LoadSeed reads a seed with DuckDB (in memory, on this machine: the same
// readers and type inference as the DuckDB target), streams the rows to the
// server with COPY in binary format, and swaps the new table in like a
// table model. A file that can not be read leaves the old table in place.
func (a *Adapter) LoadSeed(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	res, err := a.loadSeed(ctx, s)
	if err != nil {
		return adapter.Result{}, a.redact(fmt.Errorf("seed %s: %w", s.Relation, withDetail(err)))
	}
	return res, nil
}

func (a *Adapter) loadSeed(ctx context.Context, s adapter.Seed) (adapter.Result, error) {
	expr, cleanup, err := seedfile.Source(ctx, s)
	defer cleanup()
	if err != nil {
		return adapter.Result{}, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return adapter.Result{}, err
	}
	defer db.Close()
	duck, err := db.Conn(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer duck.Close()

	described, err := seedfile.Describe(ctx, duck, expr)
	if err != nil {
		return adapter.Result{}, seedfile.Error(ctx, s, err)
	}
	cols := make([]seedColumn, len(described))
	for i, c := range described {
		cols[i] = mapDuckType(c.Name, c.Type)
	}

	if err := a.EnsureSchema(ctx, s.Relation.Schema); err != nil {
		return adapter.Result{}, err
	}
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return adapter.Result{}, err
	}
	defer conn.Release()

	tmp := adapter.Relation{Schema: s.Relation.Schema, Name: tmpName(s.Relation.Name)}
	var rows int64
	var notes []string
	err = a.inTx(ctx, conn, false, func(tx pgx.Tx) error {
		if err := dropIfExists(ctx, tx, tmp, ""); err != nil {
			return err
		}
		defs := make([]string, len(cols))
		names := make([]string, len(cols))
		selects := make([]string, len(cols))
		for i, c := range cols {
			defs[i] = adapter.QuoteIdent(c.name) + " " + c.pgType
			names[i] = c.name
			selects[i] = c.selectExpr
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE "+relationSQL(tmp)+" ("+strings.Join(defs, ", ")+")"); err != nil {
			return err
		}
		src, err := duck.QueryContext(ctx, "SELECT "+strings.Join(selects, ", ")+" FROM "+expr)
		if err != nil {
			return seedfile.Error(ctx, s, err)
		}
		defer src.Close()
		rs := &rowSource{rows: src, cols: cols}
		rows, err = tx.CopyFrom(ctx, pgx.Identifier{tmp.Schema, tmp.Name}, names, rs)
		if rs.readErr != nil {
			return seedfile.Error(ctx, s, rs.readErr)
		}
		if err != nil {
			return err
		}
		notes, err = swap(ctx, tx, s.Relation, tmp.Name)
		return err
	})
	if err != nil {
		return adapter.Result{}, err
	}
	return adapter.Result{RowsAffected: rows, Message: message(fmt.Sprintf("INSERT %d", rows), notes)}, nil
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
