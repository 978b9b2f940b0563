// Package seedfile turns seed files (csv, json, parquet, xlsx) into a DuckDB
// table expression, so every engine loads seeds with DuckDB's own readers and
// type inference. The expression does not depend on which DuckDB database
// runs it: the DuckDB adapter selects from it directly, the PostgreSQL adapter
// runs it in an in-memory DuckDB and streams the rows out.
package seedfile

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// SourceFileColumn is the column added when a seed combines several files.
const SourceFileColumn = "_source_file"

// Source returns a DuckDB table expression reading the seed s, usable as
// `SELECT * FROM <expr>`. Types are inferred by DuckDB; s.ColumnTypes
// override single columns. With s.SourceFileColumn the expression has an
// extra column _source_file holding each row's file relative to s.Root with
// forward slashes.
//
// cleanup is never nil and must be called once the expression is no longer
// needed (xlsx seeds are converted to a temporary CSV file). Errors raised
// by DuckDB while running the expression (or Describe) should be passed
// through Error, before cleanup, to name the file and line.
//
// q is a DuckDB connection Source may use to look at the files (a JSON seed
// with column_types is described first); the expression does not depend on
// which DuckDB database q is.
func Source(ctx context.Context, q Querier, s adapter.Seed) (expr string, cleanup func(), err error) {
	cleanup = func() {}
	if len(s.Files) == 0 {
		return "", cleanup, fmt.Errorf("seed %s: no files", s.Relation)
	}
	if err := ctx.Err(); err != nil {
		return "", cleanup, err
	}
	switch strings.ToLower(s.Format) {
	case "csv":
		expr, err = csvSource(s, s.Files)
	case "json":
		expr, err = jsonSource(ctx, q, s)
	case "parquet":
		expr = parquetSource(s)
	case "xlsx":
		return xlsxSource(ctx, s)
	default:
		return "", cleanup, fmt.Errorf("seed %s: unsupported format %q (want csv, json, parquet or xlsx)", s.Relation, s.Format)
	}
	if err != nil {
		return "", cleanup, err
	}
	return expr, cleanup, nil
}

// Querier is what Describe needs: a *sql.DB or *sql.Conn on DuckDB.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Describe reports the columns (names and DuckDB types) a table expression
// returns, without reading all of it. Pass its error through Error.
func Describe(ctx context.Context, q Querier, expr string) ([]adapter.Column, error) {
	rows, err := q.QueryContext(ctx, "DESCRIBE SELECT * FROM "+expr)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var cols []adapter.Column
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		// DESCRIBE returns column_name, column_type first.
		cols = append(cols, adapter.Column{Name: vals[0].String, Type: vals[1].String})
	}
	return cols, rows.Err()
}

// csvSource reads CSV files with an explicit dialect (header row, RFC 4180
// quoting, delimiter from the config or the first file's header) so that a
// malformed file fails instead of being sniffed into a one-column table.
func csvSource(s adapter.Seed, files []string) (string, error) {
	delim := s.Delimiter
	if delim == "" {
		d, err := sniffDelimiter(files[0])
		if err != nil {
			msg := "cannot read file"
			switch {
			case errors.Is(err, fs.ErrNotExist):
				msg = "file not found"
			case errors.Is(err, errEmpty):
				msg = err.Error()
			}
			return "", &ReadError{File: relPath(s.Root, files[0]), Msg: msg, Err: err}
		}
		delim = string(d)
	}
	if delim == `\t` {
		delim = "\t"
	}
	opts := []string{"header=true", "delim=" + literal(delim),
		// Explicit skip and comment: DuckDB would otherwise skip leading
		// rows that look malformed and drop rows starting with '#'.
		`quote='"'`, `escape='"'`, "skip=0", "comment=''"}
	if len(s.ColumnTypes) > 0 {
		types := make([]string, 0, len(s.ColumnTypes))
		for _, name := range sortedKeys(s.ColumnTypes) {
			types = append(types, literal(name)+": "+literal(s.ColumnTypes[name]))
		}
		opts = append(opts, "types={"+strings.Join(types, ", ")+"}")
	}
	return wrap(s, readerCall("read_csv", s, files, opts...), nil), nil
}

