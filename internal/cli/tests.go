package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ingot-dev/ingot/internal/adapter"
	"github.com/ingot-dev/ingot/internal/compile"
	"github.com/ingot-dev/ingot/internal/datatest"
	"github.com/ingot-dev/ingot/internal/run"
)

// addTests plans the project's generic, singular and unit tests into m
// before the graph is built.
func addTests(ctx context.Context, m *compile.Manifest) error {
	return datatest.Add(ctx, m)
}

// newTester runs tests for the runner. a may be nil when every selected
// test is a unit test run in memory; fullRefresh is the run's flag.
func newTester(s *session, a adapter.Adapter, fullRefresh bool) run.Tester {
	opts := datatest.Options{
		// Unit tests run in an in-memory DuckDB when the engine's SQL is
		// DuckDB's (no warehouse needed), else in scratch schemas of the
		// target so the model's SQL meets the engine it was written for.
		UnitInTarget: !s.engine.Dialect.DuckDBSQL,
		WriteSQL: func(n *compile.Node, sql string) (string, error) {
			path := testSQLPath(s, n)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return "", err
			}
			if err := os.WriteFile(path, []byte(sql+"\n"), 0o644); err != nil {
				return "", err
			}
			return s.proj.Rel(path), nil
		},
	}
	if !opts.UnitInTarget {
		opts.Scratch = scratchDB(s.target.Settings)
	}
	opts.FullRefresh = fullRefresh
	return datatest.New(s.manifest, a, opts)
}

// closeTester releases what a tester holds (the unit tests' database).
func closeTester(t run.Tester) {
	if c, ok := t.(io.Closer); ok {
		_ = c.Close()
	}
}

// testSQLPath is where a test's compiled SQL is written:
// target/run/tests/<name>.sql, or target/run/unit_tests/<model>/<name>.sql.
func testSQLPath(s *session, n *compile.Node) string {
	dir := filepath.Join(s.proj.TargetDir(), "run")
	if n.TestType == datatest.TypeUnit {
		model := "model"
		if len(n.AttachedTo) > 0 {
			if m := s.manifest.Nodes[n.AttachedTo[0]]; m != nil {
				model = m.Name
			}
		}
		return filepath.Join(dir, "unit_tests", model, safeFileName(n.Name)+".sql")
	}
	return filepath.Join(dir, "tests", safeFileName(n.Name)+".sql")
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// needsWarehouse reports whether running ids needs the target open: not
// when every one of them is a unit test that runs in an in-memory DuckDB.
func needsWarehouse(s *session, ids []string) bool {
	if !s.engine.Dialect.DuckDBSQL {
		return true
	}
	for _, id := range ids {
		n := s.manifest.Nodes[id]
		if n == nil || n.Kind != compile.KindTest || n.TestType != datatest.TypeUnit {
			return true
		}
	}
	return false
}
