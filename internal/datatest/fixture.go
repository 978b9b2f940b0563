package datatest

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// Fixture formats of unit-test rows.
const (
	formatDict = "dict"
	formatCSV  = "csv"
	formatSQL  = "sql"
)

// fixture is a set of rows given to or expected from a unit test.
type fixture struct {
	Format  string
	Columns []string // dict: every key of every row, sorted; csv: the header
	Rows    [][]any  // aligned with Columns; csv cells are strings or nil
	SQL     string   // format sql
}

// parseFixture reads rows as written in yml: a list of mappings (dict), CSV
// text with a header line (csv; an empty cell or null is NULL), or a SELECT
// (sql).
func parseFixture(format string, rows any) (fixture, error) {
	f := fixture{Format: strings.ToLower(strings.TrimSpace(format))}
	if f.Format == "" {
		f.Format = formatDict
	}
	switch f.Format {
	case formatDict:
		var list []any
		switch x := rows.(type) {
		case nil:
		case []any:
			list = x
		case string:
			return f, fmt.Errorf("rows is text: add format: csv (or format: sql), or write rows as a list of mappings")
		default:
			return f, fmt.Errorf("rows must be a list of mappings like [{id: 1, name: a}]")
		}
		seen := map[string]bool{}
		maps := make([]map[string]any, len(list))
		for i, r := range list {
			m, ok := r.(map[string]any)
			if !ok && r != nil {
				return f, fmt.Errorf("row %d must be a mapping of column to value, not %v", i+1, r)
			}
			maps[i] = m
			for k := range m {
				if !seen[k] {
					seen[k] = true
					f.Columns = append(f.Columns, k)
				}
			}
		}
		sort.Strings(f.Columns)
		for _, m := range maps {
			row := make([]any, len(f.Columns))
			for j, c := range f.Columns {
				row[j] = m[c]
			}
			f.Rows = append(f.Rows, row)
		}
	case formatCSV:
		text, ok := rows.(string)
		if !ok {
			return f, fmt.Errorf("format csv needs rows as text, e.g. rows: |\n  id,name\n  1,a")
		}
		r := csv.NewReader(strings.NewReader(strings.TrimSpace(text)))
		r.TrimLeadingSpace = true
		recs, err := r.ReadAll()
		if err != nil {
			return f, fmt.Errorf("csv rows: %w", err)
		}
		if len(recs) == 0 {
			return f, fmt.Errorf("csv rows need a header line")
		}
		for _, h := range recs[0] {
			f.Columns = append(f.Columns, strings.TrimSpace(h))
		}
		for _, rec := range recs[1:] {
			row := make([]any, len(f.Columns))
			for j, cell := range rec {
				if j >= len(row) {
					break
				}
				if s := strings.TrimSpace(cell); s != "" && !strings.EqualFold(s, "null") {
					row[j] = s
				}
			}
			f.Rows = append(f.Rows, row)
		}
	case formatSQL:
		text, ok := rows.(string)
		if !ok || strings.TrimSpace(text) == "" {
			return f, fmt.Errorf("format sql needs rows as a SELECT statement")
		}
		f.SQL = trimSQL(text)
	default:
		return f, fmt.Errorf("unknown format %q (use dict, csv or sql)", format)
	}
	return f, nil
}

// relationColumns are the columns of a unit-test input as far as known.
type relationColumns struct {
	Cols []adapter.Column // Type "" when unknown
	// Exact is true when Cols are all of the relation's columns (found by
	// compiling it), false when they come from yml properties only.
	Exact bool
}

func (rc relationColumns) names() []string {
	out := make([]string, len(rc.Cols))
	for i, c := range rc.Cols {
		out[i] = c.Name
	}
	return out
}

// emptySQL selects no rows with the given columns, named in dialect d.
func emptySQL(cols []adapter.Column, d adapter.Dialect) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprintf("cast(null as %s) as %s", typeOr(c.Type, "varchar"), d.Quote(c.Name))
	}
	return "select " + strings.Join(parts, ", ") + " where 1 = 0"
}

func typeOr(t, def string) string {
	if strings.TrimSpace(t) == "" {
		return def
	}
	return t
}

