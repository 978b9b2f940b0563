package seedfile

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	// The diagnosis of unreadable CSV files runs in a private in-memory DuckDB.
	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// ReadError is a seed file that could not be read: which file (relative to
// the project root, forward slashes), where, and why, in one short line.
// The engine's full message stays reachable through Unwrap.
type ReadError struct {
	File string // "" when the engine did not say which file
	Line int    // 1-based line (sheet row for xlsx); 0 when unknown
	Msg  string
	Err  error
}

func (e *ReadError) Error() string {
	switch {
	case e.File != "" && e.Line > 0 && strings.HasSuffix(strings.ToLower(e.File), ".xlsx"):
		return fmt.Sprintf("%s: row %d: %s", e.File, e.Line, e.Msg)
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	}
	return e.Msg
}

func (e *ReadError) Unwrap() error { return e.Err }

var (
	reCSVLine  = regexp.MustCompile(`CSV Error on Line: (\d+)\n`)
	reCSVFile  = regexp.MustCompile(`\n\s*file = (.*)\n`)
	reSniff    = regexp.MustCompile(`Error when sniffing file "(.*?)"`)
	reJSON     = regexp.MustCompile(`Malformed JSON in file "(.*?)", at byte \d+ in (line|record/value) (\d+): (.*)`)
	reJSONType = regexp.MustCompile(`JSON transform error in file "(.*?)", in line (\d+): (.*)`)
	reNoFiles  = regexp.MustCompile(`No files found that match the pattern "(.*?)"`)
	reMagic    = regexp.MustCompile(`No magic bytes found at end of file '(.*?)'`)
	reColTypes = regexp.MustCompile(`COLUMN_TYPES error: Columns with names: (.*) do not exist in the CSV File`)
	reReplace  = regexp.MustCompile(`Column "(.*)" in REPLACE list not found`)
	reColCount = regexp.MustCompile(`Expected Number of Columns: (\d+) Found: (\d+)`)
	reLineSize = regexp.MustCompile(`^Maximum line size of (\d+) bytes exceeded`)
	reConvert  = regexp.MustCompile(`Error when converting column "(.*)"\. Could not convert string "(.*)" to '(.*)'`)
)

// Error turns an error DuckDB returned while running a Source expression
// of seed s into a *ReadError naming the file relative to s.Root and, when
// the engine reports one, the line. Context errors and errors that already
// are ReadErrors are returned unchanged. When DuckDB could not make sense of
// a CSV file at all, the file is read once more in strict mode to find the
// offending line.
func Error(ctx context.Context, s adapter.Seed, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var re *ReadError
	if errors.As(err, &re) {
		return err
	}
	msg := err.Error()
	switch {
	case reCSVLine.MatchString(msg):
		return csvLineError(s, msg, err)
	case reSniff.MatchString(msg):
		file := reSniff.FindStringSubmatch(msg)[1]
		files := []string{file}
		if file == "" {
			// Several files: DuckDB does not always say which one.
			files = s.Files
		}
		for _, f := range files {
			if d := diagnoseCSV(ctx, s, f, err); d != nil {
				return d
			}
		}
		name := seedFiles(s)
		if file != "" {
			name = fileName(s, file)
		}
		return &ReadError{File: name, Err: err,
			Msg: "cannot read as CSV: every row must have as many fields as the header row, quoted with \" (" + firstLine(msg) + ")"}
	case reJSON.MatchString(msg):
		m := reJSON.FindStringSubmatch(msg)
		// Go's decoder gives the exact line; DuckDB's own count is one
		// off for newline-delimited files, so it is only the fallback.
		line := jsonErrorLine(m[1])
		if line == 0 && m[2] == "line" {
			line, _ = strconv.Atoi(m[3])
		}
		return &ReadError{File: fileName(s, m[1]), Line: line, Msg: "malformed JSON: " + strings.TrimSuffix(strings.TrimSpace(m[4]), "."), Err: err}
	case reJSONType.MatchString(msg):
		// Only column_types give read_json types to read with.
		m := reJSONType.FindStringSubmatch(msg)
		line, _ := strconv.Atoi(m[2])
		return &ReadError{File: fileName(s, m[1]), Line: line, Msg: "a value does not fit its column_types type: " + strings.TrimSuffix(strings.TrimSpace(m[3]), "."), Err: err}
	case reNoFiles.MatchString(msg):
		return &ReadError{File: fileName(s, reNoFiles.FindStringSubmatch(msg)[1]), Msg: "file not found", Err: err}
	case reMagic.MatchString(msg):
		return &ReadError{File: fileName(s, reMagic.FindStringSubmatch(msg)[1]), Msg: "not a parquet file", Err: err}
	case reColTypes.MatchString(msg):
		return &ReadError{File: seedFiles(s), Err: err,
			Msg: "column_types names columns the file does not have: " + reColTypes.FindStringSubmatch(msg)[1]}
	case reReplace.MatchString(msg):
		return &ReadError{File: seedFiles(s), Err: err,
			Msg: fmt.Sprintf("column_types names column %q, which the file does not have", reReplace.FindStringSubmatch(msg)[1])}
	}
	return &ReadError{File: seedFiles(s), Msg: firstLine(msg), Err: err}
}

