// Package parity holds the example project's equivalence tests: built on
// DuckDB and on PostgreSQL, every gold table must hold the same rows; built
// incrementally batch by batch, the notification tables must hold what a
// full build gives, and a rebuilt quarantine day must keep no old rows.
// CompareNamed is exported for those tests and for anyone checking two targets
// by hand.
package parity

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// CompareNamed reports the differences between two results of the same
// query on two targets, named aName and bName in the report, as readable
// lines ("" when equal). Rows are compared as multisets; numbers within
// relTol relative difference; times in UTC.
func CompareNamed(aName string, a *adapter.Rows, bName string, b *adapter.Rows, relTol float64) string {
	var diffs []string
	an, bn := columnNames(a), columnNames(b)
	w := max(len(aName), len(bName))
	if strings.Join(an, ",") != strings.Join(bn, ",") {
		return fmt.Sprintf("columns differ:\n  %-*s %s\n  %-*s %s", w+1, aName+":", strings.Join(an, ", "), w+1, bName+":", strings.Join(bn, ", "))
	}
	ak, bk := keys(a), keys(b)
	sort.Slice(ak, func(i, j int) bool { return ak[i].key < ak[j].key })
	sort.Slice(bk, func(i, j int) bool { return bk[i].key < bk[j].key })
	i, j := 0, 0
	for i < len(ak) || j < len(bk) {
		switch {
		case i < len(ak) && j < len(bk) && rowsEqual(ak[i].row, bk[j].row, relTol):
			i++
			j++
		case j >= len(bk) || (i < len(ak) && ak[i].key < bk[j].key):
			diffs = append(diffs, fmt.Sprintf("- %-*s %s", w+6, aName+" only:", ak[i].key))
			i++
		default:
			diffs = append(diffs, fmt.Sprintf("+ %-*s %s", w+6, bName+" only:", bk[j].key))
			j++
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	head := fmt.Sprintf("%d difference(s) (%s %d rows, %s %d rows); columns: %s", len(diffs), aName, len(a.Rows), bName, len(b.Rows), strings.Join(an, ", "))
	if len(diffs) > 20 {
		diffs = append(diffs[:20], fmt.Sprintf("… and %d more", len(diffs)-20))
	}
	return head + "\n" + strings.Join(diffs, "\n")
}

func columnNames(r *adapter.Rows) []string {
	out := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		out[i] = strings.ToLower(c.Name)
	}
	return out
}

type keyed struct {
	key string
	row []any
}

// keys renders each row canonically (numbers rounded to 9 significant
// digits) so equal rows sort together; equality is then checked exactly
// with the tolerance.
func keys(r *adapter.Rows) []keyed {
	out := make([]keyed, len(r.Rows))
	for i, row := range r.Rows {
		parts := make([]string, len(row))
		for j, v := range row {
			parts[j] = canonical(v)
		}
		out[i] = keyed{key: "(" + strings.Join(parts, " | ") + ")", row: row}
	}
	return out
}

func canonical(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.9g", x), "0"), ".")
	case int64:
		return fmt.Sprintf("%.9g", float64(x))
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05.999999")
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func rowsEqual(a, b []any, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !valuesEqual(a[i], b[i], tol) {
			return false
		}
	}
	return true
}

func valuesEqual(a, b any, tol float64) bool {
	fa, aok := number(a)
	fb, bok := number(b)
	if aok && bok {
		if fa == fb {
			return true
		}
		return math.Abs(fa-fb) <= tol*math.Max(math.Abs(fa), math.Abs(fb))
	}
	return canonical(a) == canonical(b)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}