// jsonSource reads JSON files with DuckDB's inferred types. With
// column_types, the files are described first and every column is read as
// its type (read_json takes types for all columns or none): read directly,
// a text column keeps the text as written, where casting an inferred value
// would not (a timestamp read as TIMESTAMP and cast back to VARCHAR loses
// its 'T' and zone, an object becomes DuckDB's struct notation), and the
// full read skips type inference.
func jsonSource(ctx context.Context, q Querier, s adapter.Seed) (string, error) {
	if len(s.ColumnTypes) == 0 {
		return wrap(s, readerCall("read_json", s, s.Files, "format='auto'"), nil), nil
	}
	plain := s
	plain.SourceFileColumn = false
	inferred, err := Describe(ctx, q, readerCall("read_json", plain, s.Files, "format='auto'"))
	if err != nil {
		return "", Error(ctx, s, err)
	}
	types := make(map[string]string, len(s.ColumnTypes))
	for k, v := range s.ColumnTypes {
		types[strings.ToLower(k)] = v
	}
	cols := make([]string, len(inferred))
	for i, c := range inferred {
		typ := c.Type
		if t, ok := types[strings.ToLower(c.Name)]; ok {
			typ = t
			delete(types, strings.ToLower(c.Name))
		}
		cols[i] = literal(c.Name) + ": " + literal(typ)
	}
	for _, name := range sortedKeys(s.ColumnTypes) {
		if _, missing := types[strings.ToLower(name)]; missing {
			return "", &ReadError{File: seedFiles(s), Msg: fmt.Sprintf("column_types names column %q, which the file does not have", name)}
		}
	}
	return wrap(s, readerCall("read_json", s, s.Files, "format='auto'", "columns={"+strings.Join(cols, ", ")+"}"), nil), nil
}

func parquetSource(s adapter.Seed) string {
	return wrap(s, readerCall("read_parquet", s, s.Files), s.ColumnTypes)
}

// readerCall renders the DuckDB reader fn over files with opts, matching
// columns by name when there are several files and adding the file name
// column when s wants _source_file.
func readerCall(fn string, s adapter.Seed, files []string, opts ...string) string {
	args := append([]string{fileList(files)}, opts...)
	if len(files) > 1 {
		args = append(args, "union_by_name=true")
	}
	if s.SourceFileColumn {
		args = append(args, "filename="+literal(SourceFileColumn))
	}
	return fn + "(" + strings.Join(args, ", ") + ")"
}

// wrap adds the casts of column_types (readers without a types option) and
// turns DuckDB's absolute file name into the project-relative one.
func wrap(s adapter.Seed, reader string, casts map[string]string) string {
	var repl []string
	for _, name := range sortedKeys(casts) {
		q := adapter.QuoteIdent(name)
		repl = append(repl, fmt.Sprintf("CAST(%s AS %s) AS %s", q, casts[name], q))
	}
	if s.SourceFileColumn {
		q := adapter.QuoteIdent(SourceFileColumn)
		repl = append(repl, relativeFileExpr(s.Root, s.Files, q)+" AS "+q)
	}
	if len(repl) == 0 {
		return reader
	}
	return "(SELECT * REPLACE (" + strings.Join(repl, ", ") + ") FROM " + reader + ")"
}

// relativeFileExpr maps the file name DuckDB reports (the path as listed) to
// the path relative to root. Stripping a common prefix costs nothing per
// row; files outside root (unusual) are mapped one by one.
func relativeFileExpr(root string, files []string, col string) string {
	prefix := filepath.Clean(root) + string(filepath.Separator)
	under := true
	for _, f := range files {
		if !strings.HasPrefix(f, prefix) {
			under = false
			break
		}
	}
	if under {
		e := fmt.Sprintf("substr(%s, %d)", col, utf8.RuneCountInString(prefix)+1)
		if filepath.Separator != '/' {
			e = fmt.Sprintf("replace(%s, %s, '/')", e, literal(string(filepath.Separator)))
		}
		return e
	}
	var b strings.Builder
	b.WriteString("CASE " + col)
	for _, f := range files {
		b.WriteString(" WHEN " + literal(f) + " THEN " + literal(relPath(root, f)))
	}
	b.WriteString(" ELSE " + col + " END")
	return b.String()
}

// relPath is f relative to root with forward slashes, or f itself when it
// cannot be made relative.
func relPath(root, f string) string {
	if root != "" {
		if r, err := filepath.Rel(root, f); err == nil {
			return filepath.ToSlash(r)
		}
	}
	return filepath.ToSlash(f)
}

func fileList(files []string) string {
	q := make([]string, len(files))
	for i, f := range files {
		q[i] = literal(f)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// literal renders a SQL string literal.
func literal(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// removeAllFunc returns a cleanup removing dir, ignoring errors: a leftover
// temporary file is not worth failing a seed for.
func removeAllFunc(dir string) func() {
	return func() { _ = os.RemoveAll(dir) }
}
