package cli_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/adapter/duckdb"
	"github.com/ingot-dev/ingot/internal/cli"
)

// longQuery runs for minutes unless interrupted.
const longQuery = "select count(*) as n from range(10000000000) a where a.range % 7 = 3"

// TestCancel cancels `ingot run` while a model's statement runs, as Ctrl-C
// does: the run stops with a non-zero exit and says so, the statement is
// interrupted, the previous table is untouched and no temporary relation
// is left in the warehouse.
func TestCancel(t *testing.T) {
	tests := []struct {
		name  string
		model string // models/gold/slow.sql of the cancelled run
	}{
		{"table", "select n from (" + longQuery + ")"},
		{"incremental", `{{ config "materialized" "incremental" }}select n from (` + longQuery + ")"},
		{"pre_hook", `{{ config "pre_hook" "create table gold.hooked as ` + longQuery + `" }}select 2 as n`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{
				"project.yml":            "name: cancel\nmodels:\n  gold: {materialized: table}\n",
				"profiles.yml":           "default:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: ingot.duckdb, threads: 2}\n",
				"models/gold/slow.sql":   `{{ config "materialized" "` + materialized(tt.model) + `" }}select 1 as n`,
				"models/gold/after.sql":  `select * from {{ ref "slow" }}`,
				"models/gold/beside.sql": "select 1 as one",
			}
			for name, text := range files {
				write(t, filepath.Join(dir, name), text)
			}
			if code, out, errOut := ingot(context.Background(), t, dir, "run"); code != 0 {
				t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
			}

			write(t, filepath.Join(dir, "models/gold/slow.sql"), tt.model)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			time.AfterFunc(300*time.Millisecond, cancel)
			code, out, errOut := ingot(ctx, t, dir, "run", "--threads", "2")
			if code == 0 {
				t.Errorf("cancelled run: exit 0, want non-zero\n%s%s", out, errOut)
			}
			if !strings.Contains(errOut, "cancelled") {
				t.Errorf("stderr does not say the run was cancelled:\n%s", errOut)
			}
			if strings.Contains(out+errOut, "goroutine") || strings.Contains(out+errOut, "panic") {
				t.Errorf("output holds a stack trace:\n%s%s", out, errOut)
			}
			if strings.Contains(out, "OK created table model gold.after") {
				t.Errorf("a child of the cancelled model was built:\n%s", out)
			}

			a, err := duckdb.Open(context.Background(), adapter.Target{Type: "duckdb", Options: duckdb.Options{Path: filepath.Join(dir, "ingot.duckdb")}})
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			left, err := a.Query(context.Background(), `select table_name from duckdb_tables() where contains(table_name, '__ingot')
				union all select view_name from duckdb_views() where contains(view_name, '__ingot')`, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(left.Rows) > 0 {
				t.Errorf("temporary relations left: %v", left.Rows)
			}
			rows, err := a.Query(context.Background(), "select n from gold.slow", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows.Rows) != 1 || rows.Rows[0][0] != int64(1) {
				t.Errorf("gold.slow = %v, want the previous single row 1", rows.Rows)
			}
			if kind, _, err := a.Describe(context.Background(), adapter.Relation{Schema: "gold", Name: "hooked"}); err != nil || kind != adapter.KindNone {
				t.Errorf("gold.hooked: kind %q, err %v; the interrupted hook must create nothing", kind, err)
			}
		})
	}
}

// materialized is the materialization the model's first version uses, so
// the cancelled run replaces a relation of the same kind.
func materialized(model string) string {
	if strings.Contains(model, `"incremental"`) {
		return "incremental"
	}
	return "table"
}

func ingot(ctx context.Context, t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	argv := append([]string{"ingot"}, args...)
	argv = append(argv, "--project-dir", dir)
	code = cli.Main(ctx, argv, strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
