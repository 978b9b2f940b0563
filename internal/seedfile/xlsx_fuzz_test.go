package seedfile

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

// workbook builds an xlsx file in memory: a header row and rows of cells
// per sheet, in the order given.
func workbook(tb testing.TB, sheets ...[][]any) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, rows := range sheets {
		name := "Sheet1"
		if i > 0 {
			name = "S" + string(rune('A'+i))
			if _, err := f.NewSheet(name); err != nil {
				tb.Fatal(err)
			}
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if err := f.SetCellValue(name, cell, v); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzXLSX: any bytes given as a workbook convert to CSV with one width
// and the source file column, or fail with one line naming the workbook;
// never a panic. testdata/fuzz/FuzzXLSX holds broken files (not a zip, a
// cut zip, a zip without a workbook).
func FuzzXLSX(f *testing.F) {
	day := time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC)
	f.Add(workbook(f, [][]any{{"id", "name", "when", "ok"}, {1, "a,b", day, true}, {2, "quote \" and\nnewline", nil, false}}))
	f.Add(workbook(f, [][]any{{"only header"}}))
	f.Add(workbook(f, [][]any{}, [][]any{{"x"}, {1.5}}))
	f.Add(workbook(f, [][]any{{"a", "b"}, {}, {nil, nil, 3}}))
	const book = "/p/seeds/book.xlsx"
	s := adapter.Seed{Root: "/p", Files: []string{book}, Format: "xlsx"}
	f.Fuzz(func(t *testing.T, data []byte) {
		var out bytes.Buffer
		if err := workbookToCSV(context.Background(), bytes.NewReader(data), "", &out, "seeds/book.xlsx"); err != nil {
			msg := workbookError(s, book, err).Error()
			if !strings.HasPrefix(msg, "seeds/book.xlsx: ") || strings.Contains(msg, "\n") {
				t.Fatalf("error is not one line naming the workbook: %q", msg)
			}
			return
		}
		recs, err := csv.NewReader(&out).ReadAll()
		if err != nil {
			t.Fatalf("converted sheet is not CSV of one width: %v\n%s", err, out.String())
		}
		if len(recs) == 0 || recs[0][len(recs[0])-1] != SourceFileColumn {
			t.Fatalf("no header row ending in %s:\n%s", SourceFileColumn, out.String())
		}
		for _, r := range recs[1:] {
			if r[len(r)-1] != "seeds/book.xlsx" {
				t.Fatalf("row %q lacks the source file", r)
			}
		}
	})
}

// FuzzXLSXError: whatever DuckDB says about the CSV files a workbook was
// converted to, the error is one line naming the workbook, never the
// temporary folder the user has never seen.
func FuzzXLSXError(f *testing.F) {
	tmp := filepath.Join(os.TempDir(), xlsxTempPrefix)
	for _, m := range []string{
		"Conversion Error: CSV Error on Line: 7\nOriginal Line: x,1\nError when converting column \"n\". Could not convert string \"x\" to 'BIGINT'\n\n  file = " + tmp + "123/1.csv\n",
		"Invalid Input Error: CSV Error on Line: 3\nOriginal Line: 1\nExpected Number of Columns: 2 Found: 1\n\n  file = " + tmp + "9/7.csv\n",
		"Invalid Input Error: Error when sniffing file \"" + tmp + "5/0.csv\".\n",
		"IO Error: No files found that match the pattern \"" + tmp + "5/-1.csv\"",
	} {
		f.Add(m)
	}
	s := adapter.Seed{Root: "/p", Files: []string{"/p/seeds/a.xlsx", "/p/seeds/b.xlsx"}, Format: "xlsx"}
	f.Fuzz(func(t *testing.T, msg string) {
		err := Error(context.Background(), s, errors.New(msg))
		var re *ReadError
		if !errors.As(err, &re) {
			t.Fatalf("Error(%q) = %v (%T), want a *ReadError", msg, err, err)
		}
		if strings.Contains(re.File+re.Msg, "\n") {
			t.Fatalf("Error(%q) spans lines: %q", msg, err)
		}
		if inConversionDir(filepath.Join(s.Root, filepath.FromSlash(re.File))) {
			t.Fatalf("Error(%q) names the temporary folder: %q", msg, err)
		}
	})
}
