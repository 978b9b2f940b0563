package datatest

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/textutil"
)

// maxDiffRows bounds the rows a unit-test diff prints.
const maxDiffRows = 40

// canon renders a value so that equal data compares equal across types:
// 10, 10.0, "10" and DECIMAL 10.00 are all "10"; "2024-05-28" and a DATE
// are "2024-05-28"; true and "TRUE" are "true"; NULL is distinct from the
// text "NULL".
func canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "\x00null"
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.FormatInt(int64(x), 10)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return canonFloat(x)
	case time.Time:
		return canonTime(x)
	case []byte:
		return canonText(string(x))
	case string:
		return canonText(x)
	case []any, map[string]any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

func canonFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	// 15 significant digits absorb binary noise (0.1 + 0.2).
	s := strconv.FormatFloat(f, 'g', 15, 64)
	if g, err := strconv.ParseFloat(s, 64); err == nil {
		return strconv.FormatFloat(g, 'g', -1, 64)
	}
	return s
}

func canonTime(t time.Time) string {
	t = t.UTC()
	if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04:05.999999999")
}

var timeLayouts = []string{
	"2006-01-02",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999-0700",
}

func canonText(s string) string {
	t := strings.TrimSpace(s)
	switch {
	case strings.EqualFold(t, "true"), strings.EqualFold(t, "false"):
		return strings.ToLower(t)
	case floatText.MatchString(t):
		if f, err := strconv.ParseFloat(t, 64); err == nil {
			if intText.MatchString(t) && math.Abs(f) >= 1e15 {
				return strings.TrimPrefix(t, "+")
			}
			return canonFloat(f)
		}
	case len(t) >= 10 && t[4] == '-' && t[7] == '-':
		for _, l := range timeLayouts {
			if tm, err := time.Parse(l, t); err == nil {
				return canonTime(tm)
			}
		}
	}
	return s
}

// diffRow is one line of a unit-test diff.
type diffRow struct {
	mark  string // "-" expected only, "+" actual only, " " both
	cells []any
	key   string
}

// compareRows compares expected and actual rows (both aligned with cols)
// and returns the number of differing rows and a printable diff.
func compareRows(cols []string, expected, actual [][]any, ordered bool) (int64, string) {
	key := func(row []any) string {
		parts := make([]string, len(row))
		for i, v := range row {
			parts[i] = canon(v)
		}
		return strings.Join(parts, "\x1f")
	}
	var lines []diffRow
	var missing, extra int64
	if ordered {
		for i := 0; i < max(len(expected), len(actual)); i++ {
			switch {
			case i >= len(actual):
				lines = append(lines, diffRow{mark: "-", cells: expected[i]})
				missing++
			case i >= len(expected):
				lines = append(lines, diffRow{mark: "+", cells: actual[i]})
				extra++
			case key(expected[i]) == key(actual[i]):
				lines = append(lines, diffRow{mark: " ", cells: actual[i]})
			default:
				lines = append(lines, diffRow{mark: "-", cells: expected[i]}, diffRow{mark: "+", cells: actual[i]})
				missing++
				extra++
			}
		}
	} else {
		want := map[string][]int{}
		for i, row := range expected {
			k := key(row)
			want[k] = append(want[k], i)
		}
		matched := make([]bool, len(expected))
		for _, row := range actual {
			k := key(row)
			if idx := want[k]; len(idx) > 0 {
				matched[idx[0]] = true
				want[k] = idx[1:]
				lines = append(lines, diffRow{mark: " ", cells: row, key: k})
				continue
			}
			lines = append(lines, diffRow{mark: "+", cells: row, key: k})
			extra++
		}
		for i, row := range expected {
			if !matched[i] {
				lines = append(lines, diffRow{mark: "-", cells: row, key: key(row)})
				missing++
			}
		}
		// Sorting by content puts an expected row next to the actual row
		// that differs from it in a later column.
		rank := map[string]int{"-": 0, "+": 1, " ": 2}
		sort.SliceStable(lines, func(i, j int) bool {
			if lines[i].key != lines[j].key {
				return lines[i].key < lines[j].key
			}
			return rank[lines[i].mark] < rank[lines[j].mark]
		})
	}
	if missing == 0 && extra == 0 {
		return 0, ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "actual rows differ from expected (- expected, + actual): %d missing, %d unexpected; %d expected, %d actual\n",
		missing, extra, len(expected), len(actual))
	shown := lines
	hidden := 0
	if len(lines) > maxDiffRows {
		shown = nil
		for _, l := range lines {
			if l.mark != " " && len(shown) < maxDiffRows {
				shown = append(shown, l)
			} else {
				hidden++
			}
		}
	}
	t := &adapter.Rows{Columns: make([]adapter.Column, len(cols)+1)}
	for i, c := range cols {
		t.Columns[i+1] = adapter.Column{Name: c}
	}
	for _, l := range shown {
		row := append([]any{l.mark}, l.cells...)
		t.Rows = append(t.Rows, row)
	}
	b.WriteString(textutil.Table(t))
	if hidden > 0 {
		fmt.Fprintf(&b, "(%d more rows not shown)\n", hidden)
	}
	return missing + extra, strings.TrimRight(b.String(), "\n")
}
