package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/ingot-dev/ingot/internal/adapter"
)

func openTest(t *testing.T, path string) *Adapter {
	t.Helper()
	a, err := Open(context.Background(), testTarget(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// rowsOf runs q and renders each row as "v1|v2|…" (NULL for nil).
func rowsOf(t *testing.T, a *Adapter, q string) []string {
	t.Helper()
	res, err := a.Query(context.Background(), q, 0)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	var out []string
	for _, r := range res.Rows {
		parts := make([]string, len(r))
		for i, v := range r {
			if v == nil {
				parts[i] = "NULL"
			} else {
				parts[i] = fmt.Sprint(v)
			}
		}
		out = append(out, strings.Join(parts, "|"))
	}
	return out
}

func leftovers(t *testing.T, a *Adapter) []string {
	t.Helper()
	return rowsOf(t, a, "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_name LIKE '%__ingot_%' ORDER BY 1")
}

func rel(schema, name string) adapter.Relation { return adapter.Relation{Schema: schema, Name: name} }

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name     string
		path     string
		settings map[string]string
		wantErr  string
		wantFile string
	}{
		{name: "in memory", path: ""},
		{name: "explicit memory", path: ":memory:"},
		{name: "file in new directory", path: filepath.Join(dir, "a", "b", "x.duckdb"), wantFile: filepath.Join(dir, "a", "b", "x.duckdb")},
		{name: "settings", settings: map[string]string{"threads": "2", "memory_limit": "1GB"}},
		{name: "bad setting name", settings: map[string]string{"threads; drop": "2"}, wantErr: `invalid setting name "threads; drop"`},
		{name: "unknown setting", settings: map[string]string{"no_such_setting": "2"}, wantErr: "SET no_such_setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tgt := testTarget(tt.path)
			tgt.Settings = tt.settings
			a, err := Open(context.Background(), tgt)
			if tt.wantErr != "" {
				if err == nil {
					a.Close()
					t.Fatal("no error")
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			info, err := a.Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if info.Engine != "duckdb" || !strings.HasPrefix(info.Version, "v1.") {
				t.Errorf("info = %+v", info)
			}
			if tt.wantFile != "" {
				if _, err := os.Stat(tt.wantFile); err != nil {
					t.Errorf("database file: %v", err)
				}
			}
			for k, v := range tt.settings {
				// Every pooled connection gets the settings.
				for range 3 {
					got := rowsOf(t, a, "SELECT current_setting('"+k+"')::VARCHAR")
					if k == "threads" && got[0] != v {
						t.Errorf("%s = %v, want %s", k, got, v)
					}
				}
			}
		})
	}
}

func TestQueryValues(t *testing.T) {
	a := openTest(t, "")
	res, err := a.Query(context.Background(), `SELECT
		1::TINYINT AS i8, 2::INTEGER AS i32, 3::BIGINT AS i64, 4::UBIGINT AS u64,
		18446744073709551615::UBIGINT AS u64max,
		170141183460469231731687303715884105727::HUGEINT AS huge, 5::HUGEINT AS small_huge,
		1.25::DECIMAL(10,2) AS dec, 0.1::FLOAT AS f32, 0.5::DOUBLE AS f64,
		DATE '2024-05-28' AS d, TIMESTAMP '2024-05-28 10:11:12' AS ts,
		TIMESTAMPTZ '2024-05-28 10:00:00+02' AS tstz, TIME '12:30:00' AS tm,
		INTERVAL '1 year 2 months 3 days 04:05:06.5' AS iv,
		'5a36e2e6-76e6-40a5-9104-be60b5f55bc1'::UUID AS u,
		'abc'::BLOB AS b, 'txt' AS s, true AS t, NULL AS n,
		[1, 2] AS l, {'a': 1.5::DECIMAL(3,1), 'b': 'x'} AS st, MAP {'k': 1} AS m, '{"j": [1]}'::JSON AS j`, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"i8": int64(1), "i32": int64(2), "i64": int64(3), "u64": int64(4),
		"u64max": "18446744073709551615", "huge": "170141183460469231731687303715884105727", "small_huge": int64(5),
		"dec": 1.25, "f32": 0.1, "f64": 0.5,
		"d":    time.Date(2024, 5, 28, 0, 0, 0, 0, time.UTC),
		"ts":   time.Date(2024, 5, 28, 10, 11, 12, 0, time.UTC),
		"tstz": time.Date(2024, 5, 28, 8, 0, 0, 0, time.UTC),
		"tm":   "12:30:00", "iv": "1 year 2 months 3 days 04:05:06.5",
		"u": "5a36e2e6-76e6-40a5-9104-be60b5f55bc1", "b": "[97 98 99]", "s": "txt", "t": true, "n": nil,
		"l": "[1 2]", "st": "map[a:1.5 b:x]", "m": "map[k:1]", "j": "map[j:[1]]",
	}
	for i, c := range res.Columns {
		got := res.Rows[0][i]
		w := want[c.Name]
		switch w := w.(type) {
		case string:
			if s := fmt.Sprint(got); s != w {
				t.Errorf("%s (%s) = %#v, want %s", c.Name, c.Type, got, w)
			}
			if _, isStr := got.(string); (c.Name == "huge" || c.Name == "u" || c.Name == "iv") && !isStr {
				t.Errorf("%s is %T, want string", c.Name, got)
			}
		case time.Time:
			g, ok := got.(time.Time)
			if !ok || !g.Equal(w) || g.Location() != time.UTC {
				t.Errorf("%s = %#v, want %v in UTC", c.Name, got, w)
			}
		default:
			if got != w {
				t.Errorf("%s (%s) = %#v (%T), want %#v (%T)", c.Name, c.Type, got, got, w, w)
			}
		}
	}
	if res.Columns[7].Type != "DECIMAL(10,2)" {
		t.Errorf("decimal column type = %q", res.Columns[7].Type)
	}
}

func TestQueryLimit(t *testing.T) {
	a := openTest(t, "")
	tests := []struct {
		sql   string
		limit int
		want  int
	}{
		{"SELECT * FROM range(100)", 5, 5},
		{"-- comment\nWITH x AS (SELECT * FROM range(10)) SELECT * FROM x;", 3, 3},
		{"SELECT * FROM range(100) -- trailing comment", 7, 7},
		{"FROM range(4)", 0, 4},
		{"SHOW TABLES", 10, 0},
		{"DESCRIBE SELECT 1 AS x", 10, 1},
	}
	for _, tt := range tests {
		res, err := a.Query(context.Background(), tt.sql, tt.limit)
		if err != nil {
			t.Fatalf("%q: %v", tt.sql, err)
		}
		if len(res.Rows) != tt.want {
			t.Errorf("%q limit %d: %d rows, want %d", tt.sql, tt.limit, len(res.Rows), tt.want)
		}
	}
}

func TestLoadSeed(t *testing.T) {
	root := t.TempDir()
	write := func(rel, content string) string {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := openTest(t, filepath.Join(t.TempDir(), "w.duckdb"))
	ctx := context.Background()

	good := write("seeds/invoices.csv", "id,amount,day\n1,10.5,2024-05-28\n2,,2024-05-29\n")
	bad := write("seeds/bad/invoices.csv", "id,amount,day\n1,10.5,2024-05-28\n2,3\n")
	jsonArr := write("seeds/arr.json", `[{"a": 1}, {"a": 2}]`)
	jsonLines := write("seeds/lines.json", "{\"a\": 3}\n{\"a\": 4}\n")
	h13 := write("seeds/chatbot/hour=13.json", `[{"msg": "hi"}]`)
	h14 := write("seeds/chatbot/hour=14.json", `[{"msg": "yo"}, {"msg": "ok"}]`)
	pq := filepath.Join(root, "seeds", "p.parquet")
	if _, err := a.Exec(ctx, "COPY (SELECT range AS id, 'p' || range AS name FROM range(3)) TO '"+pq+"' (FORMAT parquet)"); err != nil {
		t.Fatal(err)
	}
	xl := filepath.Join(root, "seeds", "book.xlsx")
	f := excelize.NewFile()
	for i, row := range [][]any{{"k", "amount"}, {"a", 1.5}, {"b", nil}, {"c", 3}} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(xl); err != nil {
		t.Fatal(err)
	}
	f.Close()

	seed := func(name, format string, files ...string) adapter.Seed {
		return adapter.Seed{Relation: rel("seeds", name), Root: root, Files: files, Format: format}
	}
	tests := []struct {
		name    string
		seed    adapter.Seed
		wantErr string
		query   string
		rows    []string
		msg     string
	}{
		{name: "csv", seed: seed("invoices", "csv", good), query: "SELECT id, amount, day::VARCHAR FROM seeds.invoices ORDER BY id",
			rows: []string{"1|10.5|2024-05-28", "2|NULL|2024-05-29"}, msg: "INSERT 2"},
		{name: "csv column_types", seed: func() adapter.Seed {
			s := seed("invoices", "csv", good)
			s.ColumnTypes = map[string]string{"amount": "decimal(12,2)"}
			return s
		}(), query: "SELECT data_type FROM information_schema.columns WHERE table_name = 'invoices' AND column_name = 'amount'", rows: []string{"DECIMAL(12,2)"}},
		{name: "malformed csv keeps the old table", seed: seed("invoices", "csv", bad),
			wantErr: `seed seeds.invoices: seeds/bad/invoices.csv:3: expected 3 fields, found 2: "2,3"`,
			query:   "SELECT count(*) FROM seeds.invoices", rows: []string{"2"}},
		{name: "json array", seed: seed("arr", "json", jsonArr), query: "SELECT * FROM seeds.arr ORDER BY ALL", rows: []string{"1", "2"}},
		{name: "json lines", seed: seed("lines", "json", jsonLines), query: "SELECT * FROM seeds.lines ORDER BY ALL", rows: []string{"3", "4"}, msg: "INSERT 2"},
		{name: "parquet", seed: seed("p", "parquet", pq), query: "SELECT * FROM seeds.p ORDER BY ALL", rows: []string{"0|p0", "1|p1", "2|p2"}},
		{name: "xlsx", seed: seed("book", "xlsx", xl), query: "SELECT * FROM seeds.book ORDER BY ALL", rows: []string{"a|1.5", "b|NULL", "c|3"}},
		{name: "combined with _source_file", seed: func() adapter.Seed {
			s := seed("chatbot", "json", h13, h14)
			s.SourceFileColumn = true
			return s
		}(), query: "SELECT msg, _source_file FROM seeds.chatbot ORDER BY ALL",
			rows: []string{"hi|seeds/chatbot/hour=13.json", "ok|seeds/chatbot/hour=14.json", "yo|seeds/chatbot/hour=14.json"}, msg: "INSERT 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := a.LoadSeed(ctx, tt.seed)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %s", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.msg != "" && res.Message != tt.msg {
				t.Errorf("message %q, want %q", res.Message, tt.msg)
			}
			if tt.wantErr == "" {
				// SeedColumns describes the files as LoadSeed typed them.
				_, loaded, err := a.Describe(ctx, tt.seed.Relation)
				if err != nil {
					t.Fatal(err)
				}
				described, err := a.SeedColumns(ctx, tt.seed)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(described, loaded) || len(loaded) == 0 {
					t.Errorf("SeedColumns %v, loaded table %v", described, loaded)
				}
			}
			if got := rowsOf(t, a, tt.query); strings.Join(got, "\n") != strings.Join(tt.rows, "\n") {
				t.Errorf("rows\n got %q\nwant %q", got, tt.rows)
			}
			if l := leftovers(t, a); len(l) > 0 {
				t.Errorf("temporary relations left: %v", l)
			}
		})
	}
}

// TestLockHelper is not a test: TestLocked runs the test binary with
// INGOT_TEST_DUCKDB_HOLD set, and this holds the database open until its
// stdin closes, playing the other process.
func TestLockHelper(t *testing.T) {
	path := os.Getenv("INGOT_TEST_DUCKDB_HOLD")
	if path == "" {
		t.Skip("helper process for TestLocked")
	}
	a, err := Open(context.Background(), testTarget(path))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer a.Close()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

func TestLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "held.duckdb")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelper$")
	cmd.Env = append(os.Environ(), "INGOT_TEST_DUCKDB_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		_ = cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		t.Fatalf("helper: %q, %v", line, err)
	}

	_, err = Open(context.Background(), testTarget(path))
	if err == nil {
		t.Fatal("opened a file another process holds")
	}
	t.Log(err)
	if !errors.Is(err, adapter.ErrLocked) {
		t.Errorf("error %v is not adapter.ErrLocked", err)
	}
	var le *LockedError
	if !errors.As(err, &le) || le.PID != fmt.Sprint(cmd.Process.Pid) {
		t.Errorf("error %#v does not carry the holder's PID %d", err, cmd.Process.Pid)
	}
	for _, want := range []string{path, fmt.Sprintf("PID %d", cmd.Process.Pid), "wait for that process"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

func TestLeadingKeyword(t *testing.T) {
	tests := map[string]string{
		"select 1":                   "select",
		"  \n-- c\n/* x */ WITH a":   "with",
		"(select 1)":                 "(",
		"/* unterminated":            "",
		"-- only a comment":          "",
		"":                           "",
		"insert into t values (1)":   "insert",
		"/* a */ /* b */from t":      "from",
		"\tValues (1)":               "values",
		"--x\r\n  Describe select 1": "describe",
	}
	for in, want := range tests {
		if got := leadingKeyword(in); got != want {
			t.Errorf("leadingKeyword(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzLeadingKeyword(f *testing.F) {
	for _, s := range []string{"select 1", "-- c\nwith", "/**/(", "/*", "--", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		kw := leadingKeyword(q)
		if kw != "(" && strings.Trim(kw, "abcdefghijklmnopqrstuvwxyz_") != "" {
			t.Fatalf("leadingKeyword(%q) = %q", q, kw)
		}
		if kw != "" && kw != "(" && !strings.Contains(strings.ToLower(q), kw) {
			t.Fatalf("leadingKeyword(%q) = %q, not in the input", q, kw)
		}
	})
}

func TestBrokenView(t *testing.T) {
	a := openTest(t, "")
	ctx := context.Background()
	for _, q := range []string{"CREATE TABLE src AS SELECT 1 AS x", "CREATE SCHEMA bronze", "CREATE VIEW bronze.v AS SELECT * FROM src", "DROP TABLE src"} {
		if _, err := a.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	kind, _, err := a.Describe(ctx, rel("bronze", "v"))
	if kind != adapter.KindView || err == nil {
		t.Errorf("describe broken view = %q, %v; want view and the binding error", kind, err)
	}
	if _, err := a.Materialize(ctx, adapter.Materialization{Relation: rel("bronze", "v"), Materialized: "table", SQL: "SELECT 2 AS x"}); err != nil {
		t.Fatalf("replacing a broken view: %v", err)
	}
	if got := rowsOf(t, a, "SELECT * FROM bronze.v"); strings.Join(got, ",") != "2" {
		t.Errorf("rows = %q", got)
	}
}

// DuckDB finds relations whatever the case of the names asked for.
func TestDescribeIgnoresCase(t *testing.T) {
	a := openTest(t, "")
	ctx := context.Background()
	if err := a.CreateTableAs(ctx, rel("test_failures", "t1"), "SELECT 1 AS a, 'x' AS b"); err != nil {
		t.Fatal(err)
	}
	kind, cols, err := a.Describe(ctx, rel("TEST_FAILURES", "T1"))
	if err != nil {
		t.Fatal(err)
	}
	if kind != adapter.KindTable || fmt.Sprint(cols) != "[{a INTEGER} {b VARCHAR}]" {
		t.Errorf("describe = %s %v", kind, cols)
	}
}
