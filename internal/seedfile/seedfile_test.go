package seedfile

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func openDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func write(t *testing.T, root, rel, content string) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// load reads a seed through Source in a fresh in-memory DuckDB and returns
// its columns ("name TYPE") and rows (values as text, NULL as "NULL"),
// rows sorted.
func load(t *testing.T, s adapter.Seed) ([]string, []string, error) {
	t.Helper()
	ctx := context.Background()
	db := openDB(t)
	expr, cleanup, err := Source(ctx, db, s)
	defer cleanup()
	if err != nil {
		return nil, nil, err
	}
	cols, err := Describe(ctx, db, expr)
	if err != nil {
		return nil, nil, Error(ctx, s, err)
	}
	var colText []string
	for _, c := range cols {
		colText = append(colText, c.Name+" "+c.Type)
	}
	rows, err := db.QueryContext(ctx, "SELECT COLUMNS(*)::VARCHAR FROM "+expr+" ORDER BY ALL")
	if err != nil {
		return nil, nil, Error(ctx, s, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if v.Valid {
				parts = append(parts, v.String)
			} else {
				parts = append(parts, "NULL")
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		return nil, nil, Error(ctx, s, err)
	}
	return colText, out, nil
}

func writeParquet(t *testing.T, root, rel, query string) string {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	if _, err := db.Exec("COPY (" + query + ") TO " + literal(p) + " (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeXLSX writes a workbook whose first sheet "Data" has typed cells
// (numbers, text, a date, a date-time, a boolean, an empty cell and an
// empty row) and a second sheet "Other".
func writeXLSX(t *testing.T, root, rel string, idBase int) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "Data"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("Other"); err != nil {
		t.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	set := func(sheet, cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range []string{"id", "name", "amount", "day", "at", "ok"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		set("Data", cell, h)
	}
	rows := [][]any{
		{idBase + 1, "alpha, \"quoted\"", 1.5, time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 28, 13, 30, 0, 0, time.UTC), true},
		{idBase + 2, nil, 2.25, time.Date(2024, 5, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 29, 8, 0, 0, 0, time.UTC), false},
		nil, // an empty row
		{idBase + 3, "gamma", 3, time.Date(2024, 5, 30, 0, 0, 0, 0, time.UTC), time.Date(2024, 5, 30, 0, 0, 0, 0, time.UTC), true},
	}
	for r, row := range rows {
		for c, v := range row {
			if v == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(c+1, r+2)
			set("Data", cell, v)
			if c == 3 {
				if err := f.SetCellStyle("Data", cell, cell, dateStyle); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	set("Other", "A1", "x")
	set("Other", "A2", "other sheet")
	p := filepath.Join(root, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSource(t *testing.T) {
	// A non-ASCII root checks that _source_file is cut by characters.
	root := filepath.Join(t.TempDir(), "données")
	seed := func(format string, files ...string) adapter.Seed {
		return adapter.Seed{Relation: adapter.Relation{Schema: "seeds", Name: "x"}, Root: root, Files: files, Format: format}
	}
	csvA := write(t, root, "seeds/people.csv", "id,name,amount,day\n1,ann,1.5,2024-05-28\n2,,2.5,2024-05-29\n3,cid,,\n")
	csvSemi := write(t, root, "seeds/semi.csv", "id;note\n1;a, b\n2;c\n")
	csvPipe := write(t, root, "seeds/pipe.csv", "id|note\n1|a;b,c\n")
	csvZero := write(t, root, "seeds/codes.csv", "code,amount\n007,10\n042,12.5\n")
	csvHash := write(t, root, "seeds/hash.csv", "id,name\n#1,a\n2,b\n")
	jsonArr := write(t, root, "seeds/arr.json", `[{"id": 1, "name": "ann", "day": "2024-05-28"}, {"id": 2, "name": null, "tags": [1, 2]}]`)
	jsonLines := write(t, root, "seeds/lines.json", "{\"id\": 3, \"name\": \"bo\"}\n{\"id\": 4, \"score\": 9.5}\n")
	// DuckDB infers TIMESTAMP for "at", a struct for "meta", DOUBLE for "amount".
	events := "{\"id\": 0, \"at\": \"2024-05-28T13:00:05.250Z\", \"meta\": {\"k\": 0}, \"amount\": 12.50}\n" +
		"{\"id\": 1, \"at\": \"2024-05-28T13:01:05.250Z\", \"meta\": {\"k\": 1}, \"amount\": 12.50}\n"
	jsonEvents := write(t, root, "seeds/events/a.jsonl", events)
	jsonEvents2 := write(t, root, "seeds/events/b.jsonl", "{\"id\": 99, \"at\": \"2024-05-28T15:00:00+02:00\", \"extra\": 1}\n")
	pq := writeParquet(t, root, "seeds/p.parquet", "SELECT 1::INTEGER AS id, 'x' AS name, DATE '2024-05-28' AS day UNION ALL SELECT 2, NULL, NULL")
	hour13 := write(t, root, "seeds/chat/hour=13.json", `[{"msg": "hi", "n": 1}]`)
	hour14 := write(t, root, "seeds/chat/hour=14.json", `[{"msg": "yo", "n": 2, "extra": true}]`)
	c1 := write(t, root, "seeds/parts/a.csv", "id,v\n1,x\n")
	c2 := write(t, root, "seeds/parts/b.csv", "id,w\n2,3.5\n")
	xl := writeXLSX(t, root, "seeds/book.xlsx", 0)
	xl2 := writeXLSX(t, root, "seeds/books/b2.xlsx", 10)

	combined := func(s adapter.Seed) adapter.Seed { s.SourceFileColumn = true; return s }
	typed := func(s adapter.Seed, types map[string]string) adapter.Seed { s.ColumnTypes = types; return s }
	sheet := func(s adapter.Seed, name string) adapter.Seed { s.Sheet = name; return s }
	delim := func(s adapter.Seed, d string) adapter.Seed { s.Delimiter = d; return s }

	tests := []struct {
		name string
		seed adapter.Seed
		cols []string
		rows []string
	}{
		{
			name: "csv types inferred, empty cells null",
			seed: seed("csv", csvA),
			cols: []string{"id BIGINT", "name VARCHAR", "amount DOUBLE", "day DATE"},
			rows: []string{"1|ann|1.5|2024-05-28", "2|NULL|2.5|2024-05-29", "3|cid|NULL|NULL"},
		},
		{
			name: "csv semicolon found from header",
			seed: seed("csv", csvSemi),
			cols: []string{"id BIGINT", "note VARCHAR"},
			rows: []string{"1|a, b", "2|c"},
		},
		{
			name: "csv rows starting with # are data",
			seed: seed("csv", csvHash),
			cols: []string{"id VARCHAR", "name VARCHAR"},
			rows: []string{"#1|a", "2|b"},
		},
		{
			name: "csv configured delimiter",
			seed: delim(seed("csv", csvPipe), "|"),
			cols: []string{"id BIGINT", "note VARCHAR"},
			rows: []string{"1|a;b,c"},
		},
		{
			name: "csv column_types keep leading zeros",
			seed: typed(seed("csv", csvZero), map[string]string{"code": "varchar", "amount": "decimal(12,2)"}),
			cols: []string{"code VARCHAR", "amount DECIMAL(12,2)"},
			rows: []string{"007|10.00", "042|12.50"},
		},
		{
			name: "json array",
			seed: seed("json", jsonArr),
			cols: []string{"id BIGINT", "name VARCHAR", "day DATE", "tags BIGINT[]"},
			rows: []string{"1|ann|2024-05-28|NULL", "2|NULL|NULL|[1, 2]"},
		},
		{
			name: "json lines",
			seed: seed("json", jsonLines),
			cols: []string{"id BIGINT", "name VARCHAR", "score DOUBLE"},
			rows: []string{"3|bo|NULL", "4|NULL|9.5"},
		},
		{
			name: "json column_types",
			seed: typed(seed("json", jsonLines), map[string]string{"id": "INTEGER", "score": "DECIMAL(4,1)"}),
			cols: []string{"id INTEGER", "name VARCHAR", "score DECIMAL(4,1)"},
			rows: []string{"3|bo|NULL", "4|NULL|9.5"},
		},
		{
			name: "json column_types read as written",
			seed: typed(seed("json", jsonEvents), map[string]string{"at": "varchar", "meta": "varchar", "amount": "varchar"}),
			cols: []string{"id BIGINT", "at VARCHAR", "meta VARCHAR", "amount VARCHAR"},
			rows: []string{"0|2024-05-28T13:00:05.250Z|{\"k\":0}|12.5", "1|2024-05-28T13:01:05.250Z|{\"k\":1}|12.5"},
		},
		{
			name: "json column_types over combined files",
			seed: combined(typed(seed("json", jsonEvents, jsonEvents2), map[string]string{"AT": "varchar", "id": "integer"})),
			cols: []string{"id INTEGER", "at VARCHAR", "meta STRUCT(k BIGINT)", "amount DOUBLE", "extra BIGINT", "_source_file VARCHAR"},
			rows: []string{
				"0|2024-05-28T13:00:05.250Z|{'k': 0}|12.5|NULL|seeds/events/a.jsonl",
				"1|2024-05-28T13:01:05.250Z|{'k': 1}|12.5|NULL|seeds/events/a.jsonl",
				"99|2024-05-28T15:00:00+02:00|NULL|NULL|1|seeds/events/b.jsonl",
			},
		},
		{
			name: "parquet",
			seed: seed("parquet", pq),
			cols: []string{"id INTEGER", "name VARCHAR", "day DATE"},
			rows: []string{"1|x|2024-05-28", "2|NULL|NULL"},
		},
		{
			name: "parquet column_types",
			seed: typed(seed("parquet", pq), map[string]string{"id": "BIGINT"}),
			cols: []string{"id BIGINT", "name VARCHAR", "day DATE"},
			rows: []string{"1|x|2024-05-28", "2|NULL|NULL"},
		},
		{
			name: "xlsx first sheet",
			seed: seed("xlsx", xl),
			cols: []string{"id BIGINT", "name VARCHAR", "amount DOUBLE", "day DATE", "at TIMESTAMP", "ok BOOLEAN"},
			rows: []string{
				"1|alpha, \"quoted\"|1.5|2024-05-28|2024-05-28 13:30:00|true",
				"2|NULL|2.25|2024-05-29|2024-05-29 08:00:00|false",
				"3|gamma|3.0|2024-05-30|2024-05-30 00:00:00|true",
			},
		},
		{
			name: "xlsx named sheet",
			seed: sheet(seed("xlsx", xl), "Other"),
			cols: []string{"x VARCHAR"},
			rows: []string{"other sheet"},
		},
		{
			name: "xlsx column_types",
			seed: typed(seed("xlsx", xl), map[string]string{"id": "VARCHAR", "amount": "DECIMAL(10,2)"}),
			cols: []string{"id VARCHAR", "name VARCHAR", "amount DECIMAL(10,2)", "day DATE", "at TIMESTAMP", "ok BOOLEAN"},
			rows: []string{
				"1|alpha, \"quoted\"|1.50|2024-05-28|2024-05-28 13:30:00|true",
				"2|NULL|2.25|2024-05-29|2024-05-29 08:00:00|false",
				"3|gamma|3.00|2024-05-30|2024-05-30 00:00:00|true",
			},
		},
		{
			name: "combined json with _source_file",
			seed: combined(seed("json", hour13, hour14)),
			cols: []string{"msg VARCHAR", "n BIGINT", "extra BOOLEAN", "_source_file VARCHAR"},
			rows: []string{"hi|1|NULL|seeds/chat/hour=13.json", "yo|2|true|seeds/chat/hour=14.json"},
		},
		{
			name: "combined csv with _source_file and column_types",
			seed: typed(combined(seed("csv", c1, c2)), map[string]string{"id": "VARCHAR"}),
			cols: []string{"id VARCHAR", "v VARCHAR", "w DOUBLE", "_source_file VARCHAR"},
			rows: []string{"1|x|NULL|seeds/parts/a.csv", "2|NULL|3.5|seeds/parts/b.csv"},
		},
		{
			name: "combined parquet with _source_file",
			seed: combined(seed("parquet", pq)),
			cols: []string{"id INTEGER", "name VARCHAR", "day DATE", "_source_file VARCHAR"},
			rows: []string{"1|x|2024-05-28|seeds/p.parquet", "2|NULL|NULL|seeds/p.parquet"},
		},
		{
			name: "combined xlsx with _source_file",
			seed: sheet(combined(seed("xlsx", xl, xl2)), "Other"),
			cols: []string{"x VARCHAR", "_source_file VARCHAR"},
			rows: []string{"other sheet|seeds/book.xlsx", "other sheet|seeds/books/b2.xlsx"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, rows, err := load(t, tt.seed)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(cols, ", ") != strings.Join(tt.cols, ", ") {
				t.Errorf("columns:\n got %s\nwant %s", strings.Join(cols, ", "), strings.Join(tt.cols, ", "))
			}
			if strings.Join(rows, "\n") != strings.Join(tt.rows, "\n") {
				t.Errorf("rows:\n got %q\nwant %q", rows, tt.rows)
			}
		})
	}
}

func TestSourceErrors(t *testing.T) {
	root := t.TempDir()
	seed := func(format string, files ...string) adapter.Seed {
		return adapter.Seed{Relation: adapter.Relation{Schema: "seeds", Name: "x"}, Root: root, Files: files, Format: format}
	}
	typed := func(s adapter.Seed, types map[string]string) adapter.Seed { s.ColumnTypes = types; return s }
	var big strings.Builder
	big.WriteString("id,name,amount\n")
	for i := range 30000 {
		big.WriteString("1,n,2.5\n")
		_ = i
	}
	big.WriteString("30001,x\n")

	missing := write(t, root, "seeds/missing.csv", "id,name,amount\n1,a,1.5\n2,b,2.5\n3,c\n4,d,4.5\n")
	extra := write(t, root, "seeds/extra.csv", "id,name,amount\n1,a,1.5\n2,b,2.5,9\n")
	quote := write(t, root, "seeds/quote.csv", "id,name,amount\n1,a,1.5\n2,\"b,2.5\n3,c,1\n")
	late := write(t, root, "seeds/late.csv", big.String())
	conv := write(t, root, "seeds/conv.csv", "id,amount\n1,10\n2,abc\n")
	badJSONArr := write(t, root, "seeds/bad.json", "[\n  {\"a\": 1},\n  {\"a\": }\n]\n")
	badJSONLines := write(t, root, "seeds/badlines.json", "{\"a\": 1}\n{\"a\": 2\n{\"a\": 3}\n")
	notParquet := write(t, root, "seeds/fake.parquet", "not parquet at all")
	xl := writeXLSX(t, root, "seeds/book.xlsx", 0)
	jsonOK := write(t, root, "seeds/ok.json", `[{"a": "x"}]`)
	c1 := write(t, root, "seeds/parts/a.csv", "id,v\n1,x\n")
	c2 := write(t, root, "seeds/parts/b.csv", "id,v\n2,y\n3\n")

	tests := []struct {
		name string
		seed adapter.Seed
		want string
	}{
		{"row with a missing field", seed("csv", missing), `seeds/missing.csv:4: expected 3 fields, found 2: "3,c"`},
		{"row with an extra field", seed("csv", extra), `seeds/extra.csv:3: expected 3 fields, found 4: "2,b,2.5,9"`},
		{"unterminated quote", seed("csv", quote), `seeds/quote.csv:3: unterminated quoted value`},
		{"bad row after the sniffer's sample", seed("csv", late), `seeds/late.csv:30002: expected 3 fields, found 2: "30001,x"`},
		{"column_types conversion", typed(seed("csv", conv), map[string]string{"amount": "INTEGER"}),
			`seeds/conv.csv:3: column "amount": cannot convert "abc" to INTEGER: "2,abc"`},
		{"column_types unknown column csv", typed(seed("csv", conv), map[string]string{"nope": "INTEGER"}),
			`seeds/conv.csv: column_types names columns the file does not have: "nope"`},
		{"column_types unknown column json", typed(seed("json", jsonOK), map[string]string{"nope": "INTEGER"}),
			`seeds/ok.json: column_types names column "nope", which the file does not have`},
		{"json column_types conversion", typed(seed("json", write(t, root, "seeds/conv.jsonl", "{\"a\": 1}\n{\"a\": \"x\"}\n")), map[string]string{"a": "INTEGER"}),
			`seeds/conv.jsonl:2: a value does not fit its column_types type: Failed to cast value to numerical: "x"`},
		{"json array syntax error", seed("json", badJSONArr), `seeds/bad.json:3: malformed JSON: unexpected character`},
		{"json lines syntax error", seed("json", badJSONLines), `seeds/badlines.json:2: malformed JSON: unexpected character`},
		{"not parquet", seed("parquet", notParquet), `seeds/fake.parquet: not a parquet file`},
		{"missing file", seed("csv", filepath.Join(root, "seeds/nope.csv")), `seeds/nope.csv: file not found`},
		{"xlsx sheet missing", func() adapter.Seed { s := seed("xlsx", xl); s.Sheet = "Nope"; return s }(),
			`seeds/book.xlsx: no sheet "Nope" (sheets: Data, Other)`},
		{"xlsx column_types conversion", typed(seed("xlsx", xl), map[string]string{"name": "INTEGER"}),
			`seeds/book.xlsx: row 2: column "name": cannot convert "alpha, \"\"quoted\"\"" to INTEGER`},
		{"combined csv names the bad file", seed("csv", c1, c2), `seeds/parts/b.csv:3: expected 2 fields, found 1: "3"`},
		{"unknown format", seed("txt", conv), `unsupported format "txt"`},
		{"empty csv", seed("csv", write(t, root, "seeds/empty.csv", "\n")), `seeds/empty.csv: file is empty (a header row is needed)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := load(t, tt.seed)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error:\n got %s\nwant it to contain %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			if strings.Contains(tt.want, ":") && !strings.HasPrefix(tt.want, "unsupported") {
				var re *ReadError
				if !errors.As(err, &re) {
					t.Errorf("error is %T, not a *ReadError", err)
				}
			}
		})
	}
}

func TestSourceCleanup(t *testing.T) {
	root := t.TempDir()
	xl := writeXLSX(t, root, "seeds/book.xlsx", 0)
	s := adapter.Seed{Relation: adapter.Relation{Schema: "seeds", Name: "book"}, Root: root, Files: []string{xl}, Format: "xlsx"}
	expr, cleanup, err := Source(context.Background(), openDB(t), s)
	if err != nil {
		t.Fatal(err)
	}
	start := strings.Index(expr, "['") + 2
	tmp := expr[start : start+strings.Index(expr[start:], "'")]
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("converted sheet missing before cleanup: %v", err)
	}
	cleanup()
	if _, err := os.Stat(filepath.Dir(tmp)); !os.IsNotExist(err) {
		t.Errorf("temporary directory left after cleanup: %v", err)
	}
}

func TestSourceCancelled(t *testing.T) {
	root := t.TempDir()
	xl := writeXLSX(t, root, "seeds/book.xlsx", 0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := adapter.Seed{Relation: adapter.Relation{Schema: "seeds", Name: "book"}, Root: root, Files: []string{xl}, Format: "xlsx"}
	_, cleanup, err := Source(ctx, openDB(t), s)
	cleanup()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}
