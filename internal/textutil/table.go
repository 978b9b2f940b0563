package textutil

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// FormatValue renders a query value for tables and CSV.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		if x.Nanosecond() != 0 {
			return x.Format("2006-01-02 15:04:05.999999")
		}
		return x.Format("2006-01-02 15:04:05")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []byte:
		return string(x)
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	}
	return fmt.Sprint(v)
}

// Table renders rows as an aligned text table.
func Table(rows *adapter.Rows) string {
	width := make([]int, len(rows.Columns))
	cells := make([][]string, len(rows.Rows))
	for i, c := range rows.Columns {
		width[i] = utf8.RuneCountInString(c.Name)
	}
	for r, row := range rows.Rows {
		cells[r] = make([]string, len(row))
		for i, v := range row {
			s := strings.ReplaceAll(FormatValue(v), "\n", " ")
			cells[r][i] = s
			if n := utf8.RuneCountInString(s); n > width[i] {
				width[i] = n
			}
		}
	}
	var b strings.Builder
	line := func(vals []string) {
		b.WriteString("|")
		for i, v := range vals {
			b.WriteString(" " + v + strings.Repeat(" ", width[i]-utf8.RuneCountInString(v)) + " |")
		}
		b.WriteString("\n")
	}
	head := make([]string, len(rows.Columns))
	sep := make([]string, len(rows.Columns))
	for i, c := range rows.Columns {
		head[i] = c.Name
		sep[i] = strings.Repeat("-", width[i])
	}
	line(head)
	b.WriteString("|")
	for _, s := range sep {
		b.WriteString("-" + s + "-|")
	}
	b.WriteString("\n")
	for _, r := range cells {
		line(r)
	}
	return b.String()
}