// csvLineError shortens DuckDB's CSV error (line, original line, message,
// then a page of hints and dialect settings) to file:line: message.
func csvLineError(s adapter.Seed, msg string, err error) *ReadError {
	loc := reCSVLine.FindStringSubmatchIndex(msg)
	line, _ := strconv.Atoi(msg[loc[2]:loc[3]])
	rest := strings.Split(msg[loc[1]:], "\n")
	orig := ""
	if len(rest) > 0 && strings.HasPrefix(rest[0], "Original Line: ") {
		orig = strings.TrimPrefix(rest[0], "Original Line: ")
		rest = rest[1:]
	}
	// The message follows the original line, which may itself span lines
	// (an unterminated quote): look for the known messages first.
	csvMessages := []string{"Expected Number of Columns", "Value with unterminated quote", "Error when converting column", "Invalid unicode", "Maximum line size"}
	text := ""
	for _, l := range rest {
		for _, known := range csvMessages {
			if strings.HasPrefix(l, known) {
				text = l
				break
			}
		}
		if text != "" {
			break
		}
	}
	if text == "" && len(rest) > 0 {
		text = rest[0]
	}
	// path is the file DuckDB names, else the seed's only one.
	path, file := "", seedFiles(s)
	if m := reCSVFile.FindStringSubmatch(msg); m != nil {
		path = strings.TrimSpace(m[1])
		file = fileName(s, path)
	} else if len(s.Files) == 1 {
		path = s.Files[0]
	}
	if m := reLineSize.FindStringSubmatch(text); m != nil {
		// DuckDB gives the line of the buffer, not of the file, and a
		// size cut at its buffer: find the line, and say what to do.
		limit, _ := strconv.Atoi(m[1])
		line, orig = longRecordLine(path, limit), ""
		text = fmt.Sprintf("a line longer than %s bytes, the most DuckDB reads as one CSV line (max_line_size): shorten or split the long value, or give this data as a Parquet seed", m[1])
	} else if m := reColCount.FindStringSubmatch(text); m != nil {
		text = fmt.Sprintf("expected %s fields, found %s", m[1], m[2])
	} else if m := reConvert.FindStringSubmatch(text); m != nil {
		text = fmt.Sprintf("column %q: cannot convert %q to %s", m[1], m[2], m[3])
	} else if strings.HasPrefix(text, "Value with unterminated quote") {
		text = "unterminated quoted value"
	}
	text = strings.TrimSuffix(strings.TrimSpace(text), ".")
	// A converted sheet's CSV line would only confuse: the row number says it.
	if orig != "" && !strings.EqualFold(s.Format, "xlsx") {
		text += ": " + strconv.Quote(clip(orig, 80))
	}
	return &ReadError{File: file, Line: line, Msg: text, Err: err}
}

// longRecordLine is the 1-based line where the first CSV record longer
// than limit bytes starts (a quoted value may span lines), 0 when the
// file can not be read or has none. It streams, so a huge line costs no
// memory.
func longRecordLine(file string, limit int) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	// Only a regular file ends: DuckDB named it, but the name is text.
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() || limit <= 0 {
		return 0
	}
	r := bufio.NewReaderSize(f, 1<<20)
	line, start, size, quoted := 1, 1, 0, false
	for {
		b, err := r.ReadByte()
		if err != nil {
			if size > limit {
				return start
			}
			return 0
		}
		switch {
		case b == '"':
			quoted = !quoted // "" inside quotes toggles twice
		case b == '\n':
			line++
			if !quoted {
				if size > limit {
					return start
				}
				start, size = line, 0
				continue
			}
		}
		size++
	}
}

