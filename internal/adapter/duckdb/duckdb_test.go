package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
