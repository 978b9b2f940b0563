package datatest

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// argSpec describes one argument of a built-in generic test.
type argSpec struct {
	Name     string
	Required bool
	Check    func(v any) error // nil: any value
}

// builtin is one generic test shipped with ingot. Every query returns the
// failing rows and is plain SQL that DuckDB and PostgreSQL both accept.
type builtin struct {
	Name   string
	Column bool // tests a column (a column test, or column_name given)
	Args   []argSpec
	// Validate checks argument combinations after each argument passed Check.
	Validate func(args map[string]any) error
	Build    func(q query) string
}

// query is what a built-in test's SQL is made of.
type query struct {
	Rel        string // from-item of the tested relation, without alias (where applied)
	Column     string // SQL of the tested column; "" for model-level tests
	Args       map[string]any
	To         string // relationships: from-item of the parent relation
	RunStarted time.Time
	Dialect    adapter.Dialect // the target's, for quoting column names
}

// builtins are ingot's generic tests by name.
func builtins() map[string]*builtin {
	list := []*builtin{
		{Name: "not_null", Column: true, Build: func(q query) string {
			return fmt.Sprintf("select *\nfrom %s as t\nwhere %s is null", q.Rel, q.Column)
		}},
		{Name: "unique", Column: true, Build: func(q query) string {
			return fmt.Sprintf("select %[2]s as unique_field, count(*) as n_records\nfrom %[1]s as t\nwhere %[2]s is not null\ngroup by %[2]s\nhaving count(*) > 1", q.Rel, q.Column)
		}},
		{Name: "accepted_values", Column: true,
			Args: []argSpec{{Name: "values", Required: true, Check: nonEmptyList}, {Name: "quote", Check: isBool}},
			Build: func(q query) string {
				quote := true
				if b, ok := q.Args["quote"].(bool); ok {
					quote = b
				}
				vals := q.Args["values"].([]any)
				lits := make([]string, len(vals))
				for i, v := range vals {
					if quote {
						lits[i] = sqlString(scalarText(v))
					} else {
						lits[i] = scalarText(v)
					}
				}
				return fmt.Sprintf("select %[2]s as value_field, count(*) as n_records\nfrom %[1]s as t\nwhere %[2]s not in (%[3]s)\ngroup by %[2]s", q.Rel, q.Column, strings.Join(lits, ", "))
			}},
		{Name: "relationships", Column: true,
			Args: []argSpec{{Name: "to", Required: true, Check: isString}, {Name: "field", Required: true, Check: isString}},
			Build: func(q query) string {
				field := quoteColumn(q.Dialect, scalarText(q.Args["field"]))
				return fmt.Sprintf("with child as (\n  select %[2]s as from_field\n  from %[1]s as t\n  where %[2]s is not null\n),\n"+
					"parent as (\n  select %[4]s as to_field\n  from %[3]s as p\n)\n"+
					"select child.from_field\nfrom child\nleft join parent on child.from_field = parent.to_field\nwhere parent.to_field is null",
					q.Rel, q.Column, q.To, field)
			}},
		{Name: "expression_is_true",
			Args: []argSpec{{Name: "expression", Required: true, Check: isString}},
			Build: func(q query) string {
				expr := scalarText(q.Args["expression"])
				if q.Column != "" {
					expr = q.Column + " " + expr
				}
				return fmt.Sprintf("select *\nfrom %s as t\nwhere not (%s)", q.Rel, expr)
			}},
		{Name: "unique_combination_of_columns",
			Args: []argSpec{{Name: "combination_of_columns", Required: true, Check: nonEmptyList}, {Name: "quote_columns", Check: isBool}},
			Build: func(q query) string {
				raw := q.Args["combination_of_columns"].([]any)
				cols := make([]string, len(raw))
				for i, c := range raw {
					cols[i] = quoteColumn(q.Dialect, scalarText(c))
				}
				list := strings.Join(cols, ", ")
				return fmt.Sprintf("select %[2]s, count(*) as n_records\nfrom %[1]s as t\ngroup by %[2]s\nhaving count(*) > 1", q.Rel, list)
			}},
		{Name: "accepted_range", Column: true,
			Args: []argSpec{{Name: "min_value", Check: isScalar}, {Name: "max_value", Check: isScalar}, {Name: "inclusive", Check: isBool}},
			Validate: func(args map[string]any) error {
				if args["min_value"] == nil && args["max_value"] == nil {
					return fmt.Errorf("give min_value, max_value or both")
				}
				return nil
			},
			Build: func(q query) string {
				inclusive := true
				if b, ok := q.Args["inclusive"].(bool); ok {
					inclusive = b
				}
				lo, hi := ">", "<"
				if inclusive {
					lo, hi = ">=", "<="
				}
				var conds []string
				if v, ok := q.Args["min_value"]; ok && v != nil {
					conds = append(conds, fmt.Sprintf("not (%s %s %s)", q.Column, lo, rangeBound(v)))
				}
				if v, ok := q.Args["max_value"]; ok && v != nil {
					conds = append(conds, fmt.Sprintf("not (%s %s %s)", q.Column, hi, rangeBound(v)))
				}
				return fmt.Sprintf("select *\nfrom %s as t\nwhere %s", q.Rel, strings.Join(conds, "\n   or "))
			}},
		{Name: "not_empty", Build: func(q query) string {
			return fmt.Sprintf("select cast('relation has no rows' as varchar) as problem\nwhere not exists (select 1 from %s as t)", q.Rel)
		}},
		{Name: "recency",
			Args: []argSpec{{Name: "field", Check: isString}, {Name: "datepart", Check: isDatepart}, {Name: "interval", Required: true, Check: isCount}},
			Build: func(q query) string {
				field := q.Column
				if f, ok := q.Args["field"]; ok && f != nil {
					field = quoteColumn(q.Dialect, scalarText(f))
				}
				n, _ := asInt(q.Args["interval"])
				part := strings.TrimSuffix(strings.ToLower(scalarText(q.Args["datepart"])), "s")
				// The threshold counts from the run's start (UTC) so the result does
				// not depend on either engine's session time zone.
				started := q.RunStarted.UTC().Format("2006-01-02 15:04:05")
				return fmt.Sprintf("select most_recent, threshold\nfrom (\n  select max(cast(%s as timestamp)) as most_recent,\n    cast('%s' as timestamp) - interval '%d %s' as threshold\n  from %s as t\n) as r\nwhere most_recent < threshold or most_recent is null",
					field, started, n, part, q.Rel)
			}},
	}
	out := make(map[string]*builtin, len(list))
	for _, b := range list {
		out[b.Name] = b
	}
	return out
}

