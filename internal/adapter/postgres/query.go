package postgres

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// Query runs a statement and reads at most limit rows (all when limit <= 0).
// Values are normalized as described in the adapter package: numeric as
// float64, timestamps in UTC, json decoded, other types as their text.
func (a *Adapter) Query(ctx context.Context, sql string, limit int) (*adapter.Rows, error) {
	out, err := a.query(ctx, sql, limit)
	if err != nil {
		return nil, a.redact(withDetail(err))
	}
	return out, nil
}

func (a *Adapter) query(ctx context.Context, sql string, limit int) (*adapter.Rows, error) {
	conn, err := a.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()

	// Describe first, then ask for binary results of the types normalized
	// from Go values (independent of DateStyle and the like) and for
	// PostgreSQL's own text of all others (intervals, ranges, records…).
	// These calls bypass pgx's tracer, so report the statement here.
	if a.target.OnStatement != nil {
		a.target.OnStatement(sql)
	}
	pc := conn.Conn().PgConn()
	sd, err := pc.Prepare(ctx, "", sql, nil)
	if err != nil {
		return nil, err
	}
	typeMap := conn.Conn().TypeMap()
	formats := make([]int16, len(sd.Fields))
	for i, f := range sd.Fields {
		if isNative(f.DataTypeOID) {
			formats[i] = pgtype.BinaryFormatCode
		}
	}
	rr := pc.ExecPrepared(ctx, "", nil, nil, formats)
	out := &adapter.Rows{Rows: [][]any{}}
	truncated := false
	for rr.NextRow() {
		if limit > 0 && len(out.Rows) == limit {
			truncated = true
			break
		}
		raw := rr.Values()
		row := make([]any, len(raw))
		for i, b := range raw {
			if row[i], err = decodeValue(typeMap, sd.Fields[i].DataTypeOID, formats[i], b); err != nil {
				_, _ = rr.Close()
				return nil, fmt.Errorf("column %s: %w", sd.Fields[i].Name, err)
			}
		}
		out.Rows = append(out.Rows, row)
	}
	// Name the column types on this connection: asking the pool for a
	// second one while holding this one could deadlock a full pool.
	var q querier = conn
	if truncated {
		// Reading the rest only to discard it could take long: drop the
		// connection instead; the server stops when it next sends a row.
		_ = conn.Hijack().Close(context.WithoutCancel(ctx))
		q = a.pool
	} else if _, err := rr.Close(); err != nil {
		return nil, err
	}
	out.Columns, err = a.columnTypes(ctx, q, sd.Fields)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// decodeValue turns one raw result value into the adapter's value set.
func decodeValue(m *pgtype.Map, oid uint32, format int16, raw []byte) (any, error) {
	if raw == nil {
		return nil, nil
	}
	if format == pgtype.TextFormatCode {
		return string(raw), nil
	}
	t, ok := m.TypeForOID(oid)
	if !ok {
		return string(raw), nil
	}
	v, err := t.Codec.DecodeValue(m, oid, format, raw)
	if err != nil {
		return nil, err
	}
	if b, ok := v.([]byte); ok {
		return append([]byte(nil), b...), nil
	}
	return normalize(v), nil
}

// typeKey identifies a column type for format_type.
type typeKey struct {
	oid uint32
	mod int32
}

// columnTypes names result column types as PostgreSQL spells them
// (format_type), remembering them for the adapter's lifetime.
func (a *Adapter) columnTypes(ctx context.Context, q querier, fields []pgconn.FieldDescription) ([]adapter.Column, error) {
	cols := make([]adapter.Column, len(fields))
	var missing []int
	for i, f := range fields {
		cols[i].Name = f.Name
		if t, ok := a.types.Load(typeKey{f.DataTypeOID, f.TypeModifier}); ok {
			cols[i].Type = t.(string)
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return cols, nil
	}
	oids := make([]uint32, len(missing))
	mods := make([]int32, len(missing))
	for j, i := range missing {
		oids[j], mods[j] = fields[i].DataTypeOID, fields[i].TypeModifier
	}
	rows, err := q.Query(ctx, `select pg_catalog.format_type(o, nullif(m, -1))
		from unnest($1::oid[], $2::int4[]) with ordinality as u(o, m, i) order by i`, oids, mods)
	if err != nil {
		return nil, fmt.Errorf("naming column types: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("naming column types: %w", err)
	}
	if len(names) != len(missing) {
		return nil, errors.New("naming column types: unexpected result")
	}
	for j, i := range missing {
		cols[i].Type = names[j]
		a.types.Store(typeKey{oids[j], mods[j]}, names[j])
	}
	return cols, nil
}

// isNative reports the types read in binary and normalized from their Go
// values; all other types are read as PostgreSQL's text.
func isNative(oid uint32) bool {
	switch oid {
	case pgtype.BoolOID, pgtype.ByteaOID, pgtype.QCharOID, pgtype.NameOID,
		pgtype.Int8OID, pgtype.Int2OID, pgtype.Int4OID, pgtype.TextOID,
		pgtype.OIDOID, pgtype.JSONOID, pgtype.Float4OID, pgtype.Float8OID,
		pgtype.BPCharOID, pgtype.VarcharOID, pgtype.DateOID, pgtype.TimestampOID,
		pgtype.TimestamptzOID, pgtype.NumericOID, pgtype.UUIDOID, pgtype.JSONBOID,
		pgtype.BoolArrayOID, pgtype.ByteaArrayOID, pgtype.Int8ArrayOID,
		pgtype.Int2ArrayOID, pgtype.Int4ArrayOID, pgtype.TextArrayOID,
		pgtype.JSONArrayOID, pgtype.Float4ArrayOID, pgtype.Float8ArrayOID,
		pgtype.BPCharArrayOID, pgtype.VarcharArrayOID, pgtype.DateArrayOID,
		pgtype.TimestampArrayOID, pgtype.TimestamptzArrayOID, pgtype.NumericArrayOID,
		pgtype.UUIDArrayOID, pgtype.JSONBArrayOID:
		return true
	}
	return false
}

// normalize maps a Go value decoded by pgx to nil, bool, int64, float64,
// string, time.Time (UTC), []byte, []any or map[string]any.
func normalize(v any) any {
	if n, ok := adapter.Number(v); ok {
		return n
	}
	switch x := v.(type) {
	case nil, bool, int64, float64, string, []byte:
		return x
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return nil
		}
		return f.Float64
	case time.Time:
		return x.UTC()
	case pgtype.InfinityModifier:
		return x.String()
	case [16]byte:
		return pgtype.UUID{Bytes: x, Valid: true}.String()
	case netip.Prefix:
		if x.IsSingleIP() {
			return x.Addr().String()
		}
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case driver.Valuer:
		dv, err := x.Value()
		if err != nil {
			return fmt.Sprint(x)
		}
		if dv == nil {
			return nil
		}
		return normalize(dv)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(v)
}