// rowsSQL builds a SELECT of a dict or csv fixture: every known column of
// the input (NULL when not given) cast to its type, given columns of
// unknown type typed from their values. sqlCols are the columns of a sql
// fixture, to line them up the same way.
func rowsSQL(f fixture, known *relationColumns, d adapter.Dialect, sqlCols []adapter.Column) (string, error) {
	type outCol struct {
		name, typ string
		src       int // index into the fixture's columns, -1: not given
	}
	given := f.Columns
	if f.Format == formatSQL {
		given = make([]string, len(sqlCols))
		for i, c := range sqlCols {
			given[i] = c.Name
		}
	}
	var cols []outCol
	used := make([]bool, len(given))
	if known != nil {
		for _, c := range known.Cols {
			src := -1
			for j, g := range given {
				if !used[j] && strings.EqualFold(g, c.Name) {
					src, used[j] = j, true
					break
				}
			}
			cols = append(cols, outCol{name: c.Name, typ: c.Type, src: src})
		}
	}
	for j, g := range given {
		if used[j] {
			continue
		}
		if known != nil && known.Exact {
			msg := fmt.Sprintf("no column %q", g)
			if s := textutil.Suggest(g, known.names()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			} else {
				msg += fmt.Sprintf(" (its columns: %s)", strings.Join(known.names(), ", "))
			}
			return "", fmt.Errorf("%s", msg)
		}
		cols = append(cols, outCol{name: g, src: j})
	}
	if len(cols) == 0 {
		return "", fmt.Errorf("no columns: give at least one column in its rows")
	}
	for i := range cols {
		if cols[i].typ == "" && cols[i].src >= 0 && f.Format != formatSQL {
			vals := make([]any, len(f.Rows))
			for r, row := range f.Rows {
				vals[r] = row[cols[i].src]
			}
			cols[i].typ = inferType(vals, f.Format == formatCSV, d.FloatType)
		}
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		switch {
		case c.src < 0:
			sel[i] = fmt.Sprintf("cast(null as %s) as %s", typeOr(c.typ, "varchar"), d.Quote(c.name))
		case c.typ == "":
			sel[i] = fmt.Sprintf("v.%s as %s", d.Quote(given[c.src]), d.Quote(c.name))
		default:
			sel[i] = fmt.Sprintf("cast(v.%s as %s) as %s", d.Quote(given[c.src]), c.typ, d.Quote(c.name))
		}
	}
	if f.Format == formatSQL {
		return fmt.Sprintf("select %s\nfrom (\n%s\n) as v", strings.Join(sel, ", "), f.SQL), nil
	}
	if len(f.Rows) == 0 || len(given) == 0 {
		for i, c := range cols {
			sel[i] = fmt.Sprintf("cast(null as %s) as %s", typeOr(c.typ, "varchar"), d.Quote(c.name))
		}
		return "select " + strings.Join(sel, ", ") + " where 1 = 0", nil
	}
	// Every value goes in as a string literal and is cast outside VALUES, so
	// a column mixing numbers and NULLs types the same on both engines.
	tuples := make([]string, len(f.Rows))
	for r, row := range f.Rows {
		lits := make([]string, len(row))
		for j, v := range row {
			lits[j] = literal(v)
		}
		tuples[r] = "(" + strings.Join(lits, ", ") + ")"
	}
	names := make([]string, len(given))
	for j, g := range given {
		names[j] = d.Quote(g)
	}
	return fmt.Sprintf("select %s\nfrom (values\n  %s\n) as v(%s)", strings.Join(sel, ", "), strings.Join(tuples, ",\n  "), strings.Join(names, ", ")), nil
}

// literal renders a fixture value as a SQL string literal (or NULL).
func literal(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "'true'"
		}
		return "'false'"
	case time.Time:
		return sqlString(textutil.FormatValue(x.UTC()))
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return sqlString(string(b))
	}
	return sqlString(scalarText(v))
}

var (
	intText   = regexp.MustCompile(`^[+-]?[0-9]+$`)
	floatText = regexp.MustCompile(`^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$`)
	dateText  = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	tsText    = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$`)
)

// Kinds of fixture values, in widening order where it matters.
const (
	kindNull = iota
	kindBool
	kindInt
	kindFloat
	kindDate
	kindTimestamp
	kindText
)

func valueKind(v any, fromCSV bool) int {
	switch x := v.(type) {
	case nil:
		return kindNull
	case bool:
		return kindBool
	case int, int64, uint64:
		return kindInt
	case float64:
		return kindFloat
	case time.Time:
		return kindTimestamp
	case string:
		s := strings.TrimSpace(x)
		switch {
		case dateText.MatchString(s):
			return kindDate
		case tsText.MatchString(s):
			return kindTimestamp
		case !fromCSV:
			return kindText
		case intText.MatchString(s):
			return kindInt
		case floatText.MatchString(s):
			return kindFloat
		case strings.EqualFold(s, "true") || strings.EqualFold(s, "false"):
			return kindBool
		}
	}
	return kindText
}

// inferType types a column of fixture values when the input's own type is
// unknown: numbers, booleans, dates and timestamps are recognised, anything
// else (or a mix) is text.
func inferType(vals []any, fromCSV bool, floatType string) string {
	kind := kindNull
	for _, v := range vals {
		k := valueKind(v, fromCSV)
		switch {
		case k == kindNull || k == kind:
		case kind == kindNull:
			kind = k
		case (kind == kindInt && k == kindFloat) || (kind == kindFloat && k == kindInt):
			kind = kindFloat
		case (kind == kindDate && k == kindTimestamp) || (kind == kindTimestamp && k == kindDate):
			kind = kindTimestamp
		default:
			kind = kindText
		}
	}
	switch kind {
	case kindBool:
		return "boolean"
	case kindInt:
		return "bigint"
	case kindFloat:
		return typeOr(floatType, "double")
	case kindDate:
		return "date"
	case kindTimestamp:
		return "timestamp"
	}
	return "varchar"
}
