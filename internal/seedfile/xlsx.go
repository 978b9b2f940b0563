package seedfile

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// xlsxTempPrefix names the temporary directory of converted sheets; Error
// recognises it to map DuckDB's messages back to the workbook.
const xlsxTempPrefix = "ingot-seed-"

// xlsxSource converts the sheet of every workbook to a CSV file in a
// temporary directory (file i of s.Files becomes "<i>.csv") and reads those
// with read_csv, so types are inferred exactly as for CSV seeds. Each sheet
// row becomes the same CSV line number (empty rows become blank lines, which
// DuckDB skips), so line numbers in errors are sheet row numbers.
func xlsxSource(ctx context.Context, s adapter.Seed) (string, func(), error) {
	noop := func() {}
	dir, err := os.MkdirTemp("", xlsxTempPrefix+"*")
	if err != nil {
		return "", noop, fmt.Errorf("seed %s: %w", s.Relation, err)
	}
	cleanup := removeAllFunc(dir)
	csvs := make([]string, len(s.Files))
	for i, f := range s.Files {
		csvs[i] = filepath.Join(dir, strconv.Itoa(i)+".csv")
		if err := xlsxToCSV(ctx, f, s.Sheet, csvs[i], sourceFileValue(s, f)); err != nil {
			cleanup()
			if ctx.Err() != nil {
				return "", noop, ctx.Err()
			}
			return "", noop, workbookError(s, f, err)
		}
	}
	// The converted files carry _source_file themselves (naming the
	// workbook, not the temporary file).
	cs := s
	cs.Delimiter = ","
	cs.SourceFileColumn = false
	expr, err := csvSource(cs, csvs)
	if err != nil {
		cleanup()
		return "", noop, err
	}
	return expr, cleanup, nil
}

// workbookError is the error of workbook f that could not be converted.
func workbookError(s adapter.Seed, f string, err error) *ReadError {
	return &ReadError{File: relPath(s.Root, f), Msg: err.Error(), Err: err}
}

// sourceFileValue is the _source_file value written into the converted CSV
// ("" = no such column).
func sourceFileValue(s adapter.Seed, f string) string {
	if !s.SourceFileColumn {
		return ""
	}
	return relPath(s.Root, f)
}

// xlsxToCSV writes one sheet of a workbook (the first when sheet is "") as
// CSV with a header row. Cells are written as DuckDB's CSV sniffer reads
// them best: booleans as true/false, dates and times in ISO form, numbers
// in plain notation, empty cells empty (NULL).
func xlsxToCSV(ctx context.Context, path, sheet, out, sourceFile string) error {
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot open workbook: %w", err)
	}
	defer in.Close()
	file, err := os.Create(out)
	if err != nil {
		return err
	}
	defer file.Close()
	bw := bufio.NewWriter(file)
	if err := workbookToCSV(ctx, in, sheet, bw, sourceFile); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return file.Close()
}

// workbookToCSV is xlsxToCSV from a reader to a writer (a buffered file,
// or memory when fuzzing).
func workbookToCSV(ctx context.Context, in io.Reader, sheet string, bw interface {
	io.Writer
	io.StringWriter
}, sourceFile string) error {
	f, err := excelize.OpenReader(in)
	if err != nil {
		return fmt.Errorf("cannot open workbook: %w", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			return errors.New("workbook has no sheets")
		}
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		return fmt.Errorf("no sheet %q (sheets: %s)", sheet, strings.Join(sheets, ", "))
	}
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return fmt.Errorf("sheet %q: %w", sheet, err)
	}
	if len(rows) == 0 {
		return fmt.Errorf("sheet %q is empty (a header row is needed)", sheet)
	}
	date1904 := false
	if p, err := f.GetWorkbookProps(); err == nil && p.Date1904 != nil {
		date1904 = *p.Date1904
	}
	conv := cellConverter{f: f, sheet: sheet, date1904: date1904, styles: map[int]dateKind{}}

	width := 0
	for _, r := range rows {
		width = max(width, len(r))
	}
	w := csv.NewWriter(bw)
	rec := make([]string, width, width+1)
	for i, r := range rows {
		if i%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if i > 0 && len(r) == 0 {
			w.Flush()
			if _, err := bw.WriteString("\n"); err != nil {
				return err
			}
			continue
		}
		rec = rec[:width]
		for c := range rec {
			rec[c] = ""
			if c < len(r) {
				if i == 0 {
					rec[c] = r[c]
				} else if rec[c], err = conv.value(c+1, i+1, r[c]); err != nil {
					return err
				}
			}
		}
		if sourceFile != "" {
			if i == 0 {
				rec = append(rec, SourceFileColumn)
			} else {
				rec = append(rec, sourceFile)
			}
		}
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	return w.Error()
}