// builtinNames lists the built-in generic tests, sorted.
func builtinNames() []string {
	var out []string
	for n := range builtins() {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func nonEmptyList(v any) error {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		return fmt.Errorf("must be a non-empty list")
	}
	for _, e := range l {
		if err := isScalar(e); err != nil || e == nil {
			return fmt.Errorf("must be a list of plain values")
		}
	}
	return nil
}

func isBool(v any) error {
	if _, ok := v.(bool); !ok {
		return fmt.Errorf("must be true or false")
	}
	return nil
}

func isString(v any) error {
	if s, ok := v.(string); !ok || strings.TrimSpace(s) == "" {
		return fmt.Errorf("must be a non-empty string")
	}
	return nil
}

func isScalar(v any) error {
	switch v.(type) {
	case nil, string, bool, int, int64, uint64, float64:
		return nil
	}
	return fmt.Errorf("must be a number or a string")
}

func isCount(v any) error {
	if n, ok := asInt(v); !ok || n < 0 {
		return fmt.Errorf("must be a whole number >= 0")
	}
	return nil
}

func datepartNames() []string {
	return []string{"second", "minute", "hour", "day", "week", "month", "year"}
}

func isDatepart(v any) error {
	s, ok := v.(string)
	if ok {
		s = strings.TrimSuffix(strings.ToLower(s), "s")
		for _, d := range datepartNames() {
			if d == s {
				return nil
			}
		}
	}
	return fmt.Errorf("must be one of %s", strings.Join(datepartNames(), ", "))
}

// scalarText renders a YAML scalar as text (numbers without exponent).
func scalarText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	}
	return fmt.Sprint(v)
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var dateLike = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$`)

// rangeBound renders an accepted_range bound: numbers as they are, dates
// as string literals (both engines compare them with date columns), and
// any other string as the SQL expression it is (as dbt_utils does).
func rangeBound(v any) string {
	s := scalarText(v)
	if _, ok := v.(string); ok && dateLike.MatchString(s) {
		return sqlString(s)
	}
	return s
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

// quoteColumn quotes a column name as written in dialect d, so reserved
// words and mixed case work on every engine. Something that is not a plain
// name but looks like an expression (it has parentheses) is used as it is.
func quoteColumn(d adapter.Dialect, name string) string {
	if plainIdent.MatchString(name) || !strings.ContainsAny(name, "()") {
		return d.Quote(name)
	}
	return name
}
