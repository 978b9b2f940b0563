package duckdb

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"time"

	duckdbdriver "github.com/duckdb/duckdb-go/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// Query implements adapter.Adapter. With a limit, a query is wrapped so
// DuckDB stops after limit rows instead of computing the whole result.
func (a *Adapter) Query(ctx context.Context, q string, limit int) (*adapter.Rows, error) {
	stmt := q
	if limit > 0 && isQuery(q) {
		stmt = fmt.Sprintf("SELECT * FROM (\n%s\n) LIMIT %d", trimSQL(q), limit)
	}
	a.log(stmt)
	rows, err := a.db.QueryContext(ctx, stmt)
	if err != nil && stmt != q && ctx.Err() == nil && strings.Contains(err.Error(), "Parser Error") {
		// Not a plain query after all (e.g. WITH ... INSERT): run it as written.
		a.log(q)
		rows, err = a.db.QueryContext(ctx, q)
	}
	if err != nil {
		return nil, interrupted(ctx, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	out := &adapter.Rows{Columns: make([]adapter.Column, len(types))}
	for i, t := range types {
		out.Columns[i] = adapter.Column{Name: t.Name(), Type: t.DatabaseTypeName()}
	}
	for rows.Next() {
		if limit > 0 && len(out.Rows) >= limit {
			break
		}
		vals := make([]any, len(types))
		ptrs := make([]any, len(types))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v, out.Columns[i].Type)
		}
		out.Rows = append(out.Rows, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, interrupted(ctx, err)
	}
	return out, nil
}

// normalize maps driver values to the shared result types: nil, bool,
// int64, float64, string, time.Time (UTC), []byte, []any, map[string]any.
// dbType is the column's DuckDB type; "" inside lists and structs.
func normalize(v any, dbType string) any {
	if n, ok := adapter.Number(v); ok {
		return n
	}
	switch x := v.(type) {
	case nil, bool, string, int64, float64:
		return x
	case *big.Int:
		if x == nil {
			return nil
		}
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case duckdbdriver.Decimal:
		return x.Float64()
	case time.Time:
		switch strings.ToUpper(dbType) {
		case "TIME", "TIMETZ", "TIME WITH TIME ZONE":
			return x.Format("15:04:05.999999")
		}
		return x.UTC()
	case duckdbdriver.Interval:
		return intervalString(x)
	case []byte:
		if strings.EqualFold(dbType, "UUID") && len(x) == 16 {
			var u duckdbdriver.UUID
			copy(u[:], x)
			return u.String()
		}
		return x
	case duckdbdriver.UUID:
		return x.String()
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e, "")
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e, "")
		}
		return out
	case duckdbdriver.OrderedMap:
		out := make(map[string]any, x.Len())
		vals := x.Values()
		for i, k := range x.Keys() {
			out[fmt.Sprint(normalize(k, ""))] = normalize(vals[i], "")
		}
		return out
	case duckdbdriver.Union:
		return normalize(x.Value, "")
	}
	return fmt.Sprint(v)
}

// intervalString renders an interval the way DuckDB casts it to text.
func intervalString(iv duckdbdriver.Interval) string {
	var parts []string
	unit := func(n int64, name string) {
		if n == 0 {
			return
		}
		s := name
		if n != 1 && n != -1 {
			s += "s"
		}
		parts = append(parts, fmt.Sprintf("%d %s", n, s))
	}
	unit(int64(iv.Months/12), "year")
	unit(int64(iv.Months%12), "month")
	unit(int64(iv.Days), "day")
	if iv.Micros != 0 || len(parts) == 0 {
		us := iv.Micros
		sign := ""
		if us < 0 {
			sign, us = "-", -us
		}
		h, m, s, frac := us/3_600_000_000, us/60_000_000%60, us/1_000_000%60, us%1_000_000
		t := fmt.Sprintf("%s%02d:%02d:%02d", sign, h, m, s)
		if frac != 0 {
			t += strings.TrimRight(fmt.Sprintf(".%06d", frac), "0")
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}
