package duckdb

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// trimSQL drops trailing white space and semicolons, so a model's SELECT
// can be embedded in CREATE ... AS.
func trimSQL(q string) string {
	return strings.TrimRight(q, " \t\r\n;")
}

// createAs renders head (e.g. "CREATE OR REPLACE TABLE x") AS query, the
// query starting on the statement's first line: the LINE DuckDB names in
// an error is then the line of the compiled SQL file written for the model.
func createAs(head, query string) string {
	return head + " AS " + trimSQL(query) + "\n"
}

var lineRe = regexp.MustCompile(`(?m)^LINE (\d+):`)

// queryLine marks an error of a createAs statement with the line of the
// query DuckDB points at, when it does.
func queryLine(err error) error {
	m := lineRe.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	n, _ := strconv.Atoi(m[1])
	return &adapter.QueryLineError{Err: err, Line: n}
}

// leadingKeyword returns the first keyword of q in lower case, skipping
// white space and comments; "(" for a parenthesised query, "" when q has
// no keyword.
func leadingKeyword(q string) string {
	i := 0
	for i < len(q) {
		switch {
		case q[i] == ' ' || q[i] == '\t' || q[i] == '\n' || q[i] == '\r' || q[i] == '\f':
			i++
		case strings.HasPrefix(q[i:], "--"):
			end := strings.IndexByte(q[i:], '\n')
			if end < 0 {
				return ""
			}
			i += end + 1
		case strings.HasPrefix(q[i:], "/*"):
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return ""
			}
			i += 2 + end + 2
		case q[i] == '(':
			return "("
		default:
			j := i
			for j < len(q) && (q[j] == '_' || (q[j]|0x20 >= 'a' && q[j]|0x20 <= 'z')) {
				j++
			}
			return strings.ToLower(q[i:j])
		}
	}
	return ""
}

// isQuery reports whether q is a statement that can be wrapped as a
// subquery (to push a row limit into the engine).
func isQuery(q string) bool {
	switch leadingKeyword(q) {
	case "select", "with", "from", "values", "table", "(":
		return true
	}
	return false
}

// QueryLine marks err, from a statement whose query starts on its first
// line, with the line of the query DuckDB points at, as builds do (ingot
// check binds models on a DuckDB of its own).
func QueryLine(err error) error { return queryLine(err) }