type dateKind int

const (
	notDate dateKind = iota
	dateOnly
	timeOnly
	dateTime
)

type cellConverter struct {
	f        *excelize.File
	sheet    string
	date1904 bool
	styles   map[int]dateKind // style index → kind of its number format
}

// value renders the raw value of the cell at (col, row), both 1-based.
func (c *cellConverter) value(col, row int, raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	axis, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return "", err
	}
	typ, err := c.f.GetCellType(c.sheet, axis)
	if err != nil {
		return "", err
	}
	switch typ {
	case excelize.CellTypeBool:
		if raw == "1" || strings.EqualFold(raw, "true") {
			return "true", nil
		}
		return "false", nil
	case excelize.CellTypeError:
		// #DIV/0!, #N/A, ...: no value.
		return "", nil
	case excelize.CellTypeDate:
		return isoDate(raw), nil
	case excelize.CellTypeUnset, excelize.CellTypeNumber:
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return raw, nil
		}
		kind, err := c.kind(axis)
		if err != nil {
			return "", err
		}
		if kind != notDate {
			if t, err := excelize.ExcelDateToTime(v, c.date1904); err == nil {
				return formatTime(t, kind), nil
			}
		}
		return plainNumber(v), nil
	}
	return raw, nil
}

func (c *cellConverter) kind(axis string) (dateKind, error) {
	idx, err := c.f.GetCellStyle(c.sheet, axis)
	if err != nil {
		return notDate, err
	}
	if k, ok := c.styles[idx]; ok {
		return k, nil
	}
	k := notDate
	if st, err := c.f.GetStyle(idx); err == nil && st != nil {
		if st.CustomNumFmt != nil {
			k = formatKind(*st.CustomNumFmt)
		} else {
			k = builtinKind(st.NumFmt)
		}
	}
	c.styles[idx] = k
	return k, nil
}

// builtinKind classifies Excel's built-in number formats (ECMA-376 18.8.30
// plus the East Asian date ids).
func builtinKind(id int) dateKind {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id == 36, id >= 50 && id <= 54, id == 57, id == 58:
		return dateOnly
	case id >= 18 && id <= 21, id >= 32 && id <= 35, id == 45, id == 47, id == 55, id == 56:
		return timeOnly
	case id == 22:
		return dateTime
	}
	return notDate
}

// formatKind classifies a custom number format code by its date (y, d, m
// without h/s) and time (h, s, AM/PM) tokens, skipping quoted text, escaped
// characters and [...] sections (colours, conditions, elapsed times).
func formatKind(code string) dateKind {
	// Only the first section (positive numbers) matters.
	var hasDate, hasTime, hasM, elapsed bool
	for i := 0; i < len(code); i++ {
		switch code[i] {
		case ';':
			i = len(code)
		case '"':
			for i++; i < len(code) && code[i] != '"'; i++ {
			}
		case '\\', '_', '*':
			i++
		case '[':
			start := i + 1
			for i++; i < len(code) && code[i] != ']'; i++ {
			}
			if t := strings.ToLower(code[start:min(i, len(code))]); t != "" && strings.Trim(t, "hms") == "" {
				elapsed = true
			}
		case 'y', 'Y', 'd', 'D':
			hasDate = true
		case 'h', 'H', 's', 'S':
			hasTime = true
		case 'm', 'M':
			hasM = true
		case 'A', 'a':
			if strings.HasPrefix(strings.ToUpper(code[i:]), "AM/PM") || strings.HasPrefix(strings.ToUpper(code[i:]), "A/P") {
				hasTime = true
				i += 2
			}
		}
	}
	if elapsed {
		// [h]:mm and the like are durations, which can exceed a day: keep
		// the number.
		return notDate
	}
	if hasM && !hasTime {
		hasDate = true
	}
	switch {
	case hasDate && hasTime:
		return dateTime
	case hasDate:
		return dateOnly
	case hasTime:
		return timeOnly
	}
	return notDate
}

func formatTime(t time.Time, k dateKind) string {
	switch k {
	case dateOnly:
		return t.Format(time.DateOnly)
	case timeOnly:
		return t.Format("15:04:05.999999")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}

// isoDate normalises an ISO 8601 date cell (t="d") to DuckDB's form.
func isoDate(raw string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, raw); err == nil {
			if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
				return t.Format(time.DateOnly)
			}
			return t.UTC().Format("2006-01-02 15:04:05.999999")
		}
	}
	return raw
}

// plainNumber renders v as Excel shows it (15 significant digits) without
// exponent, so whole numbers stay integers for DuckDB's sniffer.
func plainNumber(v float64) string {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		r = v
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