// diagnoseCSV reads file in strict mode with the header's field count and
// every column as text, which DuckDB reports with a line number where its
// dialect sniffer only says it gave up. nil when that finds nothing.
func diagnoseCSV(ctx context.Context, s adapter.Seed, file string, orig error) *ReadError {
	delim := s.Delimiter
	if delim == `\t` {
		delim = "\t"
	}
	head, err := readHead(file)
	if err != nil {
		return nil
	}
	var d rune
	if delim == "" {
		d = delimiterOf(head)
	} else if r, size := utf8.DecodeRuneInString(delim); size == len(delim) && r != '"' && r != '\n' && r != '\r' {
		d = r
	} else {
		return nil
	}
	n := fieldCount(head, d)
	if n == 0 {
		return nil
	}
	cols := make([]string, n)
	for i := range cols {
		cols[i] = fmt.Sprintf("'c%d': 'VARCHAR'", i)
	}
	q := fmt.Sprintf(`SELECT count(*) FROM read_csv([%s], auto_detect=false, header=true, delim=%s, quote='"', escape='"', skip=0, comment='', strict_mode=true, columns={%s})`,
		literal(file), literal(string(d)), strings.Join(cols, ", "))
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil
	}
	defer db.Close()
	var count int64
	err = db.QueryRowContext(ctx, q).Scan(&count)
	if err == nil || !reCSVLine.MatchString(err.Error()) {
		return nil
	}
	re := csvLineError(s, err.Error(), orig)
	re.File = fileName(s, file)
	return re
}

// jsonErrorLine finds the line of the first syntax error in a JSON (or
// JSON lines) file, 0 when Go's decoder finds none.
func jsonErrorLine(file string) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return 0
		}
		var serr *json.SyntaxError
		if errors.As(err, &serr) {
			return lineAt(file, serr.Offset)
		}
		if err != nil {
			return lineAt(file, dec.InputOffset())
		}
	}
}

// lineAt is the 1-based line holding byte offset off of file.
func lineAt(file string, off int64) int {
	f, err := os.Open(file)
	if err != nil {
		return 0
	}
	defer f.Close()
	r := bufio.NewReader(io.LimitReader(f, max(off-1, 0)))
	line := 1
	for {
		b, err := r.ReadByte()
		if err != nil {
			return line
		}
		if b == '\n' {
			line++
		}
	}
}

// fileName maps a path DuckDB mentions back to the seed file it stands for,
// relative to the project root; converted xlsx sheets map to their workbook.
func fileName(s adapter.Seed, p string) string {
	for _, f := range s.Files {
		if f == p {
			return relPath(s.Root, f)
		}
	}
	if inConversionDir(p) {
		num, isCSV := strings.CutSuffix(filepath.Base(p), ".csv")
		if i, err := strconv.Atoi(num); isCSV && err == nil && i >= 0 && i < len(s.Files) {
			return relPath(s.Root, s.Files[i])
		}
		// Never name the conversion folder, which the user has not seen.
		return seedFiles(s)
	}
	return relPath(s.Root, p)
}

// inConversionDir reports whether p lies in (or is) a temporary folder of
// converted sheets, which xlsxSource makes in os.TempDir.
func inConversionDir(p string) bool {
	rel, err := filepath.Rel(os.TempDir(), filepath.Clean(p))
	return err == nil && strings.HasPrefix(rel, xlsxTempPrefix)
}

// seedFiles names the seed's file, or the folder of its files when several
// were combined and the engine did not say which one failed.
func seedFiles(s adapter.Seed) string {
	if len(s.Files) == 0 {
		return ""
	}
	if len(s.Files) == 1 {
		return relPath(s.Root, s.Files[0])
	}
	dir := path.Dir(relPath(s.Root, s.Files[0]))
	for _, f := range s.Files[1:] {
		if path.Dir(relPath(s.Root, f)) != dir {
			return ""
		}
	}
	return dir
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}
